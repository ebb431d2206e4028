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

"""A cell whose database is frozen (SIGSTOP): answered, not hung."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.services.compute import schemas_v269
from cellv2_conformance.tests.serial import test_down_cell_base as base
from cellv2_conformance.timing import recorder

CONF = config.CONF

# A frozen database accepts TCP and never answers: the bound is the
# clients' read timeouts (pymysql read_timeout in the cell URL), not
# nova's 60 s CELL_TIMEOUT, which is checked only between rows.  Give the
# HTTP client far more than that so a hang shows as a hang, not as ours.
CLIENT_TIMEOUT = 300


@decorators.serial
class FrozenCellDatabaseTest(base.CellFaultTestBase):
    """With one cell's database frozen, listing servers still answers.

    A SIGSTOPped database server keeps accepting connections and never
    replies, the nastiest "down" a cell can be.  Documented (api-ref 2.69,
    cells v2 "Handling cell failures"): the API answers with minimal
    UNKNOWN records for the unreachable cell instead of hanging.  Nova's
    scatter-gather timeout alone does not bound this (it is checked between
    rows), so the bound comes from the read timeouts in the cell's database
    URL.  The check records how long the answer took (timings file, op
    ``list-detail-frozen-cell-db``) and asserts only that it came and what
    it said: no timed assertion.
    """

    needs = 'db'

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.slow_client = cls.os_admin.compute.ServersClient(
            http_timeout=CLIENT_TIMEOUT)

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.up_server = cls.boot(cls.ordinary_host(cls.other_cell))
        cls.down_server = cls.boot(cls.ordinary_host(cls.down_cell))

    @decorators.idempotent_id('7487189a-6110-4098-a7ce-618c8c43e015')
    def test_list_detail_answers_with_frozen_cell_db(self):
        """GET /servers/detail at 2.69 answers; frozen cell -> UNKNOWN."""
        self.inject('cell(%s).db:freeze' % self.down_cell.name,
                    wait_for=[self.down_server['id'], self.up_server['id']])
        with recorder.timed('list-detail-frozen-cell-db',
                            cell=self.down_cell.name, test_id=self.id(),
                            microversion='2.69') as sample:
            sample['ok'] = False
            listing = self.list_detail('2.69', client=self.slow_client)
            sample['ok'] = True
        down = listing.get(self.down_server['id'])
        self.assertIsNotNone(down)
        self.assertTrue(schemas_v269.is_minimal(down), down)
        up = listing.get(self.up_server['id'])
        self.assertIsNotNone(up)
        self.assertEqual('ACTIVE', up['status'])
