"""Host mappings agree with the cells that really hold the compute nodes."""

from tempest.lib import decorators

from cellv2_conformance.tests import base


class HostMappingsTest(base.DatabaseMixin, base.CellsBaseTest):
    """Every compute host is mapped once, to the cell that holds it.

    The scheduler and conductor find a host's cell through the API DB's
    ``host_mappings``; a host mapped to the wrong cell (or twice, or not at
    all) is unschedulable or builds are sent to the wrong cell's queue
    (``HostMappingNotFound``).  ``discover_hosts`` marks the node
    ``compute_nodes.mapped = 1`` in the cell DB; a node left at 0 is
    re-mapped on every discovery (bug 2085135 is the reverse case).
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

    @decorators.idempotent_id('4e6f8a0b-2c3d-4e5f-9a7b-9c1d3e5f7a13')
    def test_every_compute_host_mapped_exactly_once(self):
        hosts = [m['host'] for m in self.host_mappings]
        for cell, nodes in self.nodes.items():
            for node in nodes:
                self.assertEqual(1, hosts.count(node['host']),
                                 'host_mappings rows for %s (cell %s)' % (
                                     node['host'], cell))

    @decorators.idempotent_id('5f7a9b1c-3d4e-4f6a-8b8c-0d2e4f6a8b14')
    def test_mapping_points_at_cell_holding_compute_node(self):
        cell_of = {m['host']: m['cell_name'] for m in self.host_mappings}
        for cell, nodes in self.nodes.items():
            for node in nodes:
                self.assertEqual(cell, cell_of.get(node['host']),
                                 'host %s' % node['host'])

    @decorators.idempotent_id('6a8b0c2d-4e5f-4a7b-9c9d-1e3f5a7b9c15')
    def test_compute_nodes_flagged_mapped(self):
        for cell, nodes in self.nodes.items():
            unmapped = [n['hypervisor_hostname'] for n in nodes
                        if n['mapped'] != 1]
            self.assertEqual([], unmapped, 'cell %s' % cell)

    @decorators.idempotent_id('7b9c1d3e-5f6a-4b8c-8d0e-2f4a6b8c0d16')
    def test_no_mapping_without_compute_node(self):
        for m in self.host_mappings:
            hosts = [n['host'] for n in self.nodes.get(m['cell_name'], [])]
            self.assertIn(m['host'], hosts,
                          'host_mappings row for %s points at %s, which has '
                          'no such compute node' % (m['host'],
                                                    m['cell_name']))

    @decorators.idempotent_id('8c0d2e4f-6a7b-4c9d-9e1f-3a5b7c9d1e17')
    def test_inventory_hosts_are_mapped_to_their_cells(self):
        mapped = {m['host']: m['cell_uuid'] for m in self.host_mappings}
        for cell in self.inv.cells:
            for host in cell.hosts:
                self.assertEqual(cell.uuid, mapped.get(host), host)

    @decorators.idempotent_id('9d1e3f5a-7b8c-4d0e-8f2a-4b6c8d0e2f18')
    def test_cell0_has_no_compute_nodes(self):
        self.assertEqual([], self.cell0_nodes,
                         'compute services registered in cell0 (nova warns '
                         'about this; they can never be scheduled to)')
