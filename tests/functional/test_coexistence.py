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

"""cellv2-conformance installed in one tempest next to blazar-tempest-plugin
(normal in a gate that tests Blazar): both plugins load, both register
their options (they share ``[service_available] blazar``), our checks are
listed and run against a deployed cloud.

blazar-tempest-plugin and what its tests import (gabbi) are installed with
``pip install --no-deps --target`` into a cache directory outside the
project's virtualenv (pinned in ``blazar-tempest-plugin.txt``) and put on
PYTHONPATH for the commands of this test only, so stevedore sees its entry
point there and no other test sees it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from tests.functional import base

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PINS = os.path.join(HERE, 'blazar-tempest-plugin.txt')
CHECKS = (r'cellv2_conformance\.tests\.(api\.test_reservation_negative\.'
          r'MicroversionNegativeTest|api\.test_topology\.CellTopologyTest)')


def install_blazar_tempest_plugin():
    """The directory holding blazar-tempest-plugin (cached by the hash of
    the pins file; installed atomically).
    """
    with open(PINS, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    cache = os.path.join(os.path.expanduser('~'), '.cache',
                         'cellv2-conformance', 'plugins',
                         'blazar-tempest-plugin-%s' % digest)
    if os.path.isdir(cache):
        return cache
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.install-', dir=os.path.dirname(cache))
    try:
        p = subprocess.run(
            [sys.executable, '-m', 'pip', 'install', '--quiet',
             '--disable-pip-version-check', '--no-deps', '--target', tmp,
             '-r', PINS], capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise AssertionError('pip could not install %s:\n%s' % (
                PINS, p.stderr[-3000:]))
        os.rename(tmp, cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return cache


class TestBlazarTempestPluginCoexistence(base.FunctionalTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plugin_dir = install_blazar_tempest_plugin()
        cls.env = dict(os.environ)
        cls.env['PYTHONPATH'] = os.pathsep.join(
            p for p in (cls.plugin_dir, ROOT,
                        os.environ.get('PYTHONPATH')) if p)
        cls.env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + \
            cls.env.get('PATH', '')

    def _run(self, argv, cwd=None, timeout=900):
        p = subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        return p

    def _cli(self, *args):
        return self._run(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main'] +
            list(args))

    def test_both_plugins_beside_each_other(self):
        # 1. both plugins are loaded by tempest
        p = self._run(['tempest', 'list-plugins'])
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertIn('blazar_tests', p.stdout)
        self.assertIn('cellv2_conformance', p.stdout)

        # 2. both load orders, at the level of oslo.config (the unit test
        # uses the real blazar-tempest-plugin when it is importable)
        p = self._run([sys.executable, '-m', 'testtools.run',
                       'tests.unit.test_plugin.TestCoexistence'], cwd=ROOT)
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        p = self._run([sys.executable, '-c',
                       'import blazar_tempest_plugin.plugin'], cwd=ROOT)
        self.assertEqual(0, p.returncode, p.stderr)

        # 3. a cloud; our checks listed and run with both plugins loaded
        wd = self.make_workdir()
        self.addCleanup(base.cli, 'down', '--workdir', wd)
        r = base.cli('deploy', '--scenario', 'single-cell', '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stdout[-3000:] + r.stderr[-3000:])
        conf = os.path.join(wd, 'tempest', 'etc', 'tempest.conf')
        self._options_of_both_plugins(conf)
        self._tests_of_both_listed(conf, os.path.join(wd, 'tempest'))
        self._our_checks_run(conf)

        r = base.cli('down', '--workdir', wd)
        self.assertEqual(0, r.returncode, r.stderr)

    def _options_of_both_plugins(self, conf):
        """tempest's own CONF, loading every installed plugin's options."""
        code = (
            'import json, sys\n'
            'from tempest import config\n'
            'config.CONF.set_config_path(sys.argv[1])\n'
            'c = config.CONF\n'
            'print(json.dumps({\n'
            '  "blazar": c.service_available.blazar,\n'
            '  "inventory": bool(c.cellv2.inventory),\n'
            '  "strict_findings": c.cellv2.strict_findings,\n'
            '  "catalog_type": c.reservation.catalog_type,\n'
            '  "lease_end_timeout":\n'
            '      c.resource_reservation.lease_end_timeout,\n'
            '}))\n')
        p = self._run([sys.executable, '-c', code, conf])
        self.assertEqual(0, p.returncode, p.stdout + p.stderr)
        self.assertNotIn('DuplicateOptError', p.stderr)
        self.assertNotIn('raised an exception trying to run register_opts',
                         p.stdout + p.stderr)
        got = json.loads(p.stdout.strip().splitlines()[-1])
        self.assertEqual({'blazar': True, 'inventory': True,
                          'strict_findings': False,
                          'catalog_type': 'reservation',
                          'lease_end_timeout': 300}, got)

    def _tests_of_both_listed(self, conf, cwd):
        self._run([sys.executable, '-m', 'stestr', 'init'], cwd=cwd)
        p = self._run(['tempest', 'run', '--config-file', conf, '--regex',
                       '(cellv2_conformance|blazar_tempest_plugin)',
                       '--list-tests'], cwd=cwd)
        self.assertEqual(0, p.returncode, p.stdout[-3000:] + p.stderr)
        ids = p.stdout.split()
        ours = [i for i in ids if i.startswith('cellv2_conformance.tests.')]
        theirs = [i for i in ids if i.startswith('blazar_tempest_plugin.')]
        self.assertGreater(len(ours), 100, p.stdout[-2000:])
        self.assertTrue(theirs, p.stdout[-2000:])

    def _our_checks_run(self, conf):
        reports = os.path.join(self.make_workdir(), 'reports')
        r = self._cli('validate', '--tempest-conf', conf, '--report-dir',
                      reports, '--regex', CHECKS)
        with open(os.path.join(reports, 'run.json')) as f:
            doc = json.load(f)
        self.assertEqual(0, r.returncode, r.stdout[-3000:] + r.stderr[-2000:])
        counts = doc['counts']
        self.assertEqual(0, counts['fail'], counts)
        self.assertGreaterEqual(counts['success'], 3, counts)
        # the known finding of the microversion class is recorded exactly
        self.assertEqual(['blazar-microversion-0x-400'],
                         [f['id'] for f in doc['findings']])
        self.assertEqual(1, counts['xfail'], counts)
        self.assertFalse([t['id'] for t in doc['results']
                          if t['id'].startswith('blazar_tempest_plugin')])
