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

"""A cell whose database is down: the 2.69 down-cell contract.

The cell's dedicated database server is stopped (clients get "connection
refused" at once) through the fault journal; every test heals it and waits
until the server list is complete again.
"""

import jsonschema
from tempest import config
from tempest.lib import decorators

from cellv2_conformance.services.compute import schemas_v269
from cellv2_conformance.tests.serial import test_down_cell_base as base

CONF = config.CONF


@decorators.serial
class DownCellDatabaseTest(base.CellFaultTestBase):
    """With one cell's database stopped, nova keeps answering.

    Documented (api-ref, microversion 2.69; cells v2 docs "Handling cell
    failures"): at >= 2.69 list and show return the servers of the
    unreachable cell as minimal records with status UNKNOWN built from the
    API database, the other cells' servers stay complete; below 2.69 the
    down cell's servers are left out (``[api]
    list_records_by_skipping_down_cells`` default true); ``GET
    /os-services`` at 2.69 shows the cell's nova-compute services as
    UNKNOWN; once the database is back the next list is complete again.
    Tempest's own schemas reject these records, so plugin-local 2.69
    schemas (``services/compute/schemas_v269.py``) validate them.
    """

    needs = 'db'

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.up_server = cls.boot(cls.ordinary_host(cls.other_cell))
        cls.down_server = cls.boot(cls.ordinary_host(cls.down_cell))

    def _stop_db(self):
        return self.inject('cell(%s).db:stop' % self.down_cell.name,
                           wait_for=[self.down_server['id'],
                                     self.up_server['id']])

    @decorators.idempotent_id('457ad0f5-450f-44cb-9adb-e1c193be8fba')
    def test_list_detail_269_down_cell_minimal(self):
        """GET /servers/detail at 2.69: down cell -> minimal UNKNOWN."""
        self._stop_db()
        listing = self.list_detail('2.69')
        down = listing.get(self.down_server['id'])
        self.assertIsNotNone(down, 'server of down cell %s not listed' %
                             self.down_cell.name)
        self.assertTrue(schemas_v269.is_minimal(down), down)
        self.assertEqual(sorted(['id', 'status', 'tenant_id', 'created',
                                 'links']), sorted(down))
        up = listing.get(self.up_server['id'])
        self.assertIsNotNone(up)
        self.assertEqual('ACTIVE', up['status'])
        self.assertEqual(self.up_server['name'], up['name'])

    @decorators.idempotent_id('989e926b-b122-4241-b082-c51da011ba7d')
    def test_list_269_down_cell_minimal(self):
        """GET /servers at 2.69: down cell -> {id, status UNKNOWN, links}."""
        self._stop_db()
        body = self.get_json('servers', '2.69', schemas_v269.list_servers)
        listing = {s['id']: s for s in body['servers']}
        down = listing.get(self.down_server['id'])
        self.assertIsNotNone(down)
        self.assertEqual('UNKNOWN', down['status'])
        self.assertNotIn('name', down)
        self.assertEqual(self.up_server['name'],
                         listing[self.up_server['id']]['name'])

    @decorators.idempotent_id('b364b79a-b6aa-44cc-a706-94342be1ff0f')
    def test_show_269_down_cell_minimal(self):
        """GET /servers/{id} at 2.69: the documented minimal record."""
        self._stop_db()
        body = self.get_json('servers/%s' % self.down_server['id'], '2.69',
                             schemas_v269.show_server_minimal)
        server = body['server']
        self.assertEqual('UNKNOWN', server['status'])
        self.assertEqual(self.down_server['id'], server['id'])
        self.assertEqual(self.down_server['tenant_id'], server['tenant_id'])
        self.assertEqual(self.down_server['user_id'], server['user_id'])
        self.assertEqual(self.down_server['flavor']['original_name'],
                         server['flavor']['original_name'])
        self.assertEqual(CONF.compute.image_ref, server['image']['id'])

    @decorators.idempotent_id('4c048252-ad70-48ef-84ee-b64d414d19c6')
    def test_list_detail_268_skips_down_cell(self):
        """GET /servers/detail at 2.68 leaves the down cell's servers out."""
        self._stop_db()
        listing = self.list_detail('2.68')
        self.assertNotIn(self.down_server['id'], listing)
        self.assertIn(self.up_server['id'], listing)
        self.assertEqual('ACTIVE', listing[self.up_server['id']]['status'])

    @decorators.idempotent_id('93284c6e-8581-41e9-9ae1-51f3d64898ca')
    def test_services_269_down_cell_unknown(self):
        """GET /os-services at 2.69: the cell's computes are UNKNOWN."""
        self._stop_db()
        body = self.get_json('os-services', '2.69',
                             client=self.services_client)
        by_host = {(s['binary'], s['host']): s for s in body['services']}
        for host in self.down_cell.hosts:
            svc = by_host.get(('nova-compute', host))
            self.assertIsNotNone(svc, 'nova-compute on %s not listed' % host)
            jsonschema.validate(svc, schemas_v269.minimal_service)
        for host in self.other_cell.hosts:
            svc = by_host[('nova-compute', host)]
            self.assertIn(svc['state'], ('up', 'down'))
            self.assertNotEqual('UNKNOWN', svc['status'])

    @decorators.idempotent_id('ffae16b5-62d4-4049-a715-ac59472b2261')
    def test_list_complete_after_heal(self):
        """After the database is back the next lists are complete."""
        record = self._stop_db()
        listing = self.list_detail('2.69')
        self.assertTrue(schemas_v269.is_minimal(
            listing[self.down_server['id']]))
        self.heal(record)
        self.wait_complete([self.down_server['id'], self.up_server['id']])
        listing = self.list_detail('2.69')
        down = listing[self.down_server['id']]
        self.assertEqual(self.down_server['name'], down['name'])
        self.assertEqual('ACTIVE', down['status'])
        show = self.show(self.down_server['id'], '2.69')
        self.assertEqual('ACTIVE', show['status'])
        self.assertEqual(self.down_server['name'], show['name'])
