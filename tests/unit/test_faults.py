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

"""Unit tests of the fault machinery's own logic (no cloud; fakes only for
the executor, which is the part that touches a cloud)."""

import json
import os
import subprocess
import sys
import time

import fixtures
import testtools
from unittest import mock

from cellv2_conformance import faults
from cellv2_conformance.faults import journal
from cellv2_conformance.faults import targets
from cellv2_conformance.faults import watchdog
from cellv2_conformance import inventory


def _inventory(workdir, **extra):
    data = {
        'version': 1, 'source': 'hand-written', 'workdir': workdir,
        'faults_journal': os.path.join(workdir, 'faults.jsonl'),
        'api': {'nova_manage': ['nova-manage'],
                'readonly_database': 'mysql+pymysql://ro:pw@h/nova_api'},
        'mq': {'management_url': 'http://127.0.0.1:1', 'user': 'u',
               'password': 'secretpw'},
        'cells': [
            {'name': 'cell1', 'uuid': 'u1',
             'database': 'mysql+pymysql://os:dbpw1@h:1/nova_cell1',
             'transport': 'rabbit://os:mqpw@h:2/nova_cell1',
             'hosts': ['c1h1'],
             'db_server': {'process': 'mariadb-main', 'dedicated': False},
             'services': {'conductor': {'process': 'nova-conductor-cell1'},
                          'computes': {'c1h1': {
                              'process': 'nova-compute-c1h1'}}}},
            {'name': 'cell2', 'uuid': 'u2',
             'database': 'mysql+pymysql://os:dbpw2@h:3/nova_cell2',
             'transport': 'rabbit://os:mqpw@h:2/nova_cell2',
             'hosts': ['c2h1'],
             'db_server': {'process': 'mariadb-cell2', 'dedicated': True,
                           'host': '127.0.0.1', 'port': 9}},
        ],
        'services': {'nova-scheduler': {'pid': 1}},
    }
    data.update(extra)
    path = os.path.join(workdir, 'inv.yaml')
    import yaml
    with open(path, 'w') as f:
        yaml.safe_dump(data, f)
    os.chmod(path, 0o600)
    return inventory.load(path)


class FakeExecutor(targets.Executor):
    """Records calls; 'healthy' flips on heal."""
    actions = ('break',)
    kind = 'fake'

    def __init__(self, inv, target, fail_verify=False, fail_heal=0):
        super().__init__(inv, target)
        self.calls = []
        self.healthy = True
        self.fail_verify = fail_verify
        self.fail_heal = fail_heal

    def prepare(self, action, record):
        record['undo'] = {'was': 'fine'}

    def inject(self, action, record):
        self.calls.append('inject')
        self.healthy = False

    def verify(self, action, record, timeout):
        if self.fail_verify:
            raise targets.FaultError('effect not visible')
        return ['broken']

    def heal(self, action, record):
        self.calls.append('heal')
        if self.fail_heal:
            self.fail_heal -= 1
            raise targets.FaultError('cannot heal yet')
        self.healthy = True

    def verify_healed(self, action, record, timeout):
        return ['healthy=%s' % self.healthy]


class TestSpec(testtools.TestCase):
    def test_string(self):
        self.assertEqual(('cell(cell2).db', 'stop'),
                         faults.parse_spec('cell(cell2).db:stop'))

    def test_pair_and_dict(self):
        self.assertEqual(('a', 'b'), faults.parse_spec(('a', 'b')))
        self.assertEqual(('a', 'b'), faults.parse_spec(
            {'target': 'a', 'action': 'b'}))

    def test_bad(self):
        self.assertRaises(faults.FaultError, faults.parse_spec, 'cell2.db')
        self.assertRaises(faults.FaultError, faults.parse_spec, ':stop')


class TestTargets(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path
        self.inv = _inventory(self.wd)

    def test_db_of_dedicated_server(self):
        ex = targets.parse(self.inv, 'cell(cell2).db')
        self.assertIsInstance(ex, targets.DatabaseExecutor)
        self.assertEqual('mariadb-cell2', ex.name)
        self.assertEqual('cell(cell2).db', ex.target)

    def test_shorthand(self):
        self.assertEqual('cell(cell2).db',
                         targets.parse(self.inv, 'cell2.db').target)

    def test_shared_db_server_refused(self):
        e = self.assertRaises(targets.FaultError, targets.parse, self.inv,
                              'cell1.db')
        self.assertIn('shared', str(e))

    def test_conductor_and_compute(self):
        self.assertEqual('nova-conductor-cell1', targets.parse(
            self.inv, 'cell(cell1).conductor').name)
        self.assertEqual('nova-compute-c1h1', targets.parse(
            self.inv, 'cell(cell1).compute(c1h1)').name)
        self.assertRaises(targets.FaultError, targets.parse, self.inv,
                          'cell(cell2).conductor')

    def test_service_and_cell(self):
        self.assertEqual('nova-scheduler', targets.parse(
            self.inv, 'service(nova-scheduler)').name)
        self.assertIsInstance(targets.parse(self.inv, 'cell(cell2)'),
                              targets.CellMappingExecutor)

    def test_mq_user_from_transport(self):
        ex = targets.parse(self.inv, 'cell(cell2).mq')
        self.assertEqual(('os', 'nova_cell2'), (ex.user, ex.vhost))

    def test_unknown(self):
        self.assertRaises(targets.FaultError, targets.parse, self.inv,
                          'cell(cell9).db')
        self.assertRaises(targets.FaultError, targets.parse, self.inv,
                          'rm -rf /')

    def test_action_checked(self):
        ex = targets.parse(self.inv, 'cell(cell2).db')
        self.assertRaises(targets.FaultError, ex.check_action, 'revoke')

    def test_process_faults_need_state(self):
        ex = targets.parse(self.inv, 'service(nova-scheduler)')
        e = self.assertRaises(targets.FaultError, ex.procs.state)
        self.assertIn('state.json', str(e))


class TestJournal(testtools.TestCase):
    def test_latest_record_wins_and_torn_lines_skipped(self):
        wd = self.useFixture(fixtures.TempDir()).path
        jr = journal.Journal(os.path.join(wd, 'faults.jsonl'))
        jr.write({'id': 'a', 'status': 'active', 'target': 't'})
        jr.write({'id': 'b', 'status': 'healed', 'target': 't'})
        jr.write({'id': 'a', 'status': 'healed', 'target': 't'})
        with open(jr.path, 'a') as f:
            f.write('{"id": "c", "sta')           # killed writer
        self.assertEqual('healed', jr.get('a')['status'])
        self.assertEqual([], jr.open_faults())
        self.assertEqual(['a', 'b'], list(jr.records()))
        self.assertEqual(2, len(jr.history('a')))
        self.assertEqual(0o600, os.stat(jr.path).st_mode & 0o777)

    def test_no_secrets_in_evidence(self):
        wd = self.useFixture(fixtures.TempDir()).path
        jr = journal.Journal(os.path.join(wd, 'faults.jsonl'))
        jr.write({'id': 'a', 'status': 'active', 'evidence': [
            'cannot connect to mysql+pymysql://os:hunter22@h/db']})
        with open(jr.path) as f:
            self.assertNotIn('hunter22', f.read())


class TestLifecycle(testtools.TestCase):
    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path
        self.inv = _inventory(self.wd)
        # the deployer's record of the inventory it wrote: targets are ours
        with open(os.path.join(self.wd, 'state.json'), 'w') as f:
            json.dump({'processes': {}, 'status': 'ready',
                       'inventory': self.inv.path}, f)
        self.ex = FakeExecutor(self.inv, 'fake(x)')
        p = mock.patch.object(targets, 'parse', return_value=self.ex)
        p.start()
        self.addCleanup(p.stop)
        self.jr = faults.journal_for(self.inv)

    def test_inject_heal_journal(self):
        rec = faults.inject(self.inv, 'fake(x):break', ttl=60,
                            watchdog=False)
        self.assertEqual('active', rec['status'])
        self.assertFalse(self.ex.healthy)
        for key in ('injected_at', 'verified_at'):
            self.assertIsNotNone(rec[key])
        final = faults.heal(rec['id'], inv=self.inv)
        self.assertEqual('healed', final['status'])
        self.assertTrue(self.ex.healthy)
        self.assertIsNotNone(final['heal_verified_at'])
        self.assertEqual(['injecting', 'injecting', 'active', 'healing',
                          'healing', 'healed'],
                         [r['status'] for r in self.jr.history(rec['id'])])

    def test_heal_is_idempotent(self):
        rec = faults.inject(self.inv, 'fake(x):break', ttl=60,
                            watchdog=False)
        faults.heal(rec['id'], inv=self.inv)
        faults.heal(rec['id'], inv=self.inv)
        self.assertEqual(['inject', 'heal'], self.ex.calls)

    def test_failed_verification_heals_and_raises(self):
        self.ex.fail_verify = True
        self.assertRaises(faults.FaultError, faults.inject, self.inv,
                          'fake(x):break', ttl=60, watchdog=False)
        self.assertTrue(self.ex.healthy)
        rec = list(self.jr.records().values())[0]
        self.assertEqual('healed', rec['status'])
        self.assertEqual('inject-failure', rec['healed_by'])

    def test_heal_failure_stays_open_for_heal_all(self):
        self.ex.fail_heal = 1
        rec = faults.inject(self.inv, 'fake(x):break', ttl=60,
                            watchdog=False)
        self.assertRaises(faults.FaultError, faults.heal, rec['id'],
                          inv=self.inv)
        self.assertEqual('heal-failed', self.jr.get(rec['id'])['status'])
        with mock.patch.object(faults, '_load_inventory',
                               return_value=self.inv):
            out = faults.heal_all(self.wd)
        self.assertEqual(['healed'], [r['status'] for r in out])

    def test_busy_target_refused(self):
        faults.inject(self.inv, 'fake(x):break', ttl=60, watchdog=False)
        e = self.assertRaises(faults.FaultError, faults.inject, self.inv,
                              'fake(x):break', ttl=60, watchdog=False)
        self.assertIn('open fault', str(e))

    def test_context_manager_heals_on_error(self):
        class Boom(Exception):
            pass
        try:
            with faults.injected(self.inv, 'fake(x):break', ttl=60,
                                 watchdog=False):
                self.assertFalse(self.ex.healthy)
                raise Boom()
        except Boom:
            pass
        self.assertTrue(self.ex.healthy)

    def test_ttl_required(self):
        self.assertRaises(faults.FaultError, faults.inject, self.inv,
                          'fake(x):break', ttl=0, watchdog=False)


class TestWatchdog(testtools.TestCase):
    def test_reasons(self):
        me = os.getpid()
        rec = {'expires_at': time.time() + 100}
        self.assertIsNone(watchdog.reason_to_heal(rec, me, None))
        self.assertEqual('ttl', watchdog.reason_to_heal(
            rec, me, None, now=time.time() + 200))

    def test_dead_or_recycled_parent(self):
        rec = {'expires_at': time.time() + 100}
        child = subprocess.Popen([sys.executable, '-c', 'pass'])
        child.wait()
        self.assertEqual('parent-died', watchdog.reason_to_heal(
            rec, child.pid, None))
        # same pid, other start time: a recycled pid is not our parent
        self.assertEqual('parent-died', watchdog.reason_to_heal(
            rec, os.getpid(), 12345.0))

    def test_exits_when_healed(self):
        wd = self.useFixture(fixtures.TempDir()).path
        jr = journal.Journal(os.path.join(wd, 'faults.jsonl'))
        jr.write({'id': 'a', 'status': 'healed', 'target': 't',
                  'action': 'x', 'expires_at': time.time() + 100})
        self.assertEqual(0, watchdog.run(jr.path, 'a', 100, interval=0.01))
        self.assertEqual(0, watchdog.run(jr.path, 'gone', 100,
                                         interval=0.01, record_grace_s=0))


class TestCli(testtools.TestCase):
    def test_list_has_no_secrets(self):
        wd = self.useFixture(fixtures.TempDir()).path
        jr = journal.Journal(os.path.join(wd, 'faults.jsonl'))
        jr.write({'id': 'a', 'status': 'healed', 'target': 't',
                  'action': 'x', 'password': 'hunter22'})
        import argparse
        from cellv2_conformance.cmd import fault
        p = argparse.ArgumentParser()
        sub = p.add_subparsers(dest='c')
        fault.add_parsers(sub, lambda sp: sp.add_argument('--workdir'))
        args = p.parse_args(['fault', 'list', '--workdir', wd, '--json'])
        with mock.patch('sys.stdout') as out:
            self.assertEqual(0, args.func(args))
        printed = ''.join(c.args[0] for c in out.write.call_args_list)
        self.assertNotIn('hunter22', printed)
        self.assertEqual('a', json.loads(printed)[0]['id'])


class TestRestartKeepsInventoryTrue(testtools.TestCase):
    """A fault that restarts a recorded process writes the new pid into
    the deployment's inventory (checks match connections by pid).
    """

    def test_pid_updated_for_deployed_inventory_only(self):
        wd = self.useFixture(fixtures.TempDir()).path
        inv = _inventory(wd, source='cellv2-conformance deploy')
        inv.data['cells'][0]['services']['computes']['c1h1']['pid'] = 11
        with open(inv.path, 'w') as f:
            import yaml
            yaml.safe_dump(inv.data, f)
        procs = targets.Processes(inv)
        procs._update_inventory_pid('nova-compute-c1h1', 4242)
        again = inventory.load(inv.path)
        self.assertEqual(4242, again.cells[0].services['computes'][
            'c1h1']['pid'])
        self.assertEqual(0o600, os.stat(inv.path).st_mode & 0o777)
        other = _inventory(self.useFixture(fixtures.TempDir()).path)
        before = open(other.path).read()
        targets.Processes(other)._update_inventory_pid(
            'nova-compute-c1h1', 4242)
        self.assertEqual(before, open(other.path).read())
