"""The tempest plugin: options from one list, test ids well formed."""

import os
import sys

import testtools
from oslo_config import cfg

from cellv2_conformance import config
from cellv2_conformance import plugin

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'tools'))
import check_uuids  # noqa: E402


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
        count, problems = check_uuids.scan()
        self.assertEqual([], problems)
