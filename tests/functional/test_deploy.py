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

"""Really deploy single-cell and multi-cell clouds and check them from the
API and from each cell's own database; then `down` and check nothing is
left.  Slow (about a minute per deployment): run serially."""

import configparser
import copy
import json
import os
import re
import socket
import urllib.parse

import pymysql
import yaml

from cellv2_conformance.inspect import db as inspect_db
from tests.functional import base


class TestDeployLifecycle(base.FunctionalTest):

    def _lifecycle(self, scenario_name, while_up=None):
        wd = self.make_workdir()
        # `down` runs even when an assertion below fails.
        self.addCleanup(base.cli, 'down', '--workdir', wd)
        r = base.cli('deploy', '--scenario', scenario_name, '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stdout[-3000:] + r.stderr[-3000:])
        self.assertIn('deployment ready', r.stdout)
        inv_path = os.path.join(wd, 'cells-inventory.yaml')
        # secrets live only in files of mode 0600
        for f in ('cells-inventory.yaml', 'state.json', 'clouds.yaml',
                  'tempest/etc/tempest.conf'):
            self.assertEqual(0o600, os.stat(os.path.join(wd, f)).st_mode &
                             0o777, f)
        inv = yaml.safe_load(open(inv_path))
        cloud = base.Cloud(inv_path)

        # status: every service up
        st = base.cli('status', '--workdir', wd, '--json', check=True)
        services = json.loads(st.stdout)['services']
        self.assertTrue(services)
        self.assertEqual([], [s['service'] for s in services
                              if s['state'] != 'up'])

        # a second deploy into the same workdir is refused, clearly
        again = base.cli('deploy', '--scenario', scenario_name,
                         '--workdir', wd)
        self.assertEqual(2, again.returncode)
        self.assertIn('already holds a deployment', again.stderr)

        # boot one server into each cell, on an ordinary host of that cell
        reservable = set(inv['blazar']['reservable_hosts'])
        booted = {}
        for cell in inv['cells']:
            host = [h for h in cell['hosts'] if h not in reservable][0]
            body = {'server': {'name': 'func-%s' % cell['name'],
                               'imageRef': inv['image_id'],
                               'flavorRef': 'c1', 'networks': 'none',
                               'host': host}}
            s = cloud.call('POST', 'compute', '/servers', mv='2.74',
                           json=body, expect=202)['server']
            booted[s['id']] = (cell, host)
        for sid, (cell, host) in booted.items():
            srv = cloud.wait_server(sid, 'ACTIVE')
            self.assertEqual(host, srv['OS-EXT-SRV-ATTR:host'])

        # behind the API: the instance row is in its cell's DB only and its
        # mapping points at that cell
        api_ro = inv['api']['readonly_database']
        for sid, (cell, host) in booted.items():
            for other in inv['cells'] + [dict(name='cell0', **inv['cell0'])]:
                rows = inspect_db.select(
                    other['readonly_database'],
                    'SELECT host FROM instances WHERE uuid = %s AND '
                    'deleted = 0', (sid,))
                if other['name'] == cell['name']:
                    self.assertEqual([{'host': host}], rows)
                else:
                    self.assertEqual([], rows, 'instance %s also in %s' % (
                        sid, other['name']))
            m = inspect_db.select(
                api_ro, 'SELECT cm.uuid FROM instance_mappings im JOIN '
                'cell_mappings cm ON im.cell_id = cm.id WHERE '
                'im.instance_uuid = %s', (sid,))
            self.assertEqual([{'uuid': cell['uuid']}], m)

        # the read-only account cannot write
        ro = inv['cells'][0]['readonly_database']
        with inspect_db.connect(ro) as conn:
            with conn.cursor() as cur:
                self.assertRaises(pymysql.err.OperationalError, cur.execute,
                                  'DELETE FROM instances')

        # listing across cells sees every server
        listed = {s['id'] for s in cloud.call(
            'GET', 'compute', '/servers/detail', mv='2.69')['servers']}
        self.assertEqual(set(booted), listed)

        if while_up is not None:
            while_up(wd, inv)

        # delete, wait until gone
        for sid in booted:
            cloud.call('DELETE', 'compute', '/servers/%s' % sid, expect=204)
        for sid in booted:
            cloud.wait_gone(sid)
        self.assertEqual([], cloud.call('GET', 'compute', '/servers')[
            'servers'])

        state = self.read_state(wd)
        r = base.cli('down', '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stderr)
        self.assert_nothing_left(state, wd)
        self.assertFalse(os.path.exists(os.path.join(wd, 'state.json')))
        # down is idempotent
        r = base.cli('down', '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stderr)
        return state

    def test_multi_cell(self):
        state = self._lifecycle('multi-cell')
        # each cell had its own database server
        self.assertIn('mariadb-cell1', state['processes'])
        self.assertIn('mariadb-cell2', state['processes'])
        # Masakari (scenario switch masakari.enabled) ran as a service
        self.assertIn('masakari-api', state['processes'])
        self.assertIn('masakari-engine', state['processes'])

    def test_single_cell(self):
        state = self._lifecycle('single-cell', while_up=self._validate)
        self.assertIn('nova-conductor-cell1', state['processes'])
        self.assertNotIn('nova-conductor-cell2', state['processes'])

    def _validate(self, wd, inv):
        """`validate` treats the deployed cloud as an existing one: from
        its tempest.conf and inventory only.  Bad input (no [cellv2], a
        missing inventory, an unreachable keystone, wrong credentials) gets
        one clear message, exit 2, and never the password.
        """
        conf = os.path.join(wd, 'tempest', 'etc', 'tempest.conf')
        inv_path = os.path.join(wd, 'cells-inventory.yaml')

        def conf_with(edit):
            """A copy of the deployment's tempest.conf, edited."""
            cp = configparser.ConfigParser(interpolation=None)
            cp.read(conf)
            edit(cp)
            path = os.path.join(self.make_workdir(), 'tempest.conf')
            with open(path, 'w') as f:
                cp.write(f)
            os.chmod(path, 0o600)
            return path
        reports = os.path.join(self.make_workdir(), 'reports')
        r = base.cli('validate', '--tempest-conf', conf, '--inventory',
                     inv_path, '--report-dir', reports, '--regex',
                     r'cellv2_conformance\.tests\.api\.test_topology',
                     timeout=900)
        self.assertEqual(0, r.returncode, r.stdout[-3000:] + r.stderr[-2000:])
        with open(os.path.join(reports, 'run.json')) as f:
            doc = json.load(f)
        self.assertEqual('validate', doc['mode'])
        self.assertGreater(doc['counts'].get('success', 0), 5, doc['counts'])
        self.assertEqual([], [t['id'] for t in doc['results']
                              if t['status'] in ('fail', 'error')])

        # `inventory` discovers the same cells from the API database
        work = self.make_workdir()
        disc = os.path.join(work, 'discovered.yaml')
        r = base.cli('inventory', '--api-db', inv['api']['database'],
                     '--readonly-db', inv['api']['readonly_database'],
                     '--output', disc)
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        self.assertEqual(0o600, os.stat(disc).st_mode & 0o777)
        with open(disc) as f:
            found = yaml.safe_load(f)
        self.assertEqual(
            [(c['name'], c['uuid'], sorted(c['hosts'])) for c in
             inv['cells']],
            [(c['name'], c['uuid'], sorted(c['hosts'])) for c in
             found['cells']])
        self.assertEqual(inv['cell0']['uuid'], found['cell0']['uuid'])
        # ... and an inventory naming only the API database is enough for
        # the database checks (it says nothing of RabbitMQ)
        db_only = conf_with(lambda cp: cp.set('cellv2', 'whitebox_mq',
                                              'false'))
        api_only = os.path.join(work, 'api-only.yaml')
        with open(api_only, 'w') as f:
            yaml.safe_dump({'version': 1, 'api': {
                'database': inv['api']['database'],
                'readonly_database': inv['api']['readonly_database']}}, f)
        os.chmod(api_only, 0o600)
        reports = os.path.join(work, 'reports')
        r = base.cli('validate', '--tempest-conf', db_only, '--inventory',
                     api_only, '--report-dir', reports, '--regex',
                     r'cellv2_conformance\.tests\.api\.test_topology\.'
                     r'CellTopologyTest', timeout=900)
        self.assertEqual(0, r.returncode, r.stdout[-3000:] + r.stderr[-2000:])
        with open(os.path.join(reports, 'run.json')) as f:
            counts = json.load(f)['counts']
        # an API-only inventory is discovered from cell_mappings: the
        # checks that would compare it with its own source skip (issue 8)
        self.assertEqual(0, counts.get('fail', 0), counts)
        self.assertGreaterEqual(counts.get('success', 0), 5, counts)

        password = inv['auth']['password']

        def broken(edit):
            path = conf_with(edit)
            r = base.cli('validate', '--tempest-conf', path, '--report-dir',
                         os.path.join(os.path.dirname(path), 'r'))
            self.assertEqual(2, r.returncode, r.stdout + r.stderr)
            self.assertNotIn('Traceback', r.stderr)
            self.assertNotIn(password, r.stdout + r.stderr)
            return r.stderr

        self.assertIn('has no [cellv2] section', broken(
            lambda cp: cp.remove_section('cellv2')))
        self.assertIn('/nowhere/inventory.yaml does not exist', broken(
            lambda cp: cp.set('cellv2', 'inventory',
                              '/nowhere/inventory.yaml')))
        self.assertIn('is unreachable', broken(
            lambda cp: cp.set('identity', 'uri_v3',
                              'http://127.0.0.1:1/v3')))
        # a cell database that does not answer: named before any check runs
        data = copy.deepcopy(inv)
        cell = data['cells'][0]
        for key in ('database', 'readonly_database'):
            cell[key] = re.sub(r'@[^/]+/', '@127.0.0.1:1/', cell[key])
        bad_inv = os.path.join(self.make_workdir(), 'inventory.yaml')
        with open(bad_inv, 'w') as f:
            yaml.safe_dump(data, f)
        os.chmod(bad_inv, 0o600)
        err = broken(lambda cp: cp.set('cellv2', 'inventory', bad_inv))
        self.assertIn('cell %s: cannot connect to database' % cell['name'],
                      err)
        self.assertNotIn(urllib.parse.urlsplit(cell['database']).password,
                         err)
        wrong = 'not-the-password-%s' % os.getpid()
        err = broken(lambda cp: cp.set('auth', 'admin_password', wrong))
        self.assertIn('wrong credentials', err)
        self.assertNotIn(wrong, err)


class TestExistingServices(base.FunctionalTest):
    """db/mq backend "existing": the machine's own MariaDB (3306) and
    RabbitMQ (5672) instead of private ones; `down` removes what it made.
    """

    def setUp(self):
        super().setUp()
        for port, what in ((3306, 'MariaDB'), (5672, 'RabbitMQ')):
            s = socket.socket()
            s.settimeout(1)
            if s.connect_ex(('127.0.0.1', port)) != 0:
                self.skipTest('no %s on 127.0.0.1:%d' % (what, port))
            s.close()
        import shutil
        if not shutil.which('rabbitmqctl'):
            self.skipTest('rabbitmqctl not installed')

    def _prefixed(self):
        import subprocess
        conn = pymysql.connect(host='127.0.0.1', user='root')
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES LIKE 'cc%%\\_%%'")
            dbs = [r[0] for r in cur.fetchall()]
        conn.close()
        vh = subprocess.run(['rabbitmqctl', 'list_vhosts', '-q'],
                            capture_output=True, text=True).stdout.split()
        return set(dbs), {v for v in vh if v.startswith('cc')}

    def test_existing_mariadb_and_rabbitmq(self):
        before = self._prefixed()
        here = os.path.dirname(os.path.abspath(__file__))
        sc = os.path.join(here, '..', '..', 'doc', 'source', 'examples',
                          'existing-services.yaml')
        state = TestDeployLifecycle._lifecycle(self, sc)
        self.assertNotIn('mariadb-main', state['processes'])
        self.assertNotIn('rabbitmq-main', state['processes'])
        self.assertEqual(before, self._prefixed())


class TestDeployFailures(base.FunctionalTest):

    def test_port_in_use(self):
        wd = self.make_workdir()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        self.addCleanup(s.close)
        port = s.getsockname()[1]
        sc = os.path.join(wd, 'sc.yaml')
        with open(sc, 'w') as f:
            f.write('base_port: %d\ncells: [{name: a, computes: 2, '
                    'reservable: 1}]\n' % port)
        r = base.cli('deploy', '--scenario', sc, '--workdir',
                     os.path.join(wd, 'w'))
        self.assertEqual(2, r.returncode)
        self.assertIn('%d (wanted by keystone)' % port, r.stderr)
        self.assertNotIn('Traceback', r.stderr)
        state = self.read_state(os.path.join(wd, 'w'))
        self.assertEqual({}, state['processes'])

    def test_bad_scenario(self):
        wd = self.make_workdir()
        sc = os.path.join(wd, 'bad.yaml')
        with open(sc, 'w') as f:
            f.write('cells:\n  - name: a\n    computes: lots\n')
        r = base.cli('deploy', '--scenario', sc, '--workdir', wd)
        self.assertEqual(2, r.returncode)
        self.assertIn('%s:3: field cells[0].computes' % sc, r.stderr)
        self.assertNotIn('Traceback', r.stderr)

    def test_service_not_ready_tears_down(self):
        """A service that cannot reach its database: the failing step names
        the service, its config file and the end of its log, and everything
        started is stopped.  (With a cached placement schema the failure
        shows at readiness, without one at `placement-manage db sync`.)
        """
        wd = self.make_workdir()
        sc = os.path.join(wd, 'broken.yaml')
        with open(sc, 'w') as f:
            # max_retries 0: fail at once instead of oslo.db's 10 x 10 s.
            f.write('blazar: {enabled: false}\n'
                    'config:\n  placement:\n    placement_database:\n'
                    '      connection: "mysql+pymysql://nobody:x@127.0.0.1:'
                    '1/none"\n      max_retries: 0\n'
                    'cells: [{name: a}]\n')
        w = os.path.join(wd, 'w')
        self.addCleanup(base.cli, 'down', '--workdir', w)
        r = base.cli('deploy', '--scenario', sc, '--workdir', w)
        self.assertEqual(2, r.returncode, r.stdout + r.stderr)
        self.assertNotIn('Traceback (most recent call last)',
                         r.stderr.split('last lines')[0])
        self.assertRegex(r.stderr, r'error: step placement(-db)?: '
                         r'(placement did not become ready|placement-manage '
                         r'db sync failed)')
        self.assertIn('etc/placement/placement.conf', r.stderr)
        self.assertIn('last lines', r.stderr)
        self.assertIn('DBConnectionError', r.stderr)
        self.assertNotIn(':x@', r.stderr + r.stdout)
        state = self.read_state(w)
        self.assertEqual('down', state['status'])
        self.assert_nothing_left(state, w)


class TestKilledDeploy(base.FunctionalTest):

    def test_down_after_killed_deploy(self):
        """The deploy command is SIGKILLed half-way: `down` still stops
        every process it had started, from the state file alone.
        """
        import json
        import signal
        import subprocess
        import sys
        import time
        wd = self.make_workdir()
        self.addCleanup(base.cli, 'down', '--workdir', wd)
        proc = subprocess.Popen(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main', 'deploy',
             '--scenario', 'single-cell', '--workdir', wd],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        state_path = os.path.join(wd, 'state.json')
        deadline = time.monotonic() + 120
        procs = {}
        while time.monotonic() < deadline:
            try:
                with open(state_path) as f:
                    procs = json.load(f)['processes']
            except (OSError, ValueError):
                procs = {}
            if any(n.startswith('rabbitmq') for n in procs) and any(
                    n == 'keystone' for n in procs):
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.assertIn('keystone', procs)
        state = self.read_state(wd)
        r = base.cli('down', '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stderr)
        self.assert_nothing_left(state, wd)
