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

"""Booting a server into each cell leaves the records nova documents."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.tests import base

CONF = config.CONF


def flavor_resources(flavor):
    """Placement resources nova claims for a flavor (no extra specs)."""
    swap_gb = -(-int(flavor.get('swap') or 0) // 1024)
    return {'VCPU': flavor['vcpus'], 'MEMORY_MB': flavor['ram'],
            'DISK_GB': flavor['disk'] + flavor.get(
                'OS-FLV-EXT-DATA:ephemeral', 0) + swap_gb}


class BootIntoEachCellTest(base.DatabaseMixin, base.CellsBaseTest):
    """A server built on a host of cell N lives in cell N only.

    One server per cell is booted at once with the 2.74 ``host`` field on an
    ordinary host of that cell (boot-to-ACTIVE is timed per cell).  Then:
    the ``instances`` row exists in that cell's DB and in no other cell nor
    cell0; ``instance_mappings.cell_id`` points at that cell; the
    ``request_specs`` row exists in the API DB and the ``build_requests``
    row is gone (it only lives until the instance is created in a cell);
    placement holds one allocation, against that host's compute node, equal
    to the flavor.
    """

    credentials = ['admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.placement = cls.os_admin.placement_client
        cls.flavors = cls.os_admin.flavors_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cells = cls.cells_with_ordinary_host()
        if not cells:
            raise cls.skipException('no cell has an ordinary (non-Blazar) '
                                    'host in the inventory')
        cls.booted = cls.boot_into_cells(cells, name_prefix='boot')
        cls.flavor = cls.flavors.show_flavor(
            CONF.compute.flavor_ref)['flavor']

    @decorators.idempotent_id('00d49726-87c2-498f-ba77-3613e481cb3e')
    def test_server_on_requested_host(self):
        for cell, server in self.booted:
            self.assertEqual(self.ordinary_host(cell), self.host_of(server),
                             'server %s' % server['id'])

    @decorators.idempotent_id('7d116910-6842-47ba-b5b2-8243a9676d4b')
    def test_instance_row_only_in_its_cell(self):
        for cell, server in self.booted:
            self.assertEqual([cell.name], self.cells_holding(server['id']),
                             'cells holding server %s' % server['id'])

    @decorators.idempotent_id('f6802dc7-f8dc-4ad4-a8bb-d76eb40e83b7')
    def test_instance_row_host_and_node(self):
        for cell, server in self.booted:
            row = self.instance_row(cell.name, server['id'])
            self.assertEqual(self.ordinary_host(cell), row['host'])
            self.assertEqual(server['OS-EXT-SRV-ATTR:hypervisor_hostname'],
                             row['node'])
            self.assertEqual('active', row['vm_state'])

    @decorators.idempotent_id('6d95b7ae-bd7d-44ff-b2b2-187a5410de1b')
    def test_instance_mapping_points_at_its_cell(self):
        for cell, server in self.booted:
            self.assertEqual(cell.name, self.mapped_cell(server['id']))

    @decorators.idempotent_id('f51ef5d3-0634-42b3-a014-f96e779fde87')
    def test_request_spec_exists(self):
        for _, server in self.booted:
            rows = self.sql(self.api_db(), 'SELECT id FROM request_specs '
                            'WHERE instance_uuid = %s', (server['id'],))
            self.assertEqual(1, len(rows), server['id'])

    @decorators.idempotent_id('eb581640-4f25-4d3e-83d2-cff93de33f31')
    def test_build_request_gone(self):
        for _, server in self.booted:
            rows = self.sql(self.api_db(), 'SELECT id FROM build_requests '
                            'WHERE instance_uuid = %s', (server['id'],))
            self.assertEqual([], rows, server['id'])

    @decorators.idempotent_id('48f66e7c-5aed-4d8e-85f9-6bd584813046')
    def test_allocations_equal_flavor(self):
        expected = flavor_resources(self.flavor)
        for _, server in self.booted:
            allocs = self.placement.list_allocations(server['id'])[
                'allocations']
            self.assertEqual(1, len(allocs), server['id'])
            got = list(allocs.values())[0]['resources']
            self.assertEqual({k: v for k, v in expected.items() if v},
                             got, server['id'])

    @decorators.idempotent_id('971c8389-4e5c-4398-a7bb-636712e8c92a')
    def test_allocation_against_host_compute_node(self):
        for cell, server in self.booted:
            allocs = self.placement.list_allocations(server['id'])[
                'allocations']
            nodes = self.sql(cell.reader_url, 'SELECT uuid FROM '
                             'compute_nodes WHERE host = %s AND deleted = 0',
                             (self.ordinary_host(cell),))
            self.assertEqual({n['uuid'] for n in nodes}, set(allocs),
                             'resource provider of server %s' % server['id'])
