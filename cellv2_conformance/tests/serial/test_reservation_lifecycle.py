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

"""Short real-time leases, overlapping in one class-level fixture.

Blazar's dates are whole minutes and its event loop ticks every 10 s, so
each lifecycle costs minutes of wall time.  Instead of queueing them, the
fixture creates every short lease at once (start "now" or END1, end one or
two minutes later) with a background watcher per lease that records every
transition; the checks then act inside the windows and assert on what was
recorded.  The checks run in name order: test_1x while the host lease is
ACTIVE, test_2x on other ACTIVE leases, test_4x on the instance lease and
the host enrolment cycle, test_5x on the ends.

Timeline (END1 is 70-130 s after creation, END2 = END1 + 1 min)::

    host      physical:host min=max=<all enrolled>       now  .. END1
    extra     an ordinary host enrolled for the class, removed by test_46
    instance  virtual:instance on the extra host          now  .. END2
              (deleted while ACTIVE by test_41)
    plain     no reservations                             now  .. END1
    future    no reservations                             END1 .. END2
    extend    no reservations, extended while ACTIVE      now  .. END1->END2
    shrink    no reservations, shrunk while ACTIVE        now  .. END2->END1

Two host-consuming leases cannot be back-to-back on the same hosts
(Blazar's window borders are inclusive), hence the extra host for the
instance reservation.
"""

import concurrent.futures
import datetime
import threading

from tempest import config
from tempest.lib.common import api_microversion_fixture
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.common import naming
from cellv2_conformance.common import waiters
from cellv2_conformance.inspect import db
from cellv2_conformance.tests import reservation_base as base
from cellv2_conformance.timing import recorder

CONF = config.CONF
STATE_DOC = 'blazar doc user/state-machines.rst; LP#1791741'

# blazar 18.0.0: the lease_status decorator of manager update_lease checks
# the transition to UPDATING before the body runs and raises InvalidStatus
# ("Invalid lease status.", no ``code``), which Rest.route renders as 500.
TRANSITIONAL_STATUS_500 = findings.Finding(
    'blazar-transitional-status-500',
    'an update during a transitional lease status (STARTING, TERMINATING) '
    'is refused with HTTP 500 (InvalidStatus has no code), not 409',
    documented=findings.http(409),
    deviation=findings.http(500, r'^Invalid lease status\.$'),
    reference=STATE_DOC)
ORDER = ['PENDING', 'STARTING', 'ACTIVE', 'TERMINATING', 'TERMINATED']


def _compute_mv():
    return api_microversion_fixture.APIMicroversionFixture(
        compute_microversion=base.COMPUTE_MICROVERSION)


@decorators.serial
class LeaseLifecycleTest(base.ReservationBase):
    """Leases go PENDING -> STARTING -> ACTIVE -> TERMINATING -> TERMINATED
    on time (lag to the scheduled minute is measured), with their events
    DONE; ACTIVE leases can be extended, shrunk and deleted; a host lease
    moves every enrolled host (from every cell) out of the free pool into
    its own aggregate, where only boots with its reservation hint land -
    each server in the cell of its host - while ordinary boots stay on
    ordinary hosts; an instance reservation boots through its flavor and
    server group; at the end Blazar deletes the reserved servers and gives
    the hosts back to the free pool; a host can be enrolled and removed
    again, leaving Nova and Placement consistent.

    Why: this is the reservation contract itself; the end of a lease and
    the host removal are where Blazar has stranded hosts and servers before
    (LP#1791733, LP#1847821, LP#1813252).
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.inventory:
            raise cls.skipException('[cellv2] inventory is not set')
        if not CONF.cellv2.lease_enrolled_hosts:
            raise cls.skipException(
                'the host lease reserves every host enrolled in Blazar for '
                'minutes: set [cellv2] lease_enrolled_hosts = true where '
                'that is acceptable')
        if not CONF.cellv2.enrol_hosts:
            raise cls.skipException(
                'the class enrols an ordinary compute into Blazar and '
                'removes it again: name the hosts it may take in [cellv2] '
                'enrol_hosts')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        # Blazar's own record of its hosts is the evidence (a discovered
        # inventory does not know them).
        cls.reservable = sorted(h['hypervisor_hostname'] for h in
                                cls.admin_hosts.list_hosts()['hosts'])
        if not cls.reservable:
            raise cls.skipException('no host is enrolled in Blazar')
        cls.extra_host, why = crosscheck.takeable_host(
            CONF.cellv2.enrol_hosts, cls.reservable, cls._servers_on)
        if not cls.extra_host:
            raise cls.skipException(
                'no host of [cellv2] enrol_hosts (%s) can be enrolled now: '
                '%s' % (', '.join(CONF.cellv2.enrol_hosts), why))
        services = cls.os_admin.services_client.list_services(
            binary='nova-compute')['services']
        cls.ordinary = crosscheck.usable_ordinary_hosts(
            [s['host'] for s in services],
            cls.reservable + [cls.extra_host], cls._freepool(), services)
        if not cls.ordinary:
            raise cls.skipException(
                'no compute besides Blazar\'s hosts and %s takes ordinary '
                'servers (test_12 boots one)' % cls.extra_host)
        cls.observed = {}
        cls.watchers = {}

        now = leases.utcnow()
        # END1 is 70..130 s away: the host lease starts ~30 s after its
        # creation (event tick + aggregate moves) and must stay ACTIVE long
        # enough for the boots.
        end1 = leases.fmt(leases.minutes_after(
            now, 2 if now.second <= 50 else 3))
        end2 = leases.fmt(leases.parse(end1) + datetime.timedelta(minutes=1))
        cls.end1, cls.end2 = end1, end2

        # The host lease first, so that it can only take enrolled hosts.
        n = len(cls.reservable)
        cls._watch('host', cls.create_class_lease(
            cls.leases, [base.host_reservation(min=n, max=n)], end=end1),
            on_status={'STARTING': cls._rename_hook('STARTING'),
                       'TERMINATING': cls._rename_hook('TERMINATING')})

        def enrol_and_instance_lease():
            cls._enrol_extra_host()
            return base.create_or_find(
                cls.leases, name=cls.lease_name(), start_date='now',
                end_date=end2,
                reservations=[base.instance_reservation(
                    affinity=True,
                    resource_properties=base.hostname_is(cls.extra_host))])

        def plain(start, end):
            client = cls.os_primary.reservation_v1.LeasesClient()
            return lambda: base.create_or_find(
                client, name=cls.lease_name(), start_date=start,
                end_date=end)

        jobs = {'instance': enrol_and_instance_lease,
                'plain': plain('now', end1), 'future': plain(end1, end2),
                'extend': plain('now', end1), 'shrink': plain('now', end2)}
        errors = []
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            futures = {k: pool.submit(f) for k, f in jobs.items()}
            for key, fut in futures.items():
                try:
                    lease = fut.result()
                except Exception as e:
                    errors.append('%s: %s' % (key, e))
                    if getattr(e, 'lease', None):   # created after all
                        cls.addClassResourceCleanup(
                            leases.delete_lease_and_wait, cls.leases,
                            e.lease['id'])
                    continue
                cls.addClassResourceCleanup(leases.delete_lease_and_wait,
                                            cls.leases, lease['id'])
                cls._watch(key, lease)
        if errors:
            raise lib_exc.TempestException(
                'creating the short leases failed: %s' % '; '.join(errors))

    # -- fixture helpers -----------------------------------------------------
    @classmethod
    def _watch(cls, key, lease, on_status=None):
        watcher = leases.LeaseWatcher(
            cls.os_primary.reservation_v1.LeasesClient(), lease, name=key,
            on_status=on_status)
        watcher.history.append(dict(leases.signature(lease),
                                    at=leases.utcnow(), lease=lease))
        cls.watchers[key] = watcher.start()
        cls.addClassResourceCleanup(watcher.stop)

    @classmethod
    def _rename_hook(cls, status):
        def hook(lease):
            client = cls.os_primary.reservation_v1.LeasesClient()
            return base.status_of(client.update_lease, lease['id'],
                                  name=cls.lease_name())
        return hook

    @classmethod
    def _servers_on(cls, host):
        return cls.os_admin.servers_client.list_servers(
            all_tenants=True, host=host)['servers']

    @classmethod
    def _wait_host_empty(cls, host):
        waiters.wait_for(lambda: cls._servers_on(host), lambda s: not s,
                         'servers on %s' % host, 'none',
                         CONF.cellv2.build_timeout,
                         interval=CONF.cellv2.build_interval,
                         state_of=lambda s: '%d servers' % len(s))

    @classmethod
    def _blazar_host(cls, name):
        for h in cls.admin_hosts.list_hosts()['hosts']:
            if h['hypervisor_hostname'] == name:
                return h
        return None

    @classmethod
    def _child_provider(cls, name):
        rps = cls.os_admin.resource_providers_client.list_resource_providers(
            name='blazar_%s' % name)['resource_providers']
        return rps[0] if rps else None

    @classmethod
    def _enrol_extra_host(cls):
        # the mark lets `cellv2-conformance cleanup` find this enrolment
        # after a killed run (and only this one)
        host = cls.admin_hosts.create_host(
            cls.extra_host, **{naming.ENROL_MARK: naming.prefix()})['host']
        cls.addClassResourceCleanup(cls._restore_extra_host)
        cls.observed['enrolled'] = {
            'host': host,
            'freepool': cls._freepool(),
            'child_provider': cls._child_provider(cls.extra_host)}

    @classmethod
    def _freepool(cls):
        for agg in cls.os_admin.aggregates_client.list_aggregates()[
                'aggregates']:
            if agg['name'] == CONF.reservation.freepool:
                return sorted(agg['hosts'])
        return []

    probe = None

    @classmethod
    def _restore_extra_host(cls):
        """Un-enrol the extra host if a check did not, and wait until Nova
        can place servers on it again.
        """
        probe = getattr(cls, 'probe', None)
        if probe is not None:
            probe.join(200)
        host = cls._blazar_host(cls.extra_host)
        if host is not None:
            cls._wait_host_empty(cls.extra_host)
            cls.admin_hosts.delete_host(host['id'])
            cls._wait_host_usable(cls.extra_host)

    @classmethod
    def _wait_host_usable(cls, host, timeout=150):
        """After DELETE /os-hosts the compute keeps the removed blazar_<host>
        child provider cached (until [compute]
        resource_provider_association_refresh) and claims on the host fail:
        probe with admin boots pinned to the host until one is ACTIVE.
        """
        servers = cls.os_admin.servers_client
        attempts = []

        def probe():
            name = naming.rand_name('probe')
            fx = _compute_mv()
            fx.setUp()
            try:
                try:
                    sid = servers.create_server(
                        name=name, imageRef=CONF.compute.image_ref,
                        flavorRef=CONF.compute.flavor_ref, networks='none',
                        host=host)['server']['id']
                except lib_exc.BadRequest:
                    # the compute microversion is process-global: a check
                    # running meanwhile may have reset it; try again
                    attempts.append('REJECTED')
                    return 'REJECTED'
                try:
                    status = waiters.wait_for(
                        lambda: servers.show_server(sid)['server'],
                        lambda s: s['status'] in ('ACTIVE', 'ERROR'),
                        'probe server %s on %s' % (sid, host),
                        'ACTIVE/ERROR', CONF.cellv2.build_timeout,
                        interval=CONF.cellv2.build_interval,
                        state_of=lambda s: s['status'])[-1]['state']
                finally:
                    cls.delete_server(servers, sid)
            finally:
                fx.cleanUp()
            attempts.append(status)
            return status
        history = waiters.wait_for(
            probe, lambda s: s == 'ACTIVE',
            'a server placed on %s after its removal from Blazar' % host,
            'ACTIVE', timeout, interval=2.0, state_of=lambda s: s)
        cls.observed['usable_after_removal'] = {
            'attempts': attempts,
            'seconds': history[-1]['elapsed'] if history else 0}
        recorder.record('blazar-host-removal-to-usable',
                        history[-1]['elapsed'] if history else 0,
                        cell=getattr(cls.inventory.cell_of_host(host),
                                     'name', None), host=host,
                        attempts=len(attempts))

    # -- check helpers --------------------------------------------------------
    def _wait(self, key, status, timeout=None):
        w = self.watchers[key]
        try:
            return w.wait_for_status(status, timeout_s=timeout)
        except waiters.WaitError:
            self.fail('lease %s (%s) did not reach %s: %s' % (
                w.lease_id, key, status, w.describe()))

    def _rsv(self, key):
        return self.watchers[key].created['reservations'][0]

    def _lag(self, key, event, status, scheduled):
        """Record seconds between the scheduled minute and the first
        observation of ``status``.
        """
        w = self.watchers[key]
        seen = w.first(status)
        lag = (seen['at'] - scheduled).total_seconds()
        recorder.record('lease-%s-lag' % event, lag, test_id=self.id(),
                        lease=w.lease_id, kind=key, status=status,
                        scheduled=scheduled.isoformat())
        return lag

    def _cell_rows(self, server_id):
        """{cell name: instances row} over every cell database."""
        out = {}
        for cell in self.inventory.cells:
            rows = db.select(cell.reader_url,
                             'SELECT host, node, vm_state FROM instances '
                             'WHERE uuid = %s AND deleted = 0',
                             (server_id,))
            if rows:
                out[cell.name] = rows[0]
        return out

    def _mapped_cell(self, server_id):
        api = self.inventory.api
        url = api.get('readonly_database') or api.get('database')
        rows = db.select(url, 'SELECT cm.name FROM instance_mappings im '
                         'JOIN cell_mappings cm ON cm.id = im.cell_id '
                         'WHERE im.instance_uuid = %s', (server_id,))
        return rows[0]['name'] if rows else None

    def _boot_kept(self, **kw):
        """Boot a server that must survive until its lease ends (Blazar is
        the one to delete it); the class cleanup deletes it otherwise.
        """
        return self.boot(class_cleanup=True, **kw)

    def _settled(self, lease_id):
        """The lease once its update finished (the PUT answers with the
        transitional UPDATING status).
        """
        leases.wait_for_lease(self.leases, lease_id,
                              [s for s in leases.STABLE if s != 'ERROR'])
        return self.leases.show_lease(lease_id)['lease']

    def _assert_order(self, statuses):
        self.assertNotIn('ERROR', statuses)
        idx = [ORDER.index(s) for s in statuses if s != 'UPDATING']
        self.assertEqual(sorted(idx), idx, 'statuses out of order: %s'
                         % statuses)

    # -- while the host lease is ACTIVE (test_1x) -----------------------------
    @decorators.idempotent_id('ade086c8-9088-478f-8fea-b0ffddec4c71')
    def test_10_host_lease_moves_hosts_to_its_aggregate(self):
        self._wait('host', 'ACTIVE')
        rsv = self._rsv('host')['id']
        agg = self.aggregate_named(rsv)
        self.assertIsNotNone(agg, 'no aggregate %s' % rsv)
        self.assertEqual(self.reservable, sorted(agg['hosts']))
        self.assertEqual('blazar_%s' % rsv, agg['availability_zone'])
        self.assertEqual([], sorted(set(self.freepool_hosts()) &
                                    set(self.reservable)))
        self._lag('host', 'start', 'ACTIVE', leases.parse(
            self.watchers['host'].created['start_date']))

    @decorators.idempotent_id('41d94df9-28be-4530-9051-7adf75bdbaff')
    def test_11_reserved_boots_land_on_reserved_hosts_in_their_cells(self):
        self._wait('host', 'ACTIVE')
        rsv = self._rsv('host')['id']
        group = self.os_primary.server_groups_client.create_server_group(
            name=naming.rand_name('spread'),
            policy='anti-affinity')['server_group']
        self.addClassResourceCleanup(
            test_utils.call_and_ignore_notfound_exc,
            self.os_primary.server_groups_client.delete_server_group,
            group['id'])
        servers = [self._boot_kept(hints={'reservation': rsv},
                                   group=group['id'])
                   for _ in self.reservable]
        self.__class__.observed['host_servers'] = [s['id'] for s in servers]
        hosts = sorted(self.host_of(s['id']) for s in servers)
        self.assertEqual(self.reservable, hosts)
        if not CONF.cellv2.whitebox_db:
            return
        for s in servers:
            host = self.host_of(s['id'])
            cell = self.inventory.cell_of_host(host).name
            rows = self._cell_rows(s['id'])
            self.assertEqual([cell], sorted(rows),
                             'server %s on %s found in cells %s' % (
                                 s['id'], host, sorted(rows)))
            self.assertEqual(host, rows[cell]['host'])
            self.assertEqual(cell, self._mapped_cell(s['id']))

    @decorators.idempotent_id('ba8c486c-d881-436e-b872-565de18912c1')
    def test_12_ordinary_boot_avoids_reserved_and_freepool_hosts(self):
        self._wait('host', 'ACTIVE')
        server = self.boot()
        host = self.host_of(server['id'])
        self.assertNotIn(host, self.reservable + [self.extra_host])
        self.assertIn(host, self.ordinary)

    @decorators.idempotent_id('215fb8b7-70bf-4836-b0d1-167efaf9f39e')
    def test_13_operation_while_starting(self):
        self._wait('host', 'ACTIVE')
        self._transitional('STARTING')

    def _transitional(self, status):
        w = self.watchers['host']
        self.assertIsNotNone(w.first(status), '%s never observed: %s' % (
            status, w.describe()))
        kind, result = w.hook_results.get(status, ('missing', None))
        self.assertEqual('ok', kind, 'rename during %s: %s' % (status,
                                                               result))
        self.__class__.observed['rename_during_%s' % status] = result
        findings.check(self, TRANSITIONAL_STATUS_500, result)

    # -- other ACTIVE leases (test_2x) ----------------------------------------
    @decorators.idempotent_id('1784e754-29ee-4f83-a064-d698a3379994')
    def test_20_extend_active_lease(self):
        self._wait('extend', 'ACTIVE')
        lease_id = self.watchers['extend'].lease_id
        self.leases.update_lease(lease_id, end_date=self.end2)
        lease = self._settled(lease_id)
        self.assertEqual('ACTIVE', lease['status'])
        self.assertEqual(leases.parse(self.end2),
                         leases.parse(lease['end_date']))
        end_event = [e for e in lease['events']
                     if e['event_type'] == 'end_lease'][0]
        self.assertEqual(leases.parse(self.end2),
                         leases.parse(end_event['time']))
        self.assertEqual('UNDONE', end_event['status'])

    @decorators.idempotent_id('e7c94d0b-b37a-448c-9782-80c93e9d2277')
    def test_21_shrink_active_lease(self):
        self._wait('shrink', 'ACTIVE')
        lease_id = self.watchers['shrink'].lease_id
        self.leases.update_lease(lease_id, end_date=self.end1)
        lease = self._settled(lease_id)
        self.assertEqual('ACTIVE', lease['status'])
        self.assertEqual(leases.parse(self.end1),
                         leases.parse(lease['end_date']))

    @decorators.idempotent_id('de16400b-f236-4be8-9c29-031d87ab4d13')
    def test_23_update_active_instance_amount(self):
        self._wait('instance', 'ACTIVE')
        rsv = self._rsv('instance')
        lease_id = self.watchers['instance'].lease_id
        self.leases.update_lease(
            lease_id, reservations=[{'id': rsv['id'], 'amount': 2}])
        lease = self._settled(lease_id)
        self.assertEqual(2, lease['reservations'][0]['amount'])
        self.assertEqual('ACTIVE', lease['status'])

    # -- the instance reservation (test_4x) -----------------------------------
    @decorators.idempotent_id('c0451475-9dcf-4880-bca4-c882a742f0d2')
    def test_40_instance_reservation_boot(self):
        self._wait('instance', 'ACTIVE')
        rsv = self._rsv('instance')
        self.assertIsNotNone(rsv['server_group_id'])
        server = self._boot_kept(flavor=rsv['flavor_id'],
                                 group=rsv['server_group_id'])
        self.__class__.observed['instance_server'] = server['id']
        self.assertEqual(self.extra_host, self.host_of(server['id']))
        self.assertIn(server['flavor'].get('original_name'),
                      (rsv['flavor_id'], 'reservation:%s' % rsv['flavor_id']))

    @decorators.idempotent_id('51d2b28b-8df0-4365-80b0-b46bfdc1ca68')
    def test_41_delete_active_instance_lease(self):
        self._wait('instance', 'ACTIVE')
        w = self.watchers['instance']
        rsv = self._rsv('instance')
        self.assertEqual(204, self.leases.delete_lease(
            w.lease_id).response.status)
        leases.wait_for_lease_deleted(self.leases, w.lease_id)
        # Blazar deletes the reservation's servers, flavor and aggregate
        sid = self.observed.get('instance_server')
        self.assertIsNotNone(sid, 'no server was booted on the instance '
                             'reservation (test_40 failed or did not run): '
                             'cannot check that the lease took it along')
        self.assertRaises(lib_exc.NotFound,
                          self.os_admin.servers_client.show_server, sid)
        self.assertRaises(lib_exc.NotFound,
                          self.os_admin.flavors_client.show_flavor,
                          rsv['flavor_id'])
        self.assertIsNone(self.aggregate_named(rsv['id']))

    # -- host enrolment cycle (test_4x, after the instance lease is gone) -----
    @decorators.idempotent_id('dda62f3a-2751-4a2e-b619-7a177cabc31a')
    def test_45_enrolled_host_joins_freepool_with_child_provider(self):
        seen = self.observed.get('enrolled')
        self.assertIsNotNone(seen, 'the extra host was not enrolled')
        self.assertEqual(self.extra_host,
                         seen['host']['hypervisor_hostname'])
        self.assertIn(self.extra_host, seen['freepool'])
        self.assertIsNotNone(seen['child_provider'])

    @decorators.idempotent_id('83757c3a-e5a3-4deb-9422-ae5a9d8a6c27')
    def test_46_remove_host_restores_nova_and_placement(self):
        host = self._blazar_host(self.extra_host)
        self.assertIsNotNone(host)
        self._wait_host_empty(self.extra_host)
        self.assertEqual(204, self.admin_hosts.delete_host(
            host['id']).response.status)
        self.assertIsNone(self._blazar_host(self.extra_host))
        self.assertNotIn(self.extra_host, self.freepool_hosts())
        self.assertIsNone(self._child_provider(self.extra_host))
        # Whether Nova can place servers there again (the compute's stale
        # provider cache) is probed in the background while the other
        # leases end; test_59 collects the result.
        self.__class__.probe = threading.Thread(
            target=self._probe_in_background, daemon=True)
        self.probe.start()

    @classmethod
    def _probe_in_background(cls):
        try:
            cls._wait_host_usable(cls.extra_host)
        except Exception as e:
            cls.observed['usable_error'] = e

    @decorators.idempotent_id('b50ee5d0-b0d8-4240-917a-870ef08b08e6')
    def test_59_removed_host_usable_again(self):
        probe = getattr(self, 'probe', None)
        self.assertIsNotNone(probe, 'the host was not removed (test_46)')
        probe.join(200)
        self.assertFalse(probe.is_alive(), 'probe still running')
        self.assertIsNone(self.observed.get('usable_error'))
        self.assertIn('usable_after_removal', self.observed)

    # -- ends (test_5x) -------------------------------------------------------
    @decorators.idempotent_id('82310c96-ee81-4e6e-9110-bff765c568dd')
    def test_50_host_lease_end_deletes_servers_and_frees_hosts(self):
        self._wait('host', 'TERMINATED')
        w = self.watchers['host']
        self._lag('host', 'end', 'TERMINATED', leases.parse(
            w.created['end_date']))
        self._assert_order(w.statuses())
        final = w.latest()['lease']
        self.assertEqual(['deleted'], [r['status']
                                       for r in final['reservations']])
        booted = self.observed.get('host_servers')
        self.assertTrue(booted, 'no server was booted on the host '
                        'reservation (test_11 failed or did not run): '
                        'cannot check that the lease end deleted them')
        for sid in booted:
            self.assertRaises(lib_exc.NotFound,
                              self.os_admin.servers_client.show_server, sid)
        self.assertIsNone(self.aggregate_named(self._rsv('host')['id']))
        self.assertEqual(self.reservable, sorted(
            set(self.freepool_hosts()) - {self.extra_host}))

    @decorators.idempotent_id('c40cbe8a-b705-4a7d-8b3a-5cdb10a8052f')
    def test_51_host_lease_full_state_sequence(self):
        self._wait('host', 'TERMINATED')
        self.assertEqual(ORDER, self.watchers['host'].statuses())

    @decorators.idempotent_id('229599a9-026b-47f5-9766-c6a207ef1f41')
    def test_52_operation_while_terminating(self):
        self._wait('host', 'TERMINATED')
        self._transitional('TERMINATING')

    @decorators.idempotent_id('bb53b562-c149-4ddd-81b6-d7a502ba49c3')
    def test_54_lease_events_done(self):
        self._wait('plain', 'TERMINATED')
        w = self.watchers['plain']
        self._assert_order(w.statuses())
        self.assertEqual({'start_lease': 'DONE', 'end_lease': 'DONE'},
                         w.latest()['events'])
        self._lag('plain', 'end', 'TERMINATED', leases.parse(
            w.created['end_date']))

    @decorators.idempotent_id('1b30ee00-a44f-4824-acee-53f7e86eaa1d')
    def test_55_shrunk_lease_ends_at_new_end(self):
        self._wait('shrink', 'TERMINATED')
        w = self.watchers['shrink']
        ended = w.first('TERMINATING') or w.first('TERMINATED')
        self.assertGreaterEqual(ended['at'], leases.parse(self.end1))
        self.assertLess(ended['at'], leases.parse(self.end2))
        self._lag('shrink', 'end', 'TERMINATED', leases.parse(self.end1))

    @decorators.idempotent_id('91013161-9a93-4928-a17e-f41bebe59678')
    def test_56_extended_lease_outlives_its_old_end(self):
        # Still ACTIVE after the original end (END1) has passed and been
        # handled: the end event moved with the extension.
        self._wait('shrink', 'TERMINATED')
        w = self.watchers['extend']
        self.assertIsNone(w.first('TERMINATING'), w.describe())
        lease = self.leases.show_lease(w.lease_id)['lease']
        self.assertEqual('ACTIVE', lease['status'])

    @decorators.idempotent_id('e1bd3777-9ff1-4a83-aecd-ce927e437700')
    def test_57_delete_terminated_lease(self):
        self._wait('plain', 'TERMINATED')
        lease_id = self.watchers['plain'].lease_id
        self.assertEqual(204, self.leases.delete_lease(
            lease_id).response.status)
        leases.wait_for_lease_deleted(self.leases, lease_id)

    @decorators.idempotent_id('1425b076-cc13-428f-b0a8-ce315d24dec7')
    def test_58_future_lease_pending_until_its_start(self):
        w = self.watchers['future']
        start = leases.parse(w.created['start_date'])
        self._wait('future', 'ACTIVE')
        pending = [h for h in w.history if h['status'] == 'PENDING']
        self.assertTrue(pending)
        moved = [h for h in w.history if h['status'] != 'PENDING'][0]
        self.assertGreaterEqual(moved['at'], start,
                                'left PENDING before its start: %s'
                                % w.describe())
        self._lag('future', 'start', moved['status'], start)
