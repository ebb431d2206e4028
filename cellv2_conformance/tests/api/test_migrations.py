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

"""Moves stay inside a cell and os-migrations reports every cell's."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import servers
from cellv2_conformance.common import waiters
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
MIGRATION_UUIDS = '2.59'
SETTLED = ('ACTIVE', 'VERIFY_RESIZE')


class ResizeWithinCellTest(base.DatabaseMixin, base.CellsBaseTest):
    """Without the cross-cell policy, a resize never leaves the source cell.

    Runs as an admin the policy ``compute:servers:resize:cross_cell`` does
    not grant: when the cloud allows cross-cell moves only to
    ``[cellv2] cross_cell_resize_role``, a plain admin still must stay in
    the cell (``scenario/test_cross_cell_migrate`` covers the granted
    case).

    One server per cell is resized to ``flavor_ref_alt``.  The scheduler
    may only pick another host of the same cell (the request spec is
    restricted to the source cell unless the policy
    ``compute:servers:resize:cross_cell`` allows otherwise); if the cell
    has no other ordinary host the resize fails with NoValidHost, the
    migration goes to ``error`` and the server stays ACTIVE where it was.
    Either way the instance row stays in the source cell DB, the migration
    row is written there and only there, and ``GET /os-migrations`` (2.59,
    with migration uuids) lists the migrations of every cell.
    """

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if CONF.cellv2.cross_cell_resize and \
                not CONF.cellv2.cross_cell_resize_role:
            raise cls.skipException('[cellv2] cross_cell_resize is true for '
                                    'the admin: resizes may leave the '
                                    'source cell')
        if not CONF.compute_feature_enabled.resize:
            raise cls.skipException('resize is disabled in tempest.conf')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.booted = cls.boot_into_cells(cls.cells_with_ordinary_host(),
                                         name_prefix='rsz')
        for cell, server in cls.booted:
            cls.admin_servers_client.resize_server(
                server['id'], CONF.compute.flavor_ref_alt)
        cls.settled = {}
        for cell, server in cls.booted:
            with recorder.timed('resize-settle', cell=cell.name,
                                test_id=cls.__name__):
                cls.settled[server['id']] = cls._settle(server['id'])
        cls.migrations = {}
        with servers.api_version(MIGRATION_UUIDS):
            for cell, server in cls.booted:
                cls.migrations[server['id']] = cls._migration_done(
                    server['id'])

    @classmethod
    def _settle(cls, server_id):
        seen = {}

        def fetch():
            seen['s'] = cls.admin_servers_client.show_server(server_id)[
                'server']
            return seen['s']

        waiters.wait_for(
            fetch, done=lambda s: s['status'] in SETTLED and not s.get(
                'OS-EXT-STS:task_state'), what='server %s' % server_id,
            goal='/'.join(SETTLED), timeout=CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda s: '%s/%s' % (s['status'], s.get(
                'OS-EXT-STS:task_state')),
            error=lambda s: s['status'] == 'ERROR')
        if seen['s']['status'] == 'VERIFY_RESIZE':
            cls.admin_servers_client.confirm_resize_server(server_id)
            cls.wait_status_cls(server_id)
        return seen['s']

    @classmethod
    def wait_status_cls(cls, server_id):
        return servers.wait_status(
            cls.admin_servers_client, server_id, 'ACTIVE',
            CONF.cellv2.build_timeout, CONF.cellv2.build_interval)[0]

    @classmethod
    def _migration_done(cls, server_id):
        """Wait until the server's migrations are final; return them."""
        client = cls.os_admin.migrations_client
        seen = {}

        def fetch():
            seen['m'] = client.list_migrations(instance_uuid=server_id)[
                'migrations']
            return seen['m']

        waiters.wait_for(
            fetch, done=lambda ms: bool(ms) and all(
                m['status'] in ('error', 'confirmed', 'finished')
                for m in ms),
            what='migrations of %s' % server_id, goal='error/confirmed',
            timeout=CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda ms: ','.join(m['status'] for m in ms))
        return seen['m']

    @decorators.idempotent_id('b346b25e-7177-4ec3-b2ba-079ff6296d2f')
    def test_instance_stays_in_source_cell(self):
        for cell, server in self.booted:
            self.assertEqual([cell.name], self.cells_holding(server['id']))
            self.assertEqual(cell.name, self.mapped_cell(server['id']))

    @decorators.idempotent_id('af4fbc41-8fe1-40e9-b7cd-a6bc85015777')
    def test_destination_host_in_source_cell(self):
        for cell, server in self.booted:
            host = self.host_of(self.settled[server['id']])
            self.assertIn(host, cell.hosts)

    @decorators.idempotent_id('c0e89f3d-c8cc-4c02-80dd-974b54162843')
    def test_migration_rows_only_in_source_cell(self):
        for cell, server in self.booted:
            for name, url in self.cell_dbs().items():
                rows = self.sql(url, 'SELECT uuid, source_compute, '
                                'dest_compute, cross_cell_move FROM '
                                'migrations WHERE instance_uuid = %s',
                                (server['id'],))
                if name != cell.name:
                    self.assertEqual([], rows, 'migrations in %s' % name)
                    continue
                self.assertEqual(1, len(rows))
                self.assertEqual(0, rows[0]['cross_cell_move'])

    @decorators.idempotent_id('3d664c43-9e33-4006-83d3-ba9e8d2e309a')
    def test_os_migrations_lists_every_cell(self):
        with servers.api_version(MIGRATION_UUIDS):
            listed = self.os_admin.migrations_client.list_migrations()[
                'migrations']
        rows = {(server['id'], cell.name): [r['uuid'] for r in self.sql(
            cell.reader_url, 'SELECT uuid FROM migrations WHERE '
            'instance_uuid = %s', (server['id'],))]
            for cell, server in self.booted}
        self.assertEqual([], crosscheck.migrations_listed(
            rows, [m['uuid'] for m in listed]))

    @decorators.idempotent_id('a742d494-eff1-42bd-b114-16ae7a81263a')
    def test_failed_resize_keeps_server_active_with_old_flavor(self):
        """Each resize either failed (old flavor, old host) or succeeded
        (new flavor, a host of the same cell); nothing else.
        """
        self.assertNotEqual([], self.booted, 'no server was resized')
        new_flavor = self.os_admin.flavors_client.show_flavor(
            CONF.compute.flavor_ref_alt)['flavor']['name']
        problems = []
        for cell, server in self.booted:
            shown = self.admin_servers_client.show_server(server['id'])[
                'server']
            problems += crosscheck.resize_outcome(
                cell.name, cell.hosts, server, shown,
                self.migrations[server['id']], new_flavor)
        self.assertEqual([], problems)


class ColdMigrateWithinCellTest(base.DatabaseMixin, base.CellsBaseTest):
    """A cold migration to a named host (2.56) of the same cell works.

    Needs a cell with two hosts that can take ordinary servers, by
    evidence (not enrolled in Blazar's os-hosts, not in its free pool
    aggregate, nova-compute enabled and up): a free pool host would be
    refused by the BlazarFilter.  The bundled multi-cell scenario has one
    such host per cell, so it skips there.  A migration that fails (its
    os-migrations record goes to ``error``) fails the check at once.
    """

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.compute_feature_enabled.cold_migration:
            raise cls.skipException('cold migration is disabled')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        usable = set(cls.usable_hosts())
        cls.pair = None
        for cell in cls.inv.enabled_cells:
            hosts = [h for h in cell.hosts if h in usable]
            if len(hosts) >= 2:
                cls.pair = (cell, hosts[0], hosts[1])
                break
        if not cls.pair:
            raise cls.skipException(
                'no cell has two hosts that take ordinary servers (usable: '
                '%s; Blazar hosts: %s): a same-cell cold migration cannot '
                'be placed' % (sorted(usable), cls.blazar_hosts()))

    def _wait_migrated(self, server_id):
        """VERIFY_RESIZE, or fail fast when the migration errors."""
        seen = {}

        def fetch():
            seen['server'] = self.admin_servers_client.show_server(
                server_id)['server']
            seen['migrations'] = self.os_admin.migrations_client.\
                list_migrations(instance_uuid=server_id)['migrations']
            return seen

        waiters.wait_for(
            fetch, done=lambda o: o['server']['status'] == 'VERIFY_RESIZE',
            what='cold migration of server %s' % server_id,
            goal='VERIFY_RESIZE', timeout=CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda o: '%s/%s migration=%s' % (
                o['server']['status'],
                o['server'].get('OS-EXT-STS:task_state'),
                ','.join(m['status'] for m in o['migrations'])),
            error=lambda o: o['server']['status'] == 'ERROR' or any(
                m['status'] == 'error' for m in o['migrations']))
        return seen['server']

    @decorators.idempotent_id('271042e4-722c-4487-aa59-0541eea72c6b')
    def test_cold_migrate_to_host_of_same_cell(self):
        cell, src, dst = self.pair
        server = servers.boot(
            self.admin_servers_client, CONF.compute.flavor_ref,
            CONF.compute.image_ref, self.addCleanup,
            CONF.cellv2.build_timeout, host=src,
            interval=CONF.cellv2.build_interval)
        with recorder.timed('cold-migrate', cell=cell.name,
                            test_id=self.id()):
            with servers.api_version('2.56'):
                self.admin_servers_client.migrate_server(server['id'],
                                                         host=dst)
            moved = self._wait_migrated(server['id'])
        self.admin_servers_client.confirm_resize_server(server['id'])
        self.wait_server(server['id'])
        self.assertEqual(dst, self.host_of(moved))
        self.assertEqual([cell.name], self.cells_holding(server['id']))
