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

"""Config rendering: multi-valued options, overrides, the settings that
matter for a real multi-cell cloud."""

import testtools

from cellv2_conformance.deploy import configs
from cellv2_conformance.deploy import render
from cellv2_conformance import scenario


def _layout(sc):
    ports = {'keystone': 1, 'placement': 2, 'glance': 3, 'neutron': 4,
             'nova-api': 5, 'blazar-api': 6}
    pw = {u: 'pw-' + u for u in ('admin',) + configs.SERVICE_USERS}
    db = {n: 'mysql+pymysql://os:dbpw@127.0.0.1:9/%s' % n for n in (
        'keystone', 'placement', 'glance', 'neutron', 'nova_api',
        'nova_cell0', 'blazar')}
    tr = {'api': 'rabbit://os:mq@127.0.0.1:8/nova_api',
          'neutron': 'rabbit://os:mq@127.0.0.1:8/neutron',
          'blazar': 'rabbit://os:mq@127.0.0.1:8/blazar'}
    for c in sc.cells:
        db['nova_' + c.name] = 'mysql+pymysql://os:dbpw@127.0.0.1:10/' \
            'nova_' + c.name
        tr[c.name] = 'rabbit://os:mq@127.0.0.1:8/nova_' + c.name
    return configs.Layout(workdir='/w', venv_bin='/v/bin', ports=ports,
                          passwords=pw, db_urls=db, transports=tr,
                          cells=sc.cells, blazar_enabled=sc.blazar_enabled)


class TestRender(testtools.TestCase):

    def test_multi_valued_option(self):
        c = render.new()
        render.put(c, 's', 'k', ['a', 'b'])
        self.assertEqual('[s]\nk = a\nk = b\n\n', render.to_text(c))

    def test_override_replaces(self):
        c = render.new()
        render.put(c, 's', 'k', ['a', 'b'])
        render.update(c, {'s': {'k': 'z', 'b': True}})
        self.assertEqual('[s]\nk = z\nb = true\n\n', render.to_text(c))


class TestConfigs(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sc = scenario.load('multi-cell')
        self.L = _layout(self.sc)

    def test_cell_db_url_has_timeouts(self):
        url = self.L.cell_db('cell1')
        self.assertIn('read_timeout=10', url)
        self.assertIn('write_timeout=10', url)
        self.assertIn('connect_timeout=5', url)
        self.assertNotIn('?', self.L.cell_db('cell1', timeouts=False))

    def test_cell_conductor_has_no_api_db(self):
        c = configs.nova_cell(self.L, self.sc.cells[1])
        self.assertNotIn('api_database', c)
        self.assertEqual(self.L.transports['cell2'],
                         render.get(c, 'DEFAULT', 'transport_url'))
        self.assertIn('nova_cell2', render.get(c, 'database', 'connection'))

    def test_compute_has_own_state_path_and_no_db(self):
        c = configs.nova_compute(self.L, self.sc.cells[0], 'cell1-cmp2')
        self.assertEqual('cell1-cmp2', render.get(c, 'DEFAULT', 'host'))
        self.assertEqual('/w/nova/state-cell1-cmp2',
                         render.get(c, 'DEFAULT', 'state_path'))
        self.assertNotIn('database', c)

    def test_common_nova_settings(self):
        c = configs.nova_common(self.L)
        self.assertEqual('fake.FakeDriverWithoutFakeNodes',
                         render.get(c, 'DEFAULT', 'compute_driver'))
        self.assertTrue(render.get(c, 'workarounds',
                                   'disable_group_policy_check_upcall'))
        self.assertIn('BlazarFilter', render.get(c, 'filter_scheduler',
                                                 'enabled_filters'))
        avail = [v for k, v in c['filter_scheduler']
                 if k == 'available_filters']
        self.assertEqual(2, len(avail))

    def test_no_blazar_filter_without_blazar(self):
        sc = scenario.load_text('blazar: {enabled: false}\n'
                                'cells: [{name: a}]\n')
        c = configs.nova_common(_layout(sc))
        self.assertNotIn('BlazarFilter', render.get(c, 'filter_scheduler',
                                                    'enabled_filters'))
        self.assertNotIn('blazar:physical:host', c)

    def test_blazar_uses_uuid_hypervisor_ids(self):
        c = configs.blazar(self.L)
        self.assertEqual('2.53', render.get(c, 'nova',
                                            'nova_client_version'))

    def test_catalog_has_every_service(self):
        types = [t for t, _, _ in configs.catalog(self.L)]
        self.assertEqual(['identity', 'compute', 'placement', 'image',
                          'network', 'reservation'], types)

    def test_cross_cell_moves_granted_to_one_role_on_multi_cell(self):
        policy = configs.cross_cell_policy(self.L)
        self.assertIn('"compute:servers:resize:cross_cell": "role:%s"' %
                      configs.CROSS_CELL_ROLE, policy)
        c = configs.nova_top(self.L)
        self.assertEqual('/w/etc/nova/policy.yaml',
                         render.get(c, 'oslo_policy', 'policy_file'))

    def test_no_cross_cell_policy_on_single_cell(self):
        L = _layout(scenario.load('single-cell'))
        self.assertIsNone(configs.cross_cell_policy(L))
        self.assertNotIn('oslo_policy', configs.nova_top(L))
