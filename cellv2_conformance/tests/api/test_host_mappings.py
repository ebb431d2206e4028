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

"""Host mappings agree with the cells that really hold the compute nodes."""

from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.tests import base


class HostMappingsTest(base.DatabaseMixin, base.CellsBaseTest):
    """Every compute host is mapped once, to the cell that holds it.

    The scheduler and conductor find a host's cell through the API DB's
    ``host_mappings``; a host mapped to the wrong cell (or twice, or not at
    all) is unschedulable or builds are sent to the wrong cell's queue
    (``HostMappingNotFound``).  ``discover_hosts`` marks the node
    ``compute_nodes.mapped = 1`` in the cell DB; a node left at 0 is
    re-mapped on every discovery (bug 2085135 is the reverse case).

    Evidence: the API DB's ``host_mappings``, each cell DB's own
    ``compute_nodes`` and the nova-compute services the API lists; the
    inventory's host lists only when a human wrote them (a discovered
    inventory copies ``host_mappings``).
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.host_mappings = cls.sql(
            cls.api_db(), 'SELECT h.host, c.uuid AS cell_uuid, c.name AS '
            'cell_name FROM host_mappings h JOIN cell_mappings c ON '
            'c.id = h.cell_id')
        cls.nodes = {c.name: cls.sql(
            c.reader_url, 'SELECT host, hypervisor_hostname, mapped FROM '
            'compute_nodes WHERE deleted = 0') for c in cls.inv.cells}
        cls.cell0_nodes = cls.sql(cls.cell0_db(), 'SELECT host FROM '
                                  'compute_nodes WHERE deleted = 0')

    @decorators.idempotent_id('4b6a1832-aeaa-4fb6-997c-391eedb57da5')
    def test_every_compute_host_mapped_once_to_its_cell(self):
        """host_mappings.host is unique, so "once" means: each compute
        host's node lives in exactly one cell DB, is mapped to that cell,
        and the API lists its nova-compute service.
        """
        services = self.os_admin.services_client.list_services(
            binary='nova-compute')['services']
        self.assertEqual([], crosscheck.host_mapping_problems(
            self.host_mappings, self.nodes, [s['host'] for s in services]))

    @decorators.idempotent_id('dd4f5d7c-c485-4de0-a5a5-8f990811544e')
    def test_mapping_points_at_cell_holding_compute_node(self):
        cell_of = {m['host']: m['cell_name'] for m in self.host_mappings}
        wrong = ['host %s is mapped to %s, its compute node is in %s' % (
            n['host'], cell_of.get(n['host']), cell)
            for cell, nodes in self.nodes.items() for n in nodes
            if cell_of.get(n['host']) != cell]
        self.assertNotEqual({}, {c: n for c, n in self.nodes.items() if n},
                            'no cell database holds a compute node')
        self.assertEqual([], wrong)

    @decorators.idempotent_id('3714b32c-27d5-4a62-aa0d-9989f9f07d53')
    def test_compute_nodes_flagged_mapped(self):
        for cell, nodes in self.nodes.items():
            unmapped = [n['hypervisor_hostname'] for n in nodes
                        if n['mapped'] != 1]
            self.assertEqual([], unmapped, 'cell %s' % cell)

    @decorators.idempotent_id('5f898755-3d60-4b23-b53f-547881b76f19')
    def test_no_mapping_without_compute_node(self):
        for m in self.host_mappings:
            hosts = [n['host'] for n in self.nodes.get(m['cell_name'], [])]
            self.assertIn(m['host'], hosts,
                          'host_mappings row for %s points at %s, which has '
                          'no such compute node' % (m['host'],
                                                    m['cell_name']))

    @decorators.idempotent_id('67500dd3-373b-4cd6-a6c9-40d1e7ec128f')
    def test_inventory_hosts_are_mapped_to_their_cells(self):
        if self.inv.discovered:
            self.skipTest('the inventory %s was discovered from '
                          'host_mappings: it is a copy of the table; the '
                          'other checks here compare it with each cell '
                          'DB' % self.inv.path)
        self.assertNotEqual([], self.inv.all_hosts, 'the inventory names '
                            'no host')
        mapped = {m['host']: m['cell_uuid'] for m in self.host_mappings}
        for cell in self.inv.cells:
            for host in cell.hosts:
                self.assertEqual(cell.uuid, mapped.get(host), host)

    @decorators.idempotent_id('d766eb3c-de43-4897-af8c-db182657acd9')
    def test_cell0_has_no_compute_nodes(self):
        self.assertEqual([], self.cell0_nodes,
                         'compute services registered in cell0 (nova warns '
                         'about this; they can never be scheduled to)')
