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

"""Unit tests of the reliability and security rules (issue 9): one lock
over state and journal, closed faults never reopened, canonical targets,
foreign targets refused, workdir ownership, redaction forms."""

import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
from unittest import mock

import fixtures
import psutil
import testtools

from cellv2_conformance.common import filelock
from cellv2_conformance.deploy import deployer
from cellv2_conformance.deploy import process
from cellv2_conformance.deploy import workdir as workdir_mod
from cellv2_conformance import faults
from cellv2_conformance.faults import journal
from cellv2_conformance.faults import targets
from cellv2_conformance.faults import watchdog
from cellv2_conformance import redact
from tests.unit import test_faults


def _ours(inv, wd):
    with open(os.path.join(wd, 'state.json'), 'w') as f:
        json.dump({'processes': {}, 'status': 'ready',
                   'inventory': inv.path}, f)


class TestClosedNeverReopened(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path
        self.inv = test_faults._inventory(self.wd)
        _ours(self.inv, self.wd)
        self.ex = test_faults.FakeExecutor(self.inv, 'fake(x)')
        p = mock.patch.object(targets, 'parse', return_value=self.ex)
        p.start()
        self.addCleanup(p.stop)
        self.jr = faults.journal_for(self.inv)

    def test_ttl_expires_before_injection(self):
        """The watchdog healed (TTL) right after the record was written,
        before the effect was injected: the injection does not happen and
        the record stays closed.
        """
        inv = self.inv

        class Racing(journal.Journal):
            def write(self, record):
                rec = super().write(record)
                if not getattr(self, 'raced', False):
                    self.raced = True      # the watchdog's turn
                    faults.heal(record['id'], journal=self, inv=inv,
                                by='watchdog:ttl')
                return rec
        jr = Racing(self.jr.path)
        with mock.patch.object(faults, 'journal_for', return_value=jr):
            e = self.assertRaises(faults.FaultError, faults.inject,
                                  self.inv, 'fake(x):break', ttl=1,
                                  watchdog=False)
        self.assertIn('closed by watchdog:ttl', str(e))
        self.assertNotIn('inject', self.ex.calls)
        rec = list(self.jr.records().values())[0]
        self.assertEqual('healed', rec['status'])
        self.assertEqual([], self.jr.open_faults())

    def test_ttl_expires_during_verification(self):
        """Healed while inject() verified: 'active' is never written."""
        def verify(action, record, timeout):
            faults.heal(record['id'], journal=self.jr, inv=self.inv,
                        by='watchdog:ttl')
            return ['broken']
        self.ex.verify = verify
        self.assertRaises(faults.FaultError, faults.inject, self.inv,
                          'fake(x):break', ttl=1, watchdog=False)
        statuses = [r['status'] for r in self.jr.history()]
        self.assertNotIn('active', statuses)
        self.assertEqual('healed', statuses[-1])
        self.assertTrue(self.ex.healthy)

    def test_journal_refuses_to_reopen(self):
        self.jr.write({'id': 'a', 'status': 'healed', 'target': 't'})
        self.assertRaises(journal.RecordClosed, self.jr.write,
                          {'id': 'a', 'status': 'active', 'target': 't'})
        self.assertEqual('healed', self.jr.get('a')['status'])


class TestCanonicalTargets(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path
        self.inv = test_faults._inventory(self.wd)
        _ours(self.inv, self.wd)

    def test_aliases_share_identity(self):
        a = targets.parse(self.inv, 'service(mariadb-cell2)')
        b = targets.parse(self.inv, 'cell(cell2).db')
        c = targets.parse(self.inv, 'cell2.db')
        self.assertEqual(a.resources, b.resources)
        self.assertEqual(b.resources, c.resources)
        self.assertNotEqual(a.resources, targets.parse(
            self.inv, 'cell(cell1).conductor').resources)

    def test_alias_of_open_fault_refused(self):
        jr = faults.journal_for(self.inv)
        jr.write({'id': 'f-1', 'status': 'active',
                  'target': 'cell(cell2).db',
                  'resources': ['process:mariadb-cell2']})
        e = self.assertRaises(faults.FaultError, faults.inject, self.inv,
                              'service(mariadb-cell2):stop', ttl=5,
                              watchdog=False)
        self.assertIn('f-1', str(e))


class TestForeignTargets(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path

    def test_hand_written_inventory_needs_both_opt_ins(self):
        inv = test_faults._inventory(self.wd)
        ex = test_faults.FakeExecutor(inv, 'fake(x)')
        with mock.patch.object(targets, 'parse', return_value=ex):
            e = self.assertRaises(faults.FaultError, faults.inject, inv,
                                  'fake(x):break', ttl=5, watchdog=False,
                                  allow_foreign=True)
            self.assertIn('allow_foreign_faults', str(e))
            inv = test_faults._inventory(self.wd, allow_foreign_faults=True)
            self.assertRaises(faults.FaultError, faults.inject, inv,
                              'fake(x):break', ttl=5, watchdog=False)
            rec = faults.inject(inv, 'fake(x):break', ttl=5,
                                watchdog=False, allow_foreign=True)
            self.assertEqual('active', rec['status'])

    def test_state_naming_another_inventory_is_not_ours(self):
        inv = test_faults._inventory(self.wd)
        with open(os.path.join(self.wd, 'state.json'), 'w') as f:
            json.dump({'processes': {}, 'inventory': '/elsewhere.yaml'}, f)
        self.assertFalse(targets.deployed_by_us(inv))
        _ours(inv, self.wd)
        self.assertTrue(targets.deployed_by_us(inv))


class TestMalformedJournal(testtools.TestCase):

    def test_lines_without_id_are_skipped(self):
        wd = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(wd, 'faults.jsonl')
        with open(path, 'w') as f:
            f.write('{"status": "active", "target": "x"}\n[1, 2]\n"s"\n'
                    '{"id": 5, "status": "active"}\nnot json\n')
        jr = journal.Journal(path)
        self.assertEqual({}, jr.records())
        self.assertEqual([], faults.heal_all(wd))
        self.assertEqual(0, watchdog.run(path, 'f-x', 5, interval=0.01,
                                         record_grace_s=0))


class TestWatchdogGivesUpVisibly(testtools.TestCase):

    def test_gave_up_is_recorded_and_shown(self):
        wd = self.useFixture(fixtures.TempDir()).path
        jr = journal.Journal(os.path.join(wd, 'faults.jsonl'))
        jr.write({'id': 'f-1', 'status': 'active', 'target': 't',
                  'action': 'x', 'expires_at': 0})

        def fail(fault_id, journal, by):
            rec = journal.get(fault_id)
            rec.update(status='heal-failed', heal_attempts=int(
                rec.get('heal_attempts') or 0) + 1, error='still broken')
            journal.write(rec)
            raise faults.FaultError('still broken')
        with mock.patch.object(faults, 'heal', fail):
            self.assertEqual(1, watchdog.run(jr.path, 'f-1', 5,
                                             interval=0.01, give_up_s=0))
        rec = jr.get('f-1')
        self.assertEqual('heal-failed', rec['status'])
        self.assertTrue(rec['watchdog_gave_up_at'])
        self.assertIn('gave up', faults.attention(rec))


class TestStateLock(testtools.TestCase):

    def test_stale_writer_keeps_new_pid(self):
        """A heal restarts a process (new pid) through one State object;
        `down` holding an older copy marks the state: the new pid stays.
        """
        wd = self.useFixture(fixtures.TempDir()).path
        old = process.State(wd)
        old.add_process('db', {'pid': 1})
        healer = process.State.load(wd)
        healer.add_process('db', {'pid': 2})
        old.set('status', 'stopping')
        data = process.State.load(wd).data
        self.assertEqual(2, data['processes']['db']['pid'])
        self.assertEqual('stopping', data['status'])

    def test_no_process_starts_once_stopping(self):
        wd = self.useFixture(fixtures.TempDir()).path
        st = process.State(wd)
        st.set('status', 'stopping')
        self.assertRaises(process.Aborted, process.start, st, 'x',
                          ['true'], os.path.join(wd, 'x.log'))

    def test_lock_nests_in_one_thread_and_excludes_others(self):
        wd = self.useFixture(fixtures.TempDir()).path
        got = []
        with process.state_lock(wd):
            with process.state_lock(wd):
                t = threading.Thread(target=lambda: got.append(
                    process.State(wd).set('x', 1)))
                t.start()
                t.join(0.3)
                self.assertEqual([], got)      # blocked by us
        t.join(5)
        self.assertEqual([None], got)


class TestWorkdirOwnership(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_non_empty_foreign_directory_refused(self):
        wd = os.path.join(self.tmp, 'mine')
        os.makedirs(wd)
        with open(os.path.join(wd, 'thesis.tex'), 'w') as f:
            f.write('x')
        e = self.assertRaises(process.DeployError, workdir_mod.claim, wd)
        self.assertIn('not empty', str(e))
        self.assertFalse(workdir_mod.is_ours(wd))

    def test_created_directory_is_private_and_removed(self):
        wd = os.path.join(self.tmp, 'new')
        workdir_mod.claim(wd)
        self.assertEqual(0o700, os.stat(wd).st_mode & 0o777)
        os.makedirs(os.path.join(wd, 'logs'))
        workdir_mod.claim(wd)        # ours: claimed again (redeploy)
        self.assertEqual([], workdir_mod.remove(wd))
        self.assertFalse(os.path.exists(wd))

    def test_adopted_directory_keeps_what_is_not_ours(self):
        wd = os.path.join(self.tmp, 'empty')
        os.makedirs(wd)
        workdir_mod.claim(wd)
        os.makedirs(os.path.join(wd, 'etc'))
        workdir_mod.record_entries(wd)
        for name in ('reports', 'notes.txt'):
            with open(os.path.join(wd, name), 'w') as f:
                f.write('x')
        self.assertEqual(['notes.txt', 'reports'], workdir_mod.remove(wd))
        self.assertTrue(os.path.isdir(wd))
        self.assertFalse(os.path.exists(os.path.join(wd, 'etc')))


class TestRedactionForms(testtools.TestCase):

    def test_every_form(self):
        cases = {
            'OS_PASSWORD=hunter2x': 'OS_PASSWORD=***',
            'export OS_PASSWORD="a b c"': 'export OS_PASSWORD="***"',
            'db_password = hunter2x': 'db_password = ***',
            'memcache_secret_key = hunter2x': 'memcache_secret_key = ***',
            'rabbit://u:pw1@h1:5672,v:pw2@h2:5672/vh':
                'rabbit://u:***@h1:5672,v:***@h2:5672/vh',
            'Authorization: Basic dXNlcjpwYXNz':
                'Authorization: Basic ***',
            "{'X-Auth-Token': 'abc123'}": "{'X-Auth-Token': '***'}",
            '--os-password hunter2x --x': '--os-password *** --x',
            'token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig':
                'token: ***',
        }
        for raw, want in cases.items():
            self.assertEqual(want, redact.text(raw), raw)

    def test_argv_and_data(self):
        self.assertEqual(['x', '--os-token', '***'],
                         redact.argv(['x', '--os-token', 'abc']))
        self.assertEqual({'memcache_secret_key': '***', 'n': 1},
                         redact.data({'memcache_secret_key': 'k', 'n': 1}))


class TestPromptAbort(testtools.TestCase):

    def test_interrupt_does_not_wait_for_running_steps(self):
        """Ctrl-C while a step runs: the graph returns at once (the step
        sees the abort event), not when the step would have finished.
        """
        d = deployer.Deployer.__new__(deployer.Deployer)
        d.abort = threading.Event()
        d.timings = {}
        d.progress = deployer.Progress(lambda msg: None)
        finished = []

        def long_step():
            # a db sync polling the abort event, as process.run does
            if d.abort.wait(60):
                raise process.Aborted('stopped')
            finished.append('slow')
        real_wait = concurrent.futures.wait
        calls = []

        def wait(fs, timeout=None, return_when=None):
            calls.append(1)
            if len(calls) == 1:
                raise KeyboardInterrupt()
            return real_wait(fs, timeout=timeout)
        t0 = time.monotonic()
        with mock.patch.object(concurrent.futures, 'wait', wait):
            self.assertRaises(KeyboardInterrupt, d._run_graph,
                              [('slow', (), long_step)])
        self.assertLess(time.monotonic() - t0, 30)
        self.assertTrue(d.abort.is_set())
        self.assertEqual([], finished)


class TestLockNestsUnderAnyName(testtools.TestCase):

    def test_symlinked_directory_is_the_same_lock(self):
        """`fault heal --workdir <symlink>` holds the journal lock under
        one spelling while the restart records its pid under the
        inventory's: the same file, so the lock must nest, not block.
        """
        real = self.useFixture(fixtures.TempDir()).path
        link = os.path.join(self.useFixture(fixtures.TempDir()).path, 'l')
        os.symlink(real, link)
        done = []

        def nested():
            with filelock.locked(os.path.join(link, process.STATE_LOCK)):
                with filelock.locked(os.path.join(real, process.STATE_LOCK),
                                     timeout=2):
                    done.append(True)
        t = threading.Thread(target=nested)
        t.start()
        t.join(10)
        self.assertEqual([True], done)


class TestHealVerifiesOutsideTheLock(testtools.TestCase):

    def test_state_lock_free_while_recovery_is_verified(self):
        """A slow recovery check must not hold up `down` or other faults:
        the state lock is free while heal() waits for the recovery.
        """
        wd = self.useFixture(fixtures.TempDir()).path
        inv = test_faults._inventory(wd)
        _ours(inv, wd)
        ex = test_faults.FakeExecutor(inv, 'fake(x)')
        free = []

        def verify_healed(action, record, timeout):
            def other_process_like():
                try:
                    with filelock.locked(os.path.join(
                            wd, process.STATE_LOCK), timeout=2):
                        free.append(True)
                except filelock.LockTimeout:
                    free.append(False)
            t = threading.Thread(target=other_process_like)
            t.start()
            t.join()
            return ['ok']
        ex.verify_healed = verify_healed
        with mock.patch.object(targets, 'parse', return_value=ex):
            rec = faults.inject(inv, 'fake(x):break', ttl=5, watchdog=False)
            self.assertEqual('healed', faults.heal(rec['id'], inv=inv)[
                'status'])
        self.assertEqual([True], free)


class TestHealOfAnInterruptedStop(testtools.TestCase):

    def test_process_still_shutting_down_is_restarted(self):
        """The injecting command died between SIGTERM and the process's
        exit: heal must not take the exiting process for a healthy one.
        """
        wd = self.useFixture(fixtures.TempDir()).path
        inv = test_faults._inventory(wd)
        ex = targets.parse(inv, 'service(nova-scheduler)')
        rec = {'pid': 42, 'create_time': 7.0}
        procs = mock.Mock()
        procs.record.return_value = rec
        procs.alive.return_value = True
        ex.procs = procs
        ex.heal('stop', {'process': {'pid': 42, 'create_time': 7.0}})
        procs.stop.assert_called_once_with(rec)
        procs.restart.assert_called_once_with('nova-scheduler')
        # already restarted by someone (another pid): just make sure
        procs.reset_mock()
        ex.heal('stop', {'process': {'pid': 41, 'create_time': 6.0}})
        procs.stop.assert_not_called()
        procs.restart.assert_called_once_with('nova-scheduler')


class TestFreezeReachesTheWholeTree(testtools.TestCase):

    def test_descendant_in_its_own_session_is_frozen_and_thawed(self):
        """Like RabbitMQ's erl_child_setup: a child that called setsid is
        not in the recorded process group; freeze must stop it too.
        """
        parent = subprocess.Popen(
            [sys.executable, '-c', 'import subprocess, sys, time; '
             'subprocess.Popen([sys.executable, "-c", "import time; '
             'time.sleep(60)"], start_new_session=True); time.sleep(60)'],
            start_new_session=True)
        self.addCleanup(lambda: [p.kill() for p in [psutil.Process(
            parent.pid)] + psutil.Process(parent.pid).children(True)])
        deadline = time.monotonic() + 20
        while not psutil.Process(parent.pid).children() and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        rec = {'pid': parent.pid, 'pgid': parent.pid,
               'create_time': psutil.Process(parent.pid).create_time()}
        procs = targets.Processes.__new__(targets.Processes)
        members = procs.members(rec)
        self.assertEqual(2, len(members))
        self.assertNotEqual(os.getpgid(members[0].pid),
                            os.getpgid(members[1].pid))
        procs.signal_tree(rec, 19)          # SIGSTOP
        time.sleep(0.2)
        self.assertEqual({'stopped'}, {m.status() for m in members})
        procs.signal_tree(rec, 18)          # SIGCONT
        time.sleep(0.2)
        self.assertNotIn('stopped', {m.status() for m in members})
