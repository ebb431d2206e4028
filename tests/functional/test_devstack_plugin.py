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

"""devstack/plugin.sh, for real, against a locally deployed cloud.

DevStack itself cannot run here; ``devstack_stub.sh`` stands in for the
few DevStack functions the plugin calls, with DevStack's semantics.  The
plugin's phases run as stack.sh runs them (sourced, errexit on): ``stack
install`` pip-installs this checkout into a DevStack-like venv, ``stack
test-config`` discovers the cells inventory from the deployed nova.conf and
writes ``[cellv2]`` into a tempest.conf that had none.  Then the Zuul base
job's own test-config options are merged (as DevStack's local.conf
test-config would) and ``cellv2-conformance validate`` must pass with it
(a narrow selection: the full suite on a discovered inventory is tested
elsewhere).
"""

import configparser
import json
import os
import shutil
import stat
import subprocess
import sysconfig
import tempfile
import venv

import testtools
import yaml

from tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
STUB = os.path.join(ROOT, 'tests', 'functional', 'devstack_stub.sh')
REGEX = r'cellv2_conformance\.tests\.api\.test_topology\.CellTopologyTest'
ROLE = 'cellv2_cross_cell'


def _base_job_test_config():
    """[cellv2] options zuul.d's base job sets through local.conf."""
    with open(os.path.join(ROOT, 'zuul.d', 'jobs.yaml')) as f:
        jobs = {e['job']['name']: e['job'] for e in yaml.safe_load(f)}
    conf = jobs['cellv2-conformance-base']['vars']['devstack_local_conf']
    return conf['test-config']['$TEMPEST_CONFIG']


class TestDevstackPlugin(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='cellv2-devstack-')
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        # CELLV2_DEVSTACK_TEST_CLOUD: an already deployed workdir to use
        # (left running) while iterating on this test.
        cls.cloud = os.environ.get('CELLV2_DEVSTACK_TEST_CLOUD')
        if not cls.cloud:
            cls.cloud = os.path.join(cls.tmp, 'cloud')
            cls.addClassCleanup(base.cli, 'down', '--workdir', cls.cloud)
            base.cli('deploy', '--scenario', 'single-cell', '--workdir',
                     cls.cloud, timeout=1200, check=True)
        cls.ds = os.path.join(cls.tmp, 'devstack')
        dest = os.path.join(cls.ds, 'opt', 'stack')
        os.makedirs(dest)
        os.symlink(ROOT, os.path.join(dest, 'cellv2-conformance'))
        for d in ('data', 'requirements', 'etc/nova'):
            os.makedirs(os.path.join(cls.ds, d))
        shutil.copy(os.path.join(ROOT, 'constraints',
                                 'upper-constraints.txt'),
                    os.path.join(cls.ds, 'requirements'))
        # DevStack's global venv, already holding what DevStack installed
        # before the plugin (here: this interpreter's packages).
        cls.venv = os.path.join(cls.ds, 'venv')
        venv.create(cls.venv, with_pip=True)
        pth = os.path.join(sysconfig.get_paths(
            vars={'base': cls.venv, 'platbase': cls.venv})['purelib'],
            'devstack-stub-base.pth')
        with open(pth, 'w') as f:
            f.write(sysconfig.get_paths()['purelib'] + '\n')
        cls.env = dict(
            os.environ, DEST=dest, DATA_DIR=os.path.join(cls.ds, 'data'),
            GLOBAL_VENV='True', DEVSTACK_VENV=cls.venv,
            REQUIREMENTS_DIR=os.path.join(cls.ds, 'requirements'),
            ENABLED_SERVICES='key,n-api,n-cond,n-sch,n-cpu,placement-api,'
                             'g-api,q-svc,tempest',
            NOVA_CONF=os.path.join(cls.cloud, 'etc', 'nova', 'nova.conf'),
            NOVA_CONF_DIR=os.path.join(cls.ds, 'etc', 'nova'),
            NOVA_NUM_CELLS='1',
            OS_CLIENT_CONFIG_FILE=os.path.join(cls.cloud, 'clouds.yaml'),
            STUB_OS_CLOUD='cellv2-conformance')
        cls.install = cls._phase(cls.env, 'install')

    @classmethod
    def _phase(cls, env, phase):
        script = ('set -o errexit; source %s; source %s/devstack/settings; '
                  'source %s/devstack/plugin.sh stack %s' % (
                      STUB, ROOT, ROOT, phase))
        return subprocess.run(['bash', '-c', script], env=env, cwd=cls.ds,
                              capture_output=True, text=True, timeout=900)

    def _tempest_conf(self):
        """The deployed tempest.conf without any [cellv2] section."""
        conf = configparser.RawConfigParser()
        conf.optionxform = str
        conf.read(os.path.join(self.cloud, 'tempest', 'etc',
                               'tempest.conf'))
        conf.remove_section('cellv2')
        path = os.path.join(tempfile.mkdtemp(dir=self.ds), 'tempest.conf')
        with open(path, 'w') as f:
            conf.write(f)
        return path

    def _test_config(self, **extra):
        conf = self._tempest_conf()
        env = dict(self.env, TEMPEST_CONFIG=conf, **extra)
        return self._phase(env, 'test-config'), conf

    def _read(self, path):
        conf = configparser.RawConfigParser()
        conf.read(path)
        return conf

    def test_install_phase_installs_with_dependencies(self):
        self.assertEqual(0, self.install.returncode,
                         self.install.stdout[-2000:] +
                         self.install.stderr[-3000:])
        self.assertNotIn('--no-deps', self.install.stdout)
        show = subprocess.run(
            [os.path.join(self.venv, 'bin', 'pip'), 'show', '-f',
             'cellv2-conformance'], capture_output=True, text=True)
        self.assertIn('Editable project location: %s' % os.path.join(
            self.env['DEST'], 'cellv2-conformance'), show.stdout)
        self.assertTrue(os.access(os.path.join(
            self.venv, 'bin', 'cellv2-conformance'), os.X_OK))

    def test_test_config_writes_what_validate_needs(self):
        self.assertEqual(0, self.install.returncode, self.install.stderr)
        result, conf = self._test_config()
        self.assertEqual(0, result.returncode,
                         result.stdout[-2000:] + result.stderr[-3000:])
        inventory = os.path.join(self.env['DATA_DIR'],
                                 'cells-inventory.yaml')
        written = self._read(conf)
        self.assertEqual(inventory, written.get('cellv2', 'inventory'))
        self.assertEqual('1', written.get('cellv2', 'expected_cells'))
        self.assertFalse(written.has_option('cellv2', 'cross_cell_resize'))
        self.assertEqual(0o600, stat.S_IMODE(os.stat(inventory).st_mode))
        with open(inventory) as f:
            discovered = yaml.safe_load(f)
        with open(os.path.join(self.cloud, 'cells-inventory.yaml')) as f:
            deployed = yaml.safe_load(f)
        self.assertEqual(
            sorted((c['name'], c['database']) for c in deployed['cells']),
            sorted((c['name'], c['database']) for c in discovered['cells']))

        # DevStack merges local.conf's test-config after the plugin.
        for group, options in _base_job_test_config().items():
            for option, value in options.items():
                written.set(group, option, str(value).lower())
        with open(conf, 'w') as f:
            written.write(f)
        reports = os.path.join(self.ds, 'reports')
        run = base.cli('validate', '--tempest-conf', conf, '--report-dir',
                       reports, '--regex', REGEX, '--concurrency', '1',
                       timeout=900)
        self.assertEqual(0, run.returncode,
                         run.stdout[-3000:] + run.stderr[-3000:])
        with open(os.path.join(reports, 'run.json')) as f:
            counts = json.load(f)['counts']
        self.assertGreaterEqual(counts.get('success', 0), 5, counts)

    def test_cross_cell_role_created_when_the_policy_grants_it(self):
        with open(os.path.join(self.env['NOVA_CONF_DIR'],
                               'policy.yaml'), 'w') as f:
            f.write('"compute:servers:resize:cross_cell": "role:%s"\n' %
                    ROLE)
        self.addCleanup(os.unlink, os.path.join(self.env['NOVA_CONF_DIR'],
                                                'policy.yaml'))
        result, conf = self._test_config(CELLV2_CROSS_CELL_ROLE=ROLE)
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        written = self._read(conf)
        self.assertEqual('True', written.get('cellv2', 'cross_cell_resize'))
        self.assertEqual(ROLE, written.get('cellv2',
                                           'cross_cell_resize_role'))
        cloud = base.Cloud(os.path.join(self.cloud, 'cells-inventory.yaml'))
        identity = cloud.catalog['identity'].rstrip('/')
        if not identity.endswith('/v3'):
            identity += '/v3'
        roles = cloud.session.get(identity + '/roles', params={
            'name': ROLE}, timeout=30).json()['roles']
        self.assertEqual([ROLE], [r['name'] for r in roles])

    def test_cross_cell_role_without_the_policy_stops_devstack(self):
        result, conf = self._test_config(CELLV2_CROSS_CELL_ROLE=ROLE)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('%s does not grant compute:servers:resize:cross_cell'
                      ' to role:%s' % (os.path.join(
                          self.env['NOVA_CONF_DIR'], 'policy.yaml'), ROLE),
                      result.stderr)
        self.assertFalse(self._read(conf).has_option(
            'cellv2', 'cross_cell_resize'))
