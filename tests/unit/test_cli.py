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

"""The command line's shared habits: exit codes, global flags, logging."""

import argparse
import configparser
import logging
import os
import shutil
import socket
import tempfile

import fixtures
import testtools

from cellv2_conformance.cmd import exitcodes
from cellv2_conformance.cmd import main
from cellv2_conformance.cmd import run as run_cmd
from cellv2_conformance.cmd import shell
from cellv2_conformance.faults import targets
from cellv2_conformance import redact


def _subparsers(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sp in action.choices.items():
                yield prefix + (name,), sp
                yield from _subparsers(sp, prefix + (name,))


class CliTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.stdout = self.useFixture(fixtures.StringStream('stdout')).stream
        self.stderr = self.useFixture(fixtures.StringStream('stderr')).stream
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', self.stdout))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', self.stderr))
        root = logging.getLogger()
        self.addCleanup(root.setLevel, root.level)
        self.addCleanup(self._drop_handlers)
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)

    def _drop_handlers(self):
        root = logging.getLogger()
        for h in list(root.handlers):
            if getattr(h, '_cellv2', False):
                root.removeHandler(h)
                h.close()

    def exit_code(self, *argv):
        e = self.assertRaises(SystemExit, main.main, list(argv))
        return e.code

    def err(self):
        self.stderr.seek(0)
        return self.stderr.read()

    def out(self):
        self.stdout.seek(0)
        return self.stdout.read()

    def test_usage_errors_exit_64_not_2(self):
        self.assertEqual(exitcodes.USAGE, self.exit_code())
        self.assertEqual(exitcodes.USAGE, self.exit_code('run', '--bogus'))
        self.assertEqual(exitcodes.USAGE, self.exit_code(
            'run', '--concurrency', 'two'))
        self.assertEqual(exitcodes.USAGE, self.exit_code('fault', 'inject'))
        self.assertEqual(exitcodes.USAGE, self.exit_code(
            'report', '--compare', 'only-one'))
        self.assertEqual(exitcodes.USAGE, self.exit_code(
            'report', '--compare', 'a', 'b', '--threshold', '0.9'))
        self.assertIn('error: argument --threshold: must be a ratio above '
                      '1.0', self.err())
        for opt in ('--threshold', '--min-delta'):
            self.assertEqual(exitcodes.USAGE, self.exit_code(
                'report', '--compare', 'a', 'b', opt, 'nan'))

    def test_fault_action_is_one_of_the_executors_actions(self):
        self.assertEqual(exitcodes.USAGE, self.exit_code(
            'fault', 'inject', '--target', 'cell1.db', '--action',
            'explode'))
        self.assertIn("invalid choice: 'explode' (choose from 'disable', "
                      "'disable-restart', 'down', 'fail', 'freeze', "
                      "'revoke', 'stop')", self.err())
        self.assertEqual(['disable', 'disable-restart', 'down', 'fail',
                          'freeze', 'revoke',
                          'stop'], targets.known_actions())

    def test_version(self):
        self.assertEqual(0, self.exit_code('--version'))
        self.assertTrue(self.out().startswith('cellv2-conformance '))
        self.assertNotIn('unknown', self.out())

    def test_every_help_documents_the_exit_codes(self):
        self.useFixture(fixtures.EnvironmentVariable('COLUMNS', '80'))
        parser = main.build_parser()
        pages = [(('top',), parser.format_help())] + [
            (name, sp.format_help()) for name, sp in _subparsers(parser)]
        self.assertGreater(len(pages), 12)
        for name, text in pages:
            for code in ('  0 ', '  1 ', '  2 ', '  64 ', '  130 '):
                self.assertIn(code, text, '%s --help' % ' '.join(name))
            self.assertIn('--debug', text, name)
            wide = [ln for ln in text.splitlines() if len(ln) > 80]
            self.assertEqual([], wide, '%s --help' % ' '.join(name))

    def test_global_flags_before_or_after_the_command(self):
        parser = main.build_parser()
        a = parser.parse_args(['--debug', '-v', 'status'])
        b = parser.parse_args(['status', '--debug', '-v'])
        c = parser.parse_args(['fault', 'list', '-q', '--log-file', 'x'])
        d = parser.parse_args(['status'])
        self.assertEqual((True, 1), (a.debug, a.verbose))
        self.assertEqual((True, 1), (b.debug, b.verbose))
        self.assertEqual((True, 'x'), (c.quiet, c.log_file))
        self.assertEqual((False, 0, False, None),
                         (d.debug, d.verbose, d.quiet, d.log_file))

    def test_console_levels(self):
        parser = main.build_parser()

        def level(*argv):
            return shell.console_level(parser.parse_args(list(argv)))
        self.assertEqual(logging.WARNING, level('status'))
        self.assertEqual(logging.INFO, level('-v', 'status'))
        self.assertEqual(logging.DEBUG, level('-vv', 'status'))
        self.assertEqual(logging.ERROR, level('-q', 'status'))
        self.assertEqual(logging.DEBUG, level('-q', '--debug', 'status'))

    def test_setup_error_exit_2_traceback_only_with_debug(self):
        log = os.path.join(self.dir, 'cli.log')
        missing = os.path.join(self.dir, 'none')
        self.assertEqual(exitcodes.CANNOT_RUN, main.main(
            ['--log-file', log, 'status', '--workdir', missing]))
        self.assertIn('error: no deployment in %s' % missing, self.err())
        self.assertNotIn('Traceback', self.err())
        with open(log) as f:
            self.assertIn('Traceback', f.read())      # always in the file
        self.assertEqual(exitcodes.CANNOT_RUN, main.main(
            ['status', '--workdir', missing, '--debug']))
        self.assertIn('Traceback', self.err())

    def test_internal_error_one_line_without_debug(self):
        def boom(args):
            raise RuntimeError('harness bug')
        parser = main.build_parser()
        orig = parser.parse_args

        def parse(argv):
            ns = orig(argv)
            ns.func = boom
            return ns
        parser.parse_args = parse
        self.patch(main, 'build_parser', lambda: parser)
        self.assertEqual(exitcodes.CANNOT_RUN, main.main(['scenarios']))
        self.assertIn('internal error: RuntimeError: harness bug (run with '
                      '--debug for the traceback)', self.err())
        self.assertNotIn('Traceback', self.err())

    def test_log_file_is_redacted(self):
        secret = 'S3cretLogPassw0rd'
        redact.register(secret)
        log = os.path.join(self.dir, 'cli.log')
        args = main.build_parser().parse_args(['--log-file', log, 'status'])
        shell.setup_logging(args)
        logging.getLogger('keystoneauth.session').debug(
            'REQ: curl -d \'{"password": "%s"}\'', secret)
        logging.getLogger('x').warning('url mysql://nova:%s@db/x', secret)
        self._drop_handlers()
        with open(log) as f:
            text = f.read()
        self.assertIn('REQ: curl', text)
        self.assertNotIn(secret, text)
        self.assertNotIn(secret, self.err())
        self.assertIn('WARNING x: url mysql://nova:***@db/x', self.err())

    def test_unwritable_log_file_exits_2(self):
        self.assertEqual(exitcodes.CANNOT_RUN, main.main(
            ['--log-file', os.path.join(self.dir, 'no', 'dir.log'),
             'scenarios']))
        self.assertIn('cannot open --log-file', self.err())


class KeystonePreflightTest(testtools.TestCase):
    """validate's keystone pre-flight (keystoneauth1) against a port where
    nothing listens: a real connection refused, no mock.
    """

    def conf(self, with_credentials=True):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        cp = configparser.ConfigParser()
        cp['identity'] = {'uri_v3': 'http://127.0.0.1:%d/v3' % port}
        if with_credentials:
            cp['auth'] = {'admin_username': 'admin',
                          'admin_password': 'NotPrinted123',
                          'admin_project_name': 'admin'}
        return cp

    def test_unreachable_with_credentials(self):
        e = self.assertRaises(run_cmd.SetupError, run_cmd.check_keystone,
                              self.conf(), timeout=5)
        self.assertIn('is unreachable: ConnectFailure', str(e))
        self.assertNotIn('NotPrinted123', str(e))

    def test_unreachable_without_credentials(self):
        e = self.assertRaises(run_cmd.SetupError, run_cmd.check_keystone,
                              self.conf(False), timeout=5)
        self.assertIn('is unreachable', str(e))
