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

"""Security and reliability of a real deployment (issue 9), on one small
cloud shared by the class: no command line of the deployment carries a
secret (a `ps` scan runs during the deploy), no private server lets anyone
in without a password, a killed run leaves no secret in its report
directory, and `down` after a healed stop fault leaves nothing running."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import amqp.exceptions
import kombu
import psutil
import pymysql
import requests
import yaml

from tests.functional import base

SCENARIO = """\
name: hardening
blazar: {enabled: false}
cells: [{name: cell1, computes: 1}]
"""


class _CommandLineScan(threading.Thread):
    """Every command line on the machine, sampled until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen = set()
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for p in psutil.process_iter(['cmdline']):
                try:
                    self.seen.add(' '.join(p.info['cmdline'] or []))
                except psutil.Error:
                    pass
            time.sleep(0.05)


class TestHardenedDeployment(base.FunctionalTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        parent = os.environ.get('CELLV2_FUNCTIONAL_TMP') or \
            tempfile.gettempdir()
        cls.tmp = tempfile.mkdtemp(prefix='cellv2-hard-', dir=parent)
        cls.wd = os.path.join(cls.tmp, 'cloud')
        sc = os.path.join(cls.tmp, 'scenario.yaml')
        with open(sc, 'w') as f:
            f.write(SCENARIO)
        cls.scan = _CommandLineScan()
        cls.scan.start()
        try:
            cls.deploy = base.cli('deploy', '--scenario', sc, '--workdir',
                                  cls.wd)
        finally:
            cls.scan.stop.set()
            cls.scan.join(10)
        if cls.deploy.returncode != 0:
            base.cli('down', '--workdir', cls.wd)
            raise AssertionError('deploy failed:\n%s\n%s' % (
                cls.deploy.stdout[-3000:], cls.deploy.stderr[-3000:]))
        with open(os.path.join(cls.wd, 'cells-inventory.yaml')) as f:
            cls.inv = yaml.safe_load(f)
        cls.state = cls._state()

    @classmethod
    def tearDownClass(cls):
        base.cli('down', '--workdir', cls.wd)
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def _state(cls):
        import json
        with open(os.path.join(cls.wd, 'state.json')) as f:
            return json.load(f)

    def secrets(self):
        inv = self.inv
        urls = [inv['api']['database'], inv['api']['readonly_database'],
                inv['api']['transport'], inv['cell0']['database']]
        for c in inv['cells']:
            urls += [c['database'], c['readonly_database'], c['transport']]
        found = {urllib.parse.urlsplit(u).password for u in urls}
        found |= {inv['auth']['password'], inv['mq']['password']}
        # every password in a service config (service users' too)
        etc = os.path.join(self.wd, 'etc')
        for root, _, files in os.walk(etc):
            for name in files:
                with open(os.path.join(root, name), errors='replace') as f:
                    for line in f:
                        key, _, value = line.partition('=')
                        if 'password' in key and value.strip():
                            found.add(value.strip())
        return {s for s in found if s and len(s) >= 8}

    def test_workdir_is_private(self):
        self.assertEqual(0o700, os.stat(self.wd).st_mode & 0o777)

    def test_no_secret_on_any_command_line(self):
        secrets = self.secrets()
        self.assertGreater(len(secrets), 5)
        self.assertGreater(len(self.scan.seen), 50)
        now = {' '.join(p.info['cmdline'] or []) for p in
               psutil.process_iter(['cmdline'])}
        leaks = [(cmd[:150], 'password of the deployment')
                 for cmd in self.scan.seen | now
                 for s in secrets if s in cmd]
        self.assertEqual([], leaks)
        # the scan did see the deployment's one-shot commands
        self.assertTrue(any('keystone-manage' in c and 'bootstrap' in c
                            for c in self.scan.seen), 'bootstrap not seen')

    def test_no_passwordless_database_login(self):
        servers = [r for r in self.state['processes'].values()
                   if r.get('kind') == 'db']
        self.assertGreaterEqual(len(servers), 2)
        for rec in servers:
            for user in ('root', '', 'mysql', 'mariadb.sys'):
                try:
                    pymysql.connect(host='127.0.0.1', port=rec['port'],
                                    user=user, password='',
                                    connect_timeout=5).close()
                except pymysql.err.OperationalError as e:
                    self.assertIn(e.args[0], (1045, 1130, 1698), e)
                else:
                    self.fail('%r logged in without a password on port %d'
                              % (user, rec['port']))

    def test_no_guest_on_rabbitmq(self):
        rec = self.state['processes']['rabbitmq-main']
        r = requests.get('http://127.0.0.1:%d/api/whoami' %
                         rec['management_port'], auth=('guest', 'guest'),
                         timeout=10)
        self.assertEqual(401, r.status_code)
        conn = kombu.Connection(hostname='127.0.0.1', port=rec['port'],
                                userid='guest', password='guest',
                                virtual_host='/', connect_timeout=5)
        try:
            # the broker answers, and refuses the login (403)
            self.assertRaises(amqp.exceptions.AccessRefused,
                              conn.ensure_connection, max_retries=1)
        finally:
            conn.release()

    def test_killed_run_leaves_no_secret_in_report_dir(self):
        """kill -9 of `validate` while tempest runs: the report directory
        holds no file with a secret (the raw streams had no name).
        """
        conf = os.path.join(self.wd, 'tempest', 'etc', 'tempest.conf')
        reports = os.path.join(self.tmp, 'killed-report')
        proc = subprocess.Popen(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main',
             'validate', '--tempest-conf', conf, '--report-dir', reports,
             '--regex', r'cellv2_conformance\.tests\.api\.test_topology'],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tempest = []
        try:
            deadline = time.monotonic() + 300
            for line in proc.stdout:
                if line.startswith('running:') or \
                        time.monotonic() > deadline:
                    break
            time.sleep(3)
            tempest = psutil.Process(proc.pid).children(recursive=True)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        finally:
            for p in tempest:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
            if proc.poll() is None:
                proc.kill()
        secrets = self.secrets()
        self.assertTrue(os.path.isdir(reports))
        for root, _, files in os.walk(reports):
            for name in files:
                path = os.path.join(root, name)
                with open(path, 'rb') as f:
                    data = f.read().decode('utf-8', 'replace')
                for s in secrets:
                    self.assertNotIn(s, data, 'a secret in %s' % path)

    def test_zz_down_after_healed_stop_fault_leaves_nothing(self):
        """Runs last: stop a cell database, heal it (a new mariadbd pid),
        then `down`: the restarted server is stopped too.
        """
        r = base.cli('fault', 'inject', '--workdir', self.wd, '--target',
                     'cell(cell1).db', '--action', 'stop', '--ttl', '300')
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        fault_id = r.stdout.split()[1].rstrip(':')
        before = self._state()['processes']['mariadb-cell1']['pid']
        r = base.cli('fault', 'heal', '--workdir', self.wd, '--id', fault_id)
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        state = self._state()
        self.assertNotEqual(before, state['processes']['mariadb-cell1'][
            'pid'])
        r = base.cli('down', '--workdir', self.wd)
        self.assertEqual(0, r.returncode, r.stdout + r.stderr)
        self.assert_nothing_left(state, self.wd)
        self.assertFalse(os.path.exists(self.wd), 'workdir left behind')


class TestInterruptedDeploy(base.FunctionalTest):

    def test_ctrl_c_aborts_and_tears_down(self):
        """SIGINT while steps run (database syncs, services starting): the
        command tears down and exits 130 without waiting for the running
        steps; nothing of the deployment is left.
        """
        import json
        wd = os.path.join(self.make_workdir(), 'cloud')
        self.addCleanup(base.cli, 'down', '--workdir', wd)
        # An operator's terminal delivers Ctrl-C to a command whose SIGINT
        # is at its default; a test runner started in the background by a
        # non-interactive shell inherits SIGINT ignored, and Python then
        # keeps ignoring it.  Start the command as the terminal would.
        proc = subprocess.Popen(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main', 'deploy',
             '--scenario', 'single-cell', '--workdir', wd],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        state_path = os.path.join(wd, 'state.json')
        deadline = time.monotonic() + 300
        procs = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with open(state_path) as f:
                    procs = json.load(f)['processes']
            except (OSError, ValueError):
                procs = {}
            if 'keystone' in procs:
                break
            time.sleep(0.2)
        self.assertIn('keystone', procs)
        proc.send_signal(signal.SIGINT)
        try:
            # a hang detector, not a timing: steps poll the abort event
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail('deploy still running 180 s after Ctrl-C')
        self.assertEqual(130, proc.returncode, out[-2000:] + err[-2000:])
        self.assertIn('interrupted', err)
        self.assertNotIn('Traceback', err)
        state = self.read_state(wd)
        self.assertEqual('down', state['status'])
        self.assert_nothing_left(state, wd)
