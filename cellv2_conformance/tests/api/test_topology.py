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

"""Cell topology as recorded in the API database and reachable behind it."""

from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.inspect import db as inspect_db
from cellv2_conformance.tests import base


class CellTopologyTest(base.DatabaseMixin, base.CellsBaseTest):
    """The API DB's ``cell_mappings`` describe a sound topology.

    cell0 is mapped with its well-known uuid; every cell of the inventory is
    mapped under its uuid and name; no two cells share a database
    (host:port/db) or a message queue (host:port/vhost) -- ``create_cell``
    refuses such a pair (exit code 2) but a hand-edited or operator-made
    mapping can still carry one (nova-operator#443); every cell DB is
    reachable and all cell DBs run the same schema (alembic head), since
    nova-api and the conductors query all of them with one code base.  In
    a multi-cell cloud no cell shares the API-level message queue (the
    super conductor's bus; nova.conf ``[DEFAULT] transport_url``).

    Comparisons with the inventory need an inventory a human wrote: one
    discovered from ``cell_mappings`` is a copy of the table and those
    checks skip, saying so.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.mappings = cls.sql(
            cls.api_db(), 'SELECT id, uuid, name, transport_url, '
            'database_connection, disabled FROM cell_mappings ORDER BY id')

    def _need_independent_inventory(self):
        if self.inv.discovered:
            self.skipTest('the inventory %s was discovered from '
                          'cell_mappings: comparing the two compares the '
                          'table with a copy of itself; write the cells '
                          'inventory by hand (doc/source/inventory.rst) '
                          'for this check' % self.inv.path)

    def _real_cells(self):
        return [m for m in self.mappings if m['uuid'] != base.CELL0_UUID]

    @decorators.idempotent_id('401e7731-0bd8-4aed-9e7a-ee0eccd3c349')
    def test_cell0_is_mapped(self):
        cell0 = [m for m in self.mappings if m['uuid'] == base.CELL0_UUID]
        self.assertEqual(1, len(cell0), 'cell_mappings has no cell0 row '
                         '(nova-manage cell_v2 map_cell0 was not run)')
        self._need_independent_inventory()
        self.assertEqual(base.db_address(self.inv.cell0['database']),
                         base.db_address(cell0[0]['database_connection']))

    @decorators.idempotent_id('9618ab77-122f-40bc-96c6-86a0c4ae462c')
    def test_every_inventory_cell_is_mapped(self):
        self._need_independent_inventory()
        mapped = {m['uuid']: m['name'] for m in self._real_cells()}
        expected = {c.uuid: c.name for c in self.inv.cells}
        self.assertEqual(expected, mapped)

    @decorators.idempotent_id('ce0d0e64-0a9c-4a81-93db-a133aa38ca45')
    def test_expected_number_of_cells(self):
        self.assertEqual(base.CONF.cellv2.expected_cells,
                         len(self._real_cells()))

    @decorators.idempotent_id('26d72ded-e4d0-422f-aa7b-095f1fcc73e5')
    def test_no_two_cells_share_a_database(self):
        addresses = [base.db_address(m['database_connection'])
                     for m in self.mappings]
        self.assertEqual(sorted(set(addresses)), sorted(addresses),
                         'two cell mappings point at one database')

    @decorators.idempotent_id('a8d9d114-bae4-4bf7-8566-acbc29188537')
    def test_no_two_cells_share_a_transport(self):
        self.assertEqual([], crosscheck.shared_transports(
            {m['name'] or m['uuid']: base.mq_address(m['transport_url'])
             for m in self._real_cells()}))

    @decorators.idempotent_id('b655e723-ba6e-439b-9631-51bc3baa743f')
    def test_no_cell_uses_the_api_transport(self):
        """The API-level transport comes from nova.conf (the inventory's
        ``api.transport``; ``inventory --nova-conf`` reads ``[DEFAULT]
        transport_url``), independent of ``cell_mappings``.
        """
        if base.CONF.cellv2.expected_cells < 2:
            self.skipTest('[cellv2] expected_cells < 2: a single cell may '
                          'share the API-level queue (DevStack '
                          'singleconductor)')
        api = self.inv.api.get('transport')
        if not api:
            self.skipTest('the inventory names no api.transport (nova.conf '
                          '[DEFAULT] transport_url of the API services)')
        self.assertEqual([], crosscheck.shared_transports(
            {m['name'] or m['uuid']: base.mq_address(m['transport_url'])
             for m in self._real_cells()}, base.mq_address(api)))

    @decorators.idempotent_id('e02400eb-2052-416f-86c0-9189cae2b505')
    def test_mappings_match_inventory_addresses(self):
        self._need_independent_inventory()
        by_uuid = {m['uuid']: m for m in self.mappings}
        for cell in self.inv.cells:
            m = by_uuid[cell.uuid]
            self.assertEqual(base.db_address(cell.database),
                             base.db_address(m['database_connection']),
                             'database of %s' % cell.name)
            self.assertEqual(base.mq_address(cell.transport),
                             base.mq_address(m['transport_url']),
                             'transport of %s' % cell.name)

    @decorators.idempotent_id('e3cc14e6-df7c-4cbc-bc78-bef509d68dc5')
    def test_every_cell_database_is_reachable(self):
        """Every cell DB answers, and holds the live service rows of the
        processes writing to it (cell0 holds none: only reachable).
        """
        self.sql(self.cell0_db(), 'SELECT COUNT(*) AS n FROM instances')
        self.assertEqual([], crosscheck.live_cell_databases(
            {c.name: self.sql(c.reader_url, 'SELECT host, `binary` FROM '
                              'services WHERE deleted = 0')
             for c in self.inv.cells}))

    @decorators.idempotent_id('69f72a54-694f-4836-a304-2520fc3e1b85')
    def test_schema_version_equal_across_cells(self):
        versions = {name: inspect_db.alembic_version(url)
                    for name, url in self.cell_dbs().items()}
        self.assertEqual(1, len({tuple(v) for v in versions.values()}),
                         'alembic_version differs between cells: %s' %
                         versions)

    @decorators.idempotent_id('0cdfbde9-564e-4025-ac69-c7aaad62084f')
    def test_no_cell_is_disabled_unexpectedly(self):
        self._need_independent_inventory()
        disabled = {m['uuid'] for m in self._real_cells() if m['disabled']}
        expected = {c.uuid for c in self.inv.cells if c.disabled}
        self.assertEqual(expected, disabled)


class CellQueueTopologyTest(base.MessageQueueMixin, base.CellsBaseTest):
    """Every cell's RabbitMQ vhost is reachable and carries only its own
    cell's services.

    Every consumer of a cell vhost's RPC queues (replies to API-level
    callers aside) is a process of that cell: a compute of the inventory or
    the cell's conductor; each cell conductor is connected to its own vhost
    only.  Each compute host's RPC queue ``compute.<host>`` exists on its
    cell's vhost only, and is consumed there; every nova-compute process is
    connected to its own cell's vhost and to no other cell's (the connection
    names carry ``<binary>:<pid>``).  This is the isolation nova's own
    functional tests cannot prove: they run every cell on one fake bus.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.mgmt = cls.mq()
        cls.queues = {c.name: cls.mgmt.queue_counters(c.vhost)
                      for c in cls.inv.cells}
        cls.connections = cls.mgmt.connections()
        cls.consumers = {c.name: cls.mgmt.consumers(c.vhost)
                         for c in cls.inv.cells}
        # connection 'name' (peer -> broker) -> client pid, from oslo's
        # connection_name '<binary>:<pid>:<uuid>'.
        cls.pid_of = {}
        cls.vhosts_of_pid = {}
        for conn in cls.connections:
            parts = ((conn.get('client_properties') or {}).get(
                'connection_name') or '').split(':')
            if len(parts) >= 2 and parts[1].isdigit():
                cls.pid_of[conn['name']] = int(parts[1])
                cls.vhosts_of_pid.setdefault(int(parts[1]), set()).add(
                    conn['vhost'])

    @classmethod
    def _service_cells_by_pid(cls):
        """{pid: cell name} of the cells' computes (inventory pids) and
        conductor workers (consumers of ``conductor.<conductor host>``).
        """
        owner = {}
        for cell in cls.inv.cells:
            svcs = cell.services or {}
            for svc in (svcs.get('computes') or {}).values():
                if svc and svc.get('pid'):
                    owner[svc['pid']] = cell.name
            host = (svcs.get('conductor') or {}).get('host')
            for cons in cls.consumers[cell.name]:
                if host and cons['queue']['name'] == 'conductor.%s' % host:
                    pid = cls.pid_of.get(cons['channel_details'][
                        'connection_name'])
                    if pid:
                        owner[pid] = cell.name
        return owner

    @decorators.idempotent_id('7c18866b-1ba5-44f7-ad37-e4dedcd3dbbd')
    def test_every_cell_vhost_exists(self):
        vhosts = set(self.mgmt.vhosts())
        for cell in self.inv.cells:
            self.assertIn(cell.vhost, vhosts, 'vhost of %s' % cell.name)
        self.assertIn(self.api_vhost(), vhosts, 'API vhost')

    @decorators.idempotent_id('94dcd8fa-3be8-4057-b88d-cac2fbbee177')
    def test_compute_queue_only_on_own_cell_vhost(self):
        for cell in self.inv.cells:
            for host in cell.hosts:
                queue = 'compute.%s' % host
                where = [c for c, qs in self.queues.items() if queue in qs]
                self.assertEqual([cell.name], where, queue)
                self.assertGreaterEqual(
                    self.queues[cell.name][queue]['consumers'], 1,
                    '%s on vhost %s has no consumer' % (queue, cell.vhost))

    @decorators.idempotent_id('9d7444d5-913b-495d-9668-8635f8b9e338')
    def test_consumers_on_cell_vhost_belong_to_that_cell(self):
        owner = self._service_cells_by_pid()
        for cell in self.inv.cells:
            for cons in self.consumers[cell.name]:
                queue = cons['queue']['name']
                if queue.startswith('reply_'):
                    continue   # RPC replies to API-level callers
                pid = self.pid_of.get(cons['channel_details'][
                    'connection_name'])
                self.assertEqual(cell.name, owner.get(pid),
                                 'consumer of %s on vhost %s is pid %s' % (
                                     queue, cell.vhost, pid))

    @decorators.idempotent_id('6fa28ff2-06c0-48fb-aeb6-e67f592195d6')
    def test_cell_conductor_connects_to_own_cell_only(self):
        owner = self._service_cells_by_pid()
        computes = {svc.get('pid') for c in self.inv.cells
                    for svc in ((c.services or {}).get('computes') or
                                {}).values() if svc}
        conductors = {pid: cell for pid, cell in owner.items()
                      if pid not in computes}
        self.assertGreaterEqual(len(conductors), len(self.inv.cells))
        for pid, cell in conductors.items():
            self.assertEqual({self.inv.cell(cell).vhost},
                             self.vhosts_of_pid[pid],
                             'conductor of %s (pid %s)' % (cell, pid))

    @decorators.idempotent_id('2df3977c-37d6-4fab-987b-06e752295b20')
    def test_compute_processes_connect_to_own_cell_only(self):
        vhosts_of_pid = self.vhosts_of_pid
        checked = 0
        for cell in self.inv.cells:
            computes = (cell.services or {}).get('computes') or {}
            for host, svc in computes.items():
                if not svc or not svc.get('pid'):
                    continue
                checked += 1
                self.assertEqual({cell.vhost},
                                 vhosts_of_pid.get(svc['pid'], set()),
                                 'nova-compute %s (pid %s)' % (
                                     host, svc['pid']))
        if not checked:
            self.skipTest('the inventory records no compute pids')
