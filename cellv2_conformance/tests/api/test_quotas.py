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

"""Quota usage counts the project's servers in every cell."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.tests import base

CONF = config.CONF


class QuotaUsageAcrossCellsTest(base.DatabaseMixin, base.CellsBaseTest):
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
        if not cells:
            raise cls.skipException('no cell has an ordinary host')
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

    @decorators.idempotent_id('3d3fd1b7-b5b1-4b6f-a372-474d4cc47a9b')
    def test_total_instances_used_counts_every_cell(self):
        self.assertEqual(len(self.booted),
                         self.absolute['totalInstancesUsed'])

    @decorators.idempotent_id('008acf95-8513-466c-a637-58672bae43b0')
    def test_total_instances_used_equals_cell_databases(self):
        self.assertEqual(self._db_count(),
                         self.absolute['totalInstancesUsed'])

    @decorators.idempotent_id('207bc812-aae6-4dab-9531-d778af92445f')
    def test_cores_and_ram_used_count_every_cell(self):
        n = len(self.booted)
        self.assertEqual((n * self.flavor['vcpus'], n * self.flavor['ram']),
                         (self.absolute['totalCoresUsed'],
                          self.absolute['totalRAMUsed']))

    @decorators.idempotent_id('1b4ebfe7-484c-40b3-b65e-283cf7f2af67')
    def test_quota_set_detail_in_use_counts_every_cell(self):
        detail = self.os_admin.quotas_client.show_quota_set(
            self.project, detail=True)['quota_set']
        self.assertEqual(len(self.booted), detail['instances']['in_use'])
