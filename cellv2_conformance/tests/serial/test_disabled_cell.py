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

"""A disabled cell: no new servers, existing ones stay manageable."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import findings
from cellv2_conformance.common import waiters
from cellv2_conformance.tests.serial import test_down_cell_base as base

CONF = config.CONF

# A boot pinned to a host of the disabled cell: documented ERROR with no
# host (NoValidHost); the deviation is the server ACTIVE on exactly the
# pinned host.
SIGHUP_KEEPS_DISABLED_CELL = findings.Finding(
    'scheduler-sighup-keeps-disabled-cell',
    'after update_cell --disable and SIGHUP, nova-scheduler (threading '
    'mode, cotyledon) still schedules into the disabled cell: SIGHUP '
    'respawns the worker from the master\'s start-up state, so the cell '
    '(and aggregate) caches are not refreshed',
    documented=findings.satisfies(
        'ERROR without a host (NoValidHost)',
        lambda o: o['status'] == 'ERROR' and o['host'] is None),
    deviation=findings.satisfies(
        'ACTIVE on the pinned host',
        lambda o: o['status'] == 'ACTIVE' and o['host'] == o['pinned']),
    reference='nova-manage update_cell --disable help; '
              'nova/cmd/scheduler.py; oslo.service threading backend '
              '_reload_service TODO')


@decorators.serial
class DisabledCellTest(base.CellFaultTestBase):
    """A cell disabled with ``nova-manage cell_v2 update_cell --disable``.

    Documented (nova-manage ``update_cell``; cells v2 layout docs): a
    disabled cell is not a scheduling candidate once nova-scheduler has
    reloaded its cell cache, by restart or SIGHUP; servers already in it
    stay listed and manageable; after ``--enable`` and a reload it takes
    servers again.  A boot pinned to a host of the disabled cell (2.74
    ``host``) is the sharp probe: it must fail (NoValidHost -> ERROR)
    instead of landing there.  The cell's transport/database URLs are
    passed unchanged (``update_cell`` otherwise substitutes the ones of its
    config file) and checked unchanged afterwards.  Every test re-enables
    the cell and restarts nova-scheduler in cleanup (fault journal).
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.nova_manage:
            raise cls.skipException('[cellv2] nova_manage is False')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.host = cls.ordinary_host(cls.down_cell)
        cls.existing = cls.boot(cls.host, prefix='incell')

    def _disable(self, reload):
        action = 'disable' if reload == 'sighup' else 'disable-restart'
        return self.inject('cell(%s):%s' % (self.down_cell.name, action))

    def _pinned_boot_outcome(self):
        server = self.boot(self.host, cleanup=self.addCleanup, wait=False,
                           prefix='pinned')
        history = waiters.wait_for(
            lambda: self.show(server['id']),
            lambda s: s['status'] in ('ACTIVE', 'ERROR'),
            'server %s pinned to %s' % (server['id'], self.host),
            'ACTIVE/ERROR', CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda s: s['status'])
        return self.show(server['id']), history

    @decorators.idempotent_id('4a8bc079-bc90-4c4d-bfaa-0a7252679837')
    def test_pinned_boot_refused_after_sighup(self):
        """Disable + SIGHUP: a boot pinned to the cell ends in ERROR."""
        self._disable('sighup')
        server, _ = self._pinned_boot_outcome()
        findings.check(self, SIGHUP_KEEPS_DISABLED_CELL, {
            'status': server['status'],
            'host': server.get('OS-EXT-SRV-ATTR:host'),
            'pinned': self.host}, cell=self.down_cell.name)

    @decorators.idempotent_id('c2c56feb-a919-4db0-a8ca-aac7c1354ea4')
    def test_pinned_boot_refused_after_restart(self):
        """Disable + scheduler restart: a pinned boot ends in ERROR."""
        self._disable('restart')
        server, _ = self._pinned_boot_outcome()
        self.assertEqual('ERROR', server['status'])
        self.assertIsNone(server.get('OS-EXT-SRV-ATTR:host'))
        self.assertIn('No valid host', (server.get('fault') or {}).get(
            'message', ''))

    @decorators.idempotent_id('b6631ec8-5d23-4279-8632-ca95113e535e')
    def test_unpinned_boots_avoid_disabled_cell(self):
        """Disable + restart: several boots all land in other cells."""
        self._disable('restart')
        servers = [self.boot(cleanup=self.addCleanup, wait=False,
                             prefix='free') for _ in range(3)]
        hosts = []
        for s in servers:
            self.wait_status(s['id'], 'ACTIVE')
            hosts.append(self.show(s['id'])['OS-EXT-SRV-ATTR:host'])
        self.assertEqual([], [h for h in hosts if h in self.down_cell.hosts],
                         'servers landed in disabled cell %s: %s' % (
                             self.down_cell.name, hosts))

    @decorators.idempotent_id('7a85de11-dff2-4f49-b965-3aca5237ebbe')
    def test_existing_server_manageable_in_disabled_cell(self):
        """Servers in a disabled cell stay listed; stop/start works."""
        self._disable('restart')
        listing = self.list_detail('2.69')
        self.assertEqual('ACTIVE', listing[self.existing['id']]['status'])
        with self.microversion('2.74'):
            self.client.stop_server(self.existing['id'])
        self.addCleanup(self._ensure_active, self.existing['id'])
        self.wait_status(self.existing['id'], 'SHUTOFF')
        with self.microversion('2.74'):
            self.client.start_server(self.existing['id'])
        self.wait_status(self.existing['id'], 'ACTIVE')
        self.assertEqual(self.host, self.show(self.existing['id'])[
            'OS-EXT-SRV-ATTR:host'])

    @decorators.idempotent_id('24310c7f-1870-43a9-beff-c537f37eb15b')
    def test_reenabled_cell_takes_pinned_boot(self):
        """Disable, then enable + restart: a pinned boot is ACTIVE there."""
        record = self._disable('sighup')
        self.heal(record)
        server = self.boot(self.host, cleanup=self.addCleanup,
                           prefix='reenabled')
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(self.host, server['OS-EXT-SRV-ATTR:host'])

    def _ensure_active(self, server_id):
        if self.show(server_id)['status'] == 'SHUTOFF':
            with self.microversion('2.74'):
                self.client.start_server(server_id)
        self.wait_status(server_id, 'ACTIVE')
