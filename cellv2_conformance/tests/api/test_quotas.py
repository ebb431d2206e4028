"""Quota usage counts the project's servers in every cell."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.tests import base

CONF = config.CONF


class QuotaUsageAcrossCellsTest(base.DatabaseMixin, base.MultiCellMixin,
                                base.CellsBaseTest):
    """``/limits`` and ``os-quota-sets`` count usage from all cells.

    One server of the project is booted on an ordinary host of every cell.
    The absolute limits ``totalInstancesUsed``, ``totalCoresUsed`` and
    ``totalRAMUsed`` and the quota-set detail ``in_use`` must equal the sum
    over all cells (nova counts instances from ``instance_mappings`` and
    cores/RAM by scatter-gather over the cell DBs), and equal what the cell
    databases hold for the project.  A cell left out of the count lets a
    project exceed its quota.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cells = cls.cells_with_ordinary_host()
        if len(cells) < 2:
            raise cls.skipException('needs 2 cells with an ordinary host')
        cls.booted = cls.boot_into_cells(cells, name_prefix='quota')
        cls.project = cls.os_admin.credentials.project_id
        cls.flavor = cls.os_admin.flavors_client.show_flavor(
            CONF.compute.flavor_ref)['flavor']
        cls.absolute = cls.os_admin.limits_client.show_limits()['limits'][
            'absolute']

    def _db_count(self):
        total = 0
        for name, url in self.cell_dbs().items():
            total += self.sql(url, 'SELECT COUNT(*) AS n FROM instances '
                              'WHERE project_id = %s AND deleted = 0',
                              (self.project,))[0]['n']
        return total

    @decorators.idempotent_id('6ae96aef-4a5b-4c7d-9e9f-1a3b5c7d9e95')
    def test_total_instances_used_counts_every_cell(self):
        self.assertEqual(len(self.booted),
                         self.absolute['totalInstancesUsed'])

    @decorators.idempotent_id('7bfa7bf0-5b6c-4d8e-8f0a-2b4c6d8e0f96')
    def test_total_instances_used_equals_cell_databases(self):
        self.assertEqual(self._db_count(),
                         self.absolute['totalInstancesUsed'])

    @decorators.idempotent_id('8c0b8c01-6c7d-4e9f-9a1b-3c5d7e9f1a97')
    def test_cores_and_ram_used_count_every_cell(self):
        n = len(self.booted)
        self.assertEqual((n * self.flavor['vcpus'], n * self.flavor['ram']),
                         (self.absolute['totalCoresUsed'],
                          self.absolute['totalRAMUsed']))

    @decorators.idempotent_id('9d1c9d12-7d8e-4f0a-8b2c-4d6e8f0a2b98')
    def test_quota_set_detail_in_use_counts_every_cell(self):
        detail = self.os_admin.quotas_client.show_quota_set(
            self.project, detail=True)['quota_set']
        self.assertEqual(len(self.booted), detail['instances']['in_use'])
