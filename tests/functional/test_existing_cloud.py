# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""An existing cloud, for real: a locally deployed multi-cell cloud treated
as one we did not build.

The operator's way in (``existing_cloud``): a SELECT-only database
account, the cells inventory discovered from nova.conf (``inventory
--nova-conf``; never the deployer's file) and completed by hand with the
read-only URLs, a tempest.conf granting what an operator of a staging cloud
grants (one spare host for Blazar enrolment, leases on Blazar's hosts; no
fault injection, no discover_hosts, no broker access), and
blazar-tempest-plugin installed beside ours.  Then:

1. the known reproduction goes red: one cell's mapping pointed at the
   API-level queue fails ``test_no_cell_uses_the_api_transport``;
2. ``validate`` passes on the healthy cloud and changes no database row
   that is not its own (a DBA's row-level diff of every database, rows
   attributed to the run by the prefix and by the uuids of what carries
   it);
3. a run killed with SIGKILL mid-way leaves servers, leases, a flavor,
   projects, users (and a Blazar enrolment); ``cleanup`` removes them all,
   a second ``cleanup`` finds nothing, and the API shows nothing of ours.

One deployment for the class; the full ``validate`` runs once.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pymysql
import testtools

from cellv2_conformance.cmd import cleanup as cleanup_cmd
from tests.functional import base
from tests.functional import existing_cloud as ec
from tests.functional import test_coexistence

PREFIX = 'cellv2'
KILLED_REGEX = (r'cellv2_conformance\.tests\.api\.(test_list_servers|'
                r'test_reservation_leases|test_cell0_burial)')
TOPOLOGY = r'cellv2_conformance\.tests\.api\.test_topology\.CellTopologyTest'


class TestExistingCloud(base.FunctionalTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        parent = os.environ.get('CELLV2_FUNCTIONAL_TMP') or \
            tempfile.gettempdir()
        cls.wd = tempfile.mkdtemp(prefix='cellv2-existing-', dir=parent)
        cls.work = os.path.join(cls.wd, 'cloud')
        try:
            base.cli('deploy', '--scenario', 'multi-cell', '--workdir',
                     cls.work, timeout=1200, check=True)
            cls._as_operator()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        base.cli('down', '--workdir', cls.work, timeout=600)
        shutil.rmtree(cls.wd, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def _as_operator(cls):
        op = os.path.join(cls.wd, 'operator')
        os.makedirs(op)
        cls.plugin_dir = test_coexistence.install_blazar_tempest_plugin()
        cls.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in (cls.plugin_dir, test_coexistence.ROOT,
                        os.environ.get('PYTHONPATH')) if p))
        cls.env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + \
            cls.env.get('PATH', '')
        password = ec.create_readonly_account(cls.work)
        cls.inventory = os.path.join(op, 'cells.yaml')
        # the config files the API services run with (as in their command
        # lines), nova-manage and nova-status get the same
        etc = os.path.join(cls.work, 'etc', 'nova')
        cls.cli('inventory', '--nova-conf', os.path.join(
            etc, 'nova-common.conf'), '--nova-conf', os.path.join(
            etc, 'nova.conf'), '--output', cls.inventory, check=True)
        inv = ec.complete_inventory(cls.inventory, password)
        cls.cloud = base.Cloud(os.path.join(cls.work,
                                            'cells-inventory.yaml'))
        enrolled = {h['hypervisor_hostname'] for h in cls.cloud.call(
            'GET', 'reservation', '/os-hosts', expect=200)['hosts']}
        spare = [h for c in inv['cells'] for h in c['hosts']
                 if h not in enrolled]
        cls.spare_host = spare[0]
        cls.conf = ec.operator_tempest_conf(
            os.path.join(cls.work, 'tempest', 'etc', 'tempest.conf'),
            os.path.join(op, 'tempest.conf'), cls.inventory, spare[0])

    @classmethod
    def cli(cls, *args, timeout=1800, check=False):
        p = subprocess.run(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main'] +
            list(args), env=cls.env, capture_output=True, text=True,
            timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError('cellv2-conformance %s failed (%d):\n%s\n%s'
                                 % (args[0], p.returncode, p.stdout[-3000:],
                                    p.stderr[-3000:]))
        return p

    def _validate(self, name, regex=None):
        reports = os.path.join(self.wd, name)
        args = ['validate', '--tempest-conf', self.conf, '--report-dir',
                reports]
        if regex:
            args += ['--regex', regex]
        p = self.cli(*args)
        with open(os.path.join(reports, 'run.json')) as f:
            return p, json.load(f), reports

    def _keep(self, name, figures, reports=None):
        """Figures (and the report directory) where CI keeps artifacts."""
        out = os.environ.get('CELLV2_ARTIFACTS')
        self.addDetail(name, testtools.content.json_content(figures))
        print('existing-cloud %s: %s' % (name, json.dumps(figures)))
        if not out:
            return
        out = os.path.join(out, 'existing-cloud')
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, '%s.json' % name), 'w') as f:
            json.dump(figures, f, indent=1, sort_keys=True)
        if reports:
            shutil.copytree(reports, os.path.join(out, name),
                            dirs_exist_ok=True)

    @staticmethod
    def _failed(doc):
        return {t['id']: (t.get('failure') or '')[-2000:]
                for t in doc['results']
                if t['status'] in ('fail', 'error', 'uxsuccess')}

    # -- 1 ------------------------------------------------------------------
    def test_1_cell_on_api_queue_goes_red(self):
        sock = ec.sockets(self.work)['main']
        with pymysql.connect(unix_socket=sock, user='root',
                             database='nova_api', autocommit=True) as conn:
            with conn.cursor() as cur:
                cur.execute('SELECT transport_url FROM cell_mappings WHERE '
                            'name = "cell1"')
                (original,) = cur.fetchone()
                api = self.cloud.inv['api']['transport']
                cur.execute('UPDATE cell_mappings SET transport_url = %s '
                            'WHERE name = "cell1"', (api,))
            try:
                p, doc, _ = self._validate('red', TOPOLOGY)
            finally:
                with conn.cursor() as cur:
                    cur.execute('UPDATE cell_mappings SET transport_url = '
                                '%s WHERE name = "cell1"', (original,))
        failed = self._failed(doc)
        self.assertEqual(1, p.returncode, p.stderr[-2000:])
        self.assertEqual(['test_no_cell_uses_the_api_transport'], sorted(
            t.split('[')[0].rsplit('.', 1)[1] for t in failed))
        self.assertIn('cell cell1 uses the API-level message queue',
                      ''.join(failed.values()))

    # -- 2 ------------------------------------------------------------------
    def test_2_validate_healthy_changes_only_its_own_rows(self):
        before = ec.snapshot(self.work)
        p, doc, reports = self._validate('validate')
        after = ec.snapshot(self.work)
        self._keep('validate-counts', dict(doc['counts'],
                                           exit=p.returncode), reports)
        pattern = cleanup_cmd.identity_pattern(
            PREFIX, 'tempest', cleanup_cmd.our_test_classes())
        seeds = ec.dynamic_credentials(os.path.join(reports, 'tempest.log'),
                                       pattern)
        changes = ec.diff(before, after, PREFIX, seeds)
        self._keep('validate-rows', {
            'own_rows': len(changes['own']),
            'side_effects': len(changes['side_effects']),
            'foreign_rows': len(changes['foreign'])})
        failed = self._failed(doc)
        self.assertEqual({}, failed, '\n\n'.join(
            '%s:\n%s' % kv for kv in failed.items()))
        self.assertEqual(0, p.returncode, p.stderr[-3000:])
        counts = doc['counts']
        self.assertGreater(counts.get('success', 0), 100, counts)
        self.assertEqual([], [
            '%s %s.%s %s: %s' % (kind, where[1], where[2], key,
                                 str(row)[:300])
            for kind, where, key, row in changes['foreign']])
        # a complete run leaves nothing for cleanup
        c = self.cli('cleanup', '--tempest-conf', self.conf, '--dry-run')
        self.assertEqual(0, c.returncode, c.stderr)
        self.assertIn('0 leftover(s)', c.stdout)

    # -- 3 ------------------------------------------------------------------
    def _ours(self):
        """Names of resources carrying our prefix, as the API shows them
        (the operator's independent look, not the cleanup's).
        """
        call = self.cloud.call
        found = [s['name'] for s in call(
            'GET', 'compute', '/servers?all_tenants=1', expect=200)[
            'servers']]
        found += [lease['name'] for lease in call(
            'GET', 'reservation', '/leases', expect=200)['leases']]
        found += [f['name'] for f in call(
            'GET', 'compute', '/flavors?is_public=None', expect=200)[
            'flavors']]
        found += [h['hypervisor_hostname'] for h in call(
            'GET', 'reservation', '/os-hosts', expect=200)['hosts']
            if h.get('cellv2_conformance_enrolled')]
        ours = [n for n in found if n.startswith(PREFIX + '-') or
                n == self.spare_host]
        pattern = cleanup_cmd.identity_pattern(
            PREFIX, 'tempest', cleanup_cmd.our_test_classes())
        for kind in ('projects', 'users'):
            ours += [x['name'] for x in call(
                'GET', 'identity', '/%s' % kind, expect=200)[kind]
                if pattern.match(x['name'])]
        return sorted(ours)

    def test_3_killed_run_then_cleanup_leaves_nothing(self):
        # what a killed lifecycle class leaves: a marked enrolment
        self.cloud.call('POST', 'reservation', '/os-hosts', expect=201,
                        json={'name': self.spare_host,
                              'cellv2_conformance_enrolled': PREFIX})
        reports = os.path.join(self.wd, 'killed')
        proc = subprocess.Popen(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main',
             'validate', '--tempest-conf', self.conf, '--report-dir',
             reports, '--regex', KILLED_REGEX], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and proc.poll() is None:
                names = self._ours()
                if any(n.startswith(PREFIX + '-lease') for n in names) and \
                        any(n.startswith(PREFIX + '-lst') or
                            n.startswith(PREFIX + '-cellv2-lst')
                            for n in names):
                    break
                time.sleep(2)
            self.assertIsNone(proc.poll(), 'the run ended before it could '
                              'be killed')
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            out = proc.communicate()[0]
        # the killed run's private workspace (its tempest.conf) stays
        m = re.search(r'\(in (/\S+cellv2-validate-\w+)\)', out or '')
        if m:
            shutil.rmtree(m.group(1), ignore_errors=True)
        left = self._ours()
        self.assertNotEqual([], left, 'the killed run left nothing: the '
                            'check below would prove nothing')
        c = self.cli('cleanup', '--tempest-conf', self.conf,
                     '--inventory', self.inventory)
        self.assertEqual(0, c.returncode, c.stdout[-3000:] + c.stderr)
        self.assertEqual([], self._ours(), c.stdout[-3000:])
        again = self.cli('cleanup', '--tempest-conf', self.conf)
        self.assertEqual(0, again.returncode, again.stderr)
        self.assertIn('0 leftover(s)', again.stdout)
        self._keep('killed-run', {'left_by_kill': left,
                                  'cleanup_output': c.stdout[-3000:],
                                  'left_after_cleanup': self._ours()})
