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

"""Scenario parsing: bundled scenarios, defaults and bad input."""

import os
import tempfile

import testtools

from cellv2_conformance import scenario


class TestBundled(testtools.TestCase):

    def test_bundled_names(self):
        self.assertEqual(['many-cells', 'multi-cell', 'single-cell'],
                         scenario.bundled_names())

    def test_multi_cell_is_default_shape(self):
        sc = scenario.load('multi-cell')
        self.assertEqual(['cell1', 'cell2'], [c.name for c in sc.cells])
        self.assertEqual(['cell1-cmp1', 'cell1-cmp2', 'cell1-cmp3',
                          'cell2-cmp1', 'cell2-cmp2', 'cell2-cmp3'],
                         sc.all_hosts)
        self.assertEqual(['cell1-cmp3', 'cell2-cmp3'], sc.reservable_hosts)
        self.assertTrue(sc.blazar_enabled)
        self.assertEqual('private', sc.db['backend'])
        self.assertTrue(sc.db['per_cell_server'])
        self.assertEqual('vhost', sc.mq['isolation'])

    def test_every_bundled_scenario_keeps_ordinary_hosts(self):
        for name in scenario.bundled_names():
            sc = scenario.load(name)
            ordinary = set(sc.all_hosts) - set(sc.reservable_hosts)
            self.assertTrue(ordinary, name)

    def test_many_cells(self):
        sc = scenario.load('many-cells')
        self.assertEqual(8, len(sc.cells))

    def test_load_by_path(self):
        with tempfile.NamedTemporaryFile('w', suffix='.yaml',
                                         delete=False) as f:
            f.write('cells:\n  - name: east\n    computes: 3\n')
        self.addCleanup(os.unlink, f.name)
        sc = scenario.load(f.name)
        self.assertEqual(['east-cmp1', 'east-cmp2', 'east-cmp3'],
                         sc.all_hosts)
        self.assertEqual('auto', sc.base_port)


class TestBadInput(testtools.TestCase):

    def _err(self, text):
        e = self.assertRaises(scenario.ScenarioError, scenario.load_text,
                              text, 'bad.yaml')
        return str(e)

    def test_unknown_scenario_name(self):
        e = self.assertRaises(scenario.ScenarioError, scenario.load, 'nope')
        self.assertIn("unknown scenario 'nope'", str(e))
        self.assertIn('multi-cell', str(e))

    def test_missing_file(self):
        e = self.assertRaises(scenario.ScenarioError, scenario.load,
                              '/nonexistent/x.yaml')
        self.assertIn('/nonexistent/x.yaml', str(e))

    def test_not_yaml(self):
        msg = self._err('cells: [\n  - name: a\n')
        self.assertIn('bad.yaml', msg)
        self.assertIn('not valid YAML', msg)

    def test_top_level_not_mapping(self):
        self.assertIn('top level must be a mapping', self._err('- 1\n'))

    def test_unknown_key_names_field_and_line(self):
        msg = self._err('cells:\n  - name: c1\n    computez: 2\n')
        self.assertIn('bad.yaml:2', msg)
        self.assertIn('cells[0]', msg)
        self.assertIn("'computez'", msg)
        self.assertIn('allowed: computes, disabled, name, reservable', msg)

    def test_unknown_top_level_key(self):
        msg = self._err('cells:\n  - name: c1\nfrobnicate: 1\n')
        self.assertIn("unknown key(s) 'frobnicate'", msg)

    def test_wrong_type(self):
        msg = self._err('cells:\n  - name: c1\n    computes: two\n')
        self.assertIn('bad.yaml:3', msg)
        self.assertIn('cells[0].computes', msg)
        self.assertIn("'two'", msg)

    def test_bad_cell_name(self):
        msg = self._err('cells:\n  - name: Cell_1\n')
        self.assertIn('cells[0].name', msg)
        self.assertIn('lower-case', msg)

    def test_reserved_cell_name(self):
        self.assertIn('reserved', self._err('cells:\n  - name: cell0\n'))

    def test_duplicate_cell(self):
        msg = self._err('cells:\n  - name: a\n  - name: a\n')
        self.assertIn('duplicate cell name', msg)
        self.assertIn('cells[1].name', msg)

    def test_no_cells(self):
        self.assertIn('cells', self._err('cells: []\n'))

    def test_unknown_keys_of_mixed_types(self):
        # YAML keys 1 and zz: sorted together they raised TypeError (an
        # internal error instead of the message naming them)
        msg = self._err('name: x\n1: a\nzz: b\ncells:\n  - name: a\n')
        self.assertIn("unknown key(s) '1', 'zz'", msg)

    def test_missing_cells(self):
        self.assertIn("'cells' is a required property",
                      self._err('name: x\n'))

    def test_reservable_more_than_computes(self):
        msg = self._err('cells:\n  - name: a\n    computes: 1\n'
                        '    reservable: 2\n')
        self.assertIn('cells[0].reservable', msg)

    def test_all_reservable_refused(self):
        msg = self._err('cells:\n  - name: a\n    computes: 1\n'
                        '    reservable: 1\n')
        self.assertIn('keep at least one compute out', msg)

    def test_all_reservable_ok_without_blazar(self):
        sc = scenario.load_text('blazar: {enabled: false}\ncells:\n'
                                '  - name: a\n    reservable: 1\n')
        self.assertEqual([], sc.reservable_hosts)

    def test_all_disabled_refused(self):
        msg = self._err('blazar: {enabled: false}\ncells:\n'
                        '  - name: a\n    disabled: true\n')
        self.assertIn('every cell is disabled', msg)

    def test_existing_db_needs_url(self):
        msg = self._err('db: {backend: existing}\ncells:\n  - name: a\n')
        self.assertIn('db.url', msg)

    def test_private_db_refuses_url(self):
        msg = self._err('db: {url: "mysql+pymysql://x@y/z"}\n'
                        'cells:\n  - name: a\n')
        self.assertIn('only allowed when db.backend is "existing"', msg)

    def test_bad_enum(self):
        msg = self._err('mq: {isolation: vlan}\ncells:\n  - name: a\n')
        self.assertIn("must be one of 'vhost', 'node'", msg)

    def test_bad_base_port(self):
        msg = self._err('base_port: 80\ncells:\n  - name: a\n')
        self.assertIn("'auto' or a port number", msg)

    def test_config_override_unknown_service(self):
        msg = self._err('config: {novaa: {}}\ncells:\n  - name: a\n')
        self.assertIn("'novaa'", msg)

    def test_config_override_accepted(self):
        sc = scenario.load_text(
            'config:\n  nova-api:\n    api:\n'
            '      list_records_by_skipping_down_cells: false\n'
            'cells:\n  - name: a\n    computes: 2\n    reservable: 1\n')
        self.assertEqual({'api': {'list_records_by_skipping_down_cells':
                                  False}}, sc.overrides('nova-api'))

    def test_too_many_cells(self):
        text = 'cells:\n' + ''.join('  - name: c%d\n' % i
                                    for i in range(17))
        self.assertIn('at most 16', self._err(text))
