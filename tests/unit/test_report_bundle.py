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

"""Report directories: redacted copies, regeneration, the CLI pieces."""

import configparser
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

import fixtures
import testtools

from cellv2_conformance.cmd import report as report_cmd
from cellv2_conformance.cmd import run as run_cmd
from cellv2_conformance import redact
from cellv2_conformance.report import bundle
from cellv2_conformance.report import document
from tests.unit import test_report_document as docs
from tests.unit import test_report_results as fx


class BundleTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def test_copy_redacted_from_offset(self):
        src = self.path('src.log')
        with open(src, 'w') as f:
            f.write('old line\n')
        offset = bundle.file_size(src)
        with open(src, 'a') as f:
            f.write('url mysql://nova:%s@db/x\n' % docs.SECRET)
        self.assertTrue(bundle.copy_redacted(src, self.path('dst.log'),
                                             offset))
        with open(self.path('dst.log')) as f:
            text = f.read()
        self.assertNotIn('old line', text)
        self.assertNotIn(docs.SECRET, text)
        self.assertFalse(bundle.copy_redacted(self.path('nope'),
                                              self.path('x')))

    def test_generate_from_dir(self):
        doc = docs.sample_doc()
        doc['results'] = []          # regenerated from the stream
        document.write(self.path('run.json'), doc)
        with open(self.path('results.subunit'), 'wb') as f:
            f.write(fx.make_stream(fx.sample_tests()))
        with open(self.path('timings.jsonl'), 'w') as f:
            f.write(json.dumps({'op': 'boot', 'cell': 'cell1',
                                'seconds': 1.0}) + '\n')
        with open(self.path('tempest.log'), 'w') as f:
            f.write('2026-01-02 03:04:05.000 1 INFO x [r] Request (A:b): 200 '
                    'GET http://127.0.0.1:20504/v2.1/servers 0.100s\n')
        with open(self.path('faults.jsonl'), 'w') as f:
            f.write(json.dumps({'id': 'f9', 'event': 'injected',
                                'at': fx.T0.isoformat()}) + '\n')
            f.write(json.dumps({'id': 'f9', 'event': 'cleared',
                                'at': '2026-01-02T03:04:09+00:00'}) + '\n')
        out = io.StringIO()
        self.patch(report_cmd, '_say', lambda m: out.write(m + '\n'))

        class Args:
            from_dir = self.dir
            compare = None
        self.assertEqual(1, report_cmd.cmd_report(Args))
        for name in ('report.html', 'junit.xml', 'summary.md'):
            self.assertTrue(os.path.exists(self.path(name)), name)
        again = document.load(self.path('run.json'))
        self.assertEqual(7, again['counts']['total'])
        self.assertIn('report.html', again['artifacts'])
        self.assertEqual([('f9', 4.0)], [(w['id'], w['duration_s'])
                                         for w in again['faults']])
        # the original run's environment and times are kept
        self.assertEqual(doc['started_at'], again['started_at'])
        self.assertEqual('cell1', again['environment']['topology'][
            'cells'][0]['name'])
        with open(self.path('report.html')) as f:
            self.assertIn('nova-api', f.read())

    def test_report_from_non_report_dir(self):
        self.patch(report_cmd, '_err', lambda m: None)

        class Args:
            from_dir = self.dir
            compare = None
        self.assertEqual(2, report_cmd.cmd_report(Args))

    def test_schema_major_checked(self):
        with open(self.path('run.json'), 'w') as f:
            json.dump({'schema_version': '99.0'}, f)
        self.assertRaises(ValueError, document.load, self.path('run.json'))


class CliPiecesTest(testtools.TestCase):

    def conf(self, text):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        p = os.path.join(d, 'tempest.conf')
        with open(p, 'w') as f:
            f.write(text)
        return p

    def test_conf_without_cellv2_section(self):
        p = self.conf('[identity]\nuri_v3 = http://k/v3\n')
        e = self.assertRaises(run_cmd.SetupError, run_cmd.check_conf,
                              run_cmd.read_conf(p), p)
        self.assertIn('no [cellv2] section', str(e))

    def test_missing_conf(self):
        e = self.assertRaises(run_cmd.SetupError, run_cmd.read_conf,
                              '/nonexistent/tempest.conf')
        self.assertIn('does not exist', str(e))

    def test_admin_password_registered(self):
        p = self.conf('[auth]\nadmin_password = VerySecret77\n')
        run_cmd.read_conf(p)
        self.assertEqual('x ***', redact.text('x VerySecret77'))

    def test_derived_conf_private_and_complete(self):
        p = self.conf('[DEFAULT]\n[cellv2]\ninventory = /a.yaml\n'
                      '[auth]\nadmin_password = pw%s\n' % 'x' * 1)
        ws = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, ws)
        path, cp = run_cmd.derived_conf(run_cmd.read_conf(p), ws,
                                        inventory_path='/b.yaml')
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        again = configparser.ConfigParser(interpolation=None)
        again.read(path)
        self.assertEqual('/b.yaml', again.get('cellv2', 'inventory'))
        self.assertEqual(os.path.join(ws, 'timings.jsonl'),
                         again.get('cellv2', 'timings_file'))
        self.assertEqual(os.path.join(ws, 'tempest.log'),
                         again.get('DEFAULT', 'log_file'))

    def test_progress_lines_match_zuul_failure_regex(self):
        import re
        import subunit
        lines = []
        prog = run_cmd._Progress(lines.append)
        prog.startTestRun()
        subunit.ByteStreamToStreamResult(io.BytesIO(fx.make_stream(
            fx.sample_tests()))).run(prog)
        prog.stopTestRun()
        failed = [ln for ln in lines if re.match(
            r'\{\d+\} (.*?) \[[\d\.]+s\] \.\.\. FAILED', ln)]
        self.assertEqual(3, len(failed))
        text = '\n'.join(lines)
        self.assertIn('SKIPPED: expected_cells < 2', text)
        self.assertIn('test_known [0.500s] ... ok (known finding): '
                      'blazar-500', text)
        self.assertIn('test_gone [0.300s] ... ok (finding no longer '
                      'reproduced): blazar-500', text)

    def test_exit_codes(self):
        code = run_cmd._exit_code
        self.assertEqual(0, code({'verdict': 'pass'}, 0, False))
        self.assertEqual(1, code({'verdict': 'fail'}, 1, False))
        self.assertEqual(1, code({'verdict': 'pass'}, 1, False))
        self.assertEqual(2, code({'verdict': 'error', 'results': []}, 1,
                                 False))
        self.assertEqual(130, code({'verdict': 'pass'}, 0, True))


class ConfCopyTest(testtools.TestCase):

    def test_default_section_not_spread(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        src = os.path.join(d, 'src.conf')
        with open(src, 'w') as f:
            f.write('[DEFAULT]\nlog_dir = /var/log/t\nlog_file = t.log\n'
                    '[identity]\nuri_v3 = http://k/v3\n')
        cp = run_cmd.read_conf(src)
        self.assertEqual('/var/log/t/t.log', run_cmd.conf_path_opt(
            cp, 'DEFAULT', 'log_file', d))
        ws = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, ws)
        path, _ = run_cmd.derived_conf(cp, ws)
        with open(path) as f:
            text = f.read()
        self.assertEqual(1, text.count('log_dir'))
        self.assertIn('[cellv2]', text)


class SignalTest(testtools.TestCase):

    def test_sigterm_unwinds_like_ctrl_c(self):
        import signal
        before = signal.getsignal(signal.SIGTERM)

        def body():
            with run_cmd._sigterm_as_interrupt():
                os.kill(os.getpid(), signal.SIGTERM)
        self.assertRaises(KeyboardInterrupt, body)
        self.assertEqual(before, signal.getsignal(signal.SIGTERM))


class RedactStreamTest(testtools.TestCase):

    def test_secrets_masked_and_stream_still_valid(self):
        from cellv2_conformance.report import results
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        src, dst = os.path.join(d, 'raw'), os.path.join(d, 'clean')
        tests = fx.sample_tests()
        tests[0]['details'] = {'pythonlogging': 'X-Auth-Token: '
                               'gAAAAAB0123456789abcdefghijABCDEFG'}
        with open(src, 'wb') as f:
            f.write(fx.make_stream(tests, garbage=b'password=hunter2x\n'))
        bundle.redact_stream(src, dst)
        with open(dst, 'rb') as f:
            data = f.read()
        self.assertNotIn(b'hunter2x', data)
        self.assertNotIn(b'gAAAAAB0123456789', data)
        self.assertIn(b'AssertionError', data)
        self.assertNotIn(b's3cretpw', data)
        self.assertEqual(
            [r['status'] for r in results.parse_bytes(fx.make_stream(
                fx.sample_tests()))],
            [r['status'] for r in results.parse_file(dst)])

    def test_truncated_stream(self):
        from cellv2_conformance.report import results
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        src, dst = os.path.join(d, 'raw'), os.path.join(d, 'clean')
        data = fx.make_stream(fx.sample_tests())
        with open(src, 'wb') as f:
            f.write(data[:-7])          # a worker killed mid-packet
        bundle.redact_stream(src, dst)
        recs = {r['id']: r for r in results.parse_file(dst)}
        # the five complete tests, the cut one as a failure, and the
        # parser's own report of the damage
        self.assertEqual(8, len(recs))
        self.assertEqual('fail', recs['subunit.parser']['status'])
        self.assertIn('never reported', recs[
            'setUpClass (%s)' % fx.CLS]['failure'])


class ValidateWorkspaceTest(testtools.TestCase):
    """A killed validate's scratch directory (its tempest.conf holds the
    admin password) is removed by the next run; a live run's is kept.
    """

    def test_stale_workspace_of_a_dead_run_is_swept(self):
        parent = self.useFixture(fixtures.TempDir()).path
        mine = run_cmd.new_workspace(parent)
        self.assertEqual(0o700, os.stat(mine).st_mode & 0o777)
        dead = run_cmd.new_workspace(parent)
        proc = subprocess.Popen([sys.executable, '-c', 'pass'])
        proc.wait()
        with open(os.path.join(dead, run_cmd.WORKSPACE_OWNER), 'w') as f:
            f.write('%d\n' % proc.pid)
        foreign = os.path.join(parent, run_cmd.WORKSPACE_PREFIX + 'x')
        os.mkdir(foreign)
        removed = run_cmd.sweep_stale_workspaces(parent)
        self.assertEqual([dead], removed)
        self.assertTrue(os.path.isdir(mine))
        self.assertTrue(os.path.isdir(foreign))
