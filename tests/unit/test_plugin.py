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

"""The tempest plugin: options from one list, test ids well formed."""

import os
import shutil
import subprocess
import sys
import tempfile

import fixtures
from oslo_config import cfg
import testtools

from cellv2_conformance import config
from cellv2_conformance import plugin

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def check_uuid(package, libpath=ROOT):
    """tempest's check-uuid (what `tox -e pep8` runs) on a package."""
    return subprocess.run(
        [sys.executable, '-m', 'tempest.lib.cmd.check_uuid',
         '--package', package, '--libpath', libpath],
        capture_output=True, text=True, timeout=120)


class TestPlugin(testtools.TestCase):

    def test_opt_lists_match_list_opts(self):
        p = plugin.CellV2ConformancePlugin()
        got = {name: [o.name for o in opts]
               for name, opts in p.get_opt_lists()}
        listed = {g.name: [o.name for o in opts]
                  for g, opts in config.list_opts()}
        self.assertEqual(listed, got)
        self.assertIn('inventory', got['cellv2'])
        self.assertIn('blazar', got['service_available'])

    def test_register_opts(self):
        conf = cfg.ConfigOpts()
        plugin.CellV2ConformancePlugin().register_opts(conf)
        conf([])
        self.assertEqual(1, conf.cellv2.expected_cells)
        self.assertEqual('reservation', conf.reservation.catalog_type)

    def test_load_tests_points_inside_package(self):
        full, base = plugin.CellV2ConformancePlugin().load_tests()
        self.assertTrue(full.endswith('cellv2_conformance/tests'))
        self.assertTrue(os.path.isdir(os.path.join(full, 'api')))

    def test_every_check_has_a_unique_idempotent_id(self):
        result = check_uuid('cellv2_conformance.tests')
        self.assertEqual(0, result.returncode, result.stdout + result.stderr)

    def test_check_uuid_fails_on_a_test_without_id(self):
        # The pep8 gate can fail: a check lacking its idempotent_id.
        lib = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, lib, True)
        pkg = os.path.join(lib, 'uuidless')
        os.makedirs(os.path.join(pkg, 'api'))
        for d in (pkg, os.path.join(pkg, 'api')):
            open(os.path.join(d, '__init__.py'), 'w').close()
        with open(os.path.join(pkg, 'api', 'test_x.py'), 'w') as f:
            f.write('from tempest import test\n\n\n'
                    'class XTest(test.BaseTestCase):\n'
                    '    def test_no_id(self):\n'
                    '        pass\n')
        result = check_uuid('uuidless', libpath=lib)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('test_no_id', result.stdout + result.stderr)


def _foreign_plugin(opts):
    """A stand-in for another tempest plugin registering
    [service_available] options (as blazar-tempest-plugin does).
    """
    from tempest import config as tempest_config

    class Foreign:
        def register_opts(self, conf):
            tempest_config.register_opt_group(
                conf, tempest_config.service_available_group, opts)
    return Foreign()


def _blazar_plugin():
    """blazar-tempest-plugin's own plugin, when it is installed (the
    functional coexistence test puts it on PYTHONPATH).
    """
    try:
        from blazar_tempest_plugin import plugin as blazar_plugin
    except ImportError:
        return None
    return blazar_plugin.BlazarTempestPlugin()


class TestCoexistence(testtools.TestCase):
    """Our options next to another plugin's, in both load orders."""

    def setUp(self):
        super().setUp()
        self._fresh_groups()

    def _fresh_groups(self):
        # oslo.config's register_group keeps a shallow copy of the group:
        # options registered in one ConfigOpts land in the module-level
        # OptGroup object.  Fresh group objects keep the tests apart.
        from tempest import config as tempest_config
        self.useFixture(fixtures.MockPatchObject(
            tempest_config, 'service_available_group',
            cfg.OptGroup('service_available')))
        try:
            from blazar_tempest_plugin import config as blazar_config
        except ImportError:
            return
        self.useFixture(fixtures.MockPatchObject(
            blazar_config, 'service_available_group',
            cfg.OptGroup('service_available')))
        self.useFixture(fixtures.MockPatchObject(
            blazar_config, 'resource_reservation_group',
            cfg.OptGroup('resource_reservation')))

    def _load(self, plugins):
        conf = cfg.ConfigOpts()
        for p in plugins:
            p.register_opts(conf)      # raises DuplicateOptError on a clash
        conf([])
        return conf

    def _identical(self):
        import copy
        return _foreign_plugin(copy.deepcopy(config.ServiceAvailableGroup))

    def _ours(self):
        return plugin.CellV2ConformancePlugin()

    def test_identical_definition_ours_first(self):
        conf = self._load([self._ours(), self._identical()])
        self.assertTrue(conf.service_available.blazar)
        self.assertEqual(1, conf.cellv2.expected_cells)

    def test_identical_definition_ours_second(self):
        conf = self._load([self._identical(), self._ours()])
        self.assertTrue(conf.service_available.blazar)
        self.assertEqual('reservation', conf.reservation.catalog_type)

    def test_other_definition_registered_first_serves_us(self):
        other = [cfg.BoolOpt('blazar', default=False, help='other text')]
        conf = self._load([_foreign_plugin(other), self._ours()])
        self.assertFalse(conf.service_available.blazar)
        self.assertFalse(conf.cellv2.strict_findings)
        self.assertEqual('freepool', conf.reservation.freepool)

    def test_a_different_help_text_is_a_clash(self):
        # Why our definition must stay identical: oslo.config refuses a
        # second registration that differs in anything, help included.
        other = [cfg.BoolOpt('blazar', default=True, help='other text')]
        self.assertRaises(cfg.DuplicateOptError, self._load,
                          [self._ours(), _foreign_plugin(other)])

    def test_blazar_tempest_plugin_both_orders(self):
        blazar = _blazar_plugin()
        if blazar is None:
            self.skipTest('blazar-tempest-plugin is not installed (the '
                          'functional coexistence test installs it)')
        for first_ours in (True, False):
            self._fresh_groups()
            conf = self._load([self._ours(), blazar] if first_ours
                              else [blazar, self._ours()])
            self.assertTrue(conf.service_available.blazar)
            self.assertEqual(1, conf.cellv2.expected_cells)
            self.assertEqual('reservation', conf.reservation.catalog_type)
            self.assertEqual(300, conf.resource_reservation.lease_end_timeout)

    def test_no_group_shared_with_blazar_tempest_plugin(self):
        # blazar-tempest-plugin's own group is [resource_reservation];
        # only [service_available] is shared.
        ours = {g.name for g, _ in config.list_opts()}
        self.assertNotIn('resource_reservation', ours)
        self.assertEqual({'service_available', 'cellv2', 'reservation',
                          'instance_ha'}, ours)
