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

"""Host failure and automatic recovery across cells (Masakari, Blazar).

One shared failure window for the whole class (the expensive part is the
wait until nova notices a dead compute, ``service_down_time``): in one
cell (A) an ordinary host A1 fails, in another cell (B) an ordinary host B1
fails, and, when Blazar is on, the host an ACTIVE lease holds fails too.
All at once, through the fault machinery (journal + watchdog: healed even
if the run is killed).

* Segment ``auto`` = {A1, B2}: a segment spanning two cells.  A1's
  HA-enabled servers must be evacuated to a host of cell A (nova confines
  an evacuation to the instance's cell), never to B2.  A1's notification
  is sent, and its recovery runs, while cell B's database is stopped.
* Segment ``reserved_host`` = {B1, reserved A2}: the reserved host sits in
  another cell than the failed host.  B1 is notified once cell B's
  database is back.  What happens is recorded as a finding with the exact
  observation, and so is nova's own answer to that evacuation.
* Blazar's polling monitor must heal the lease whose host failed.

Then every fault is healed and the checks look at the cloud again: the
source allocations gone, every host up and every service enabled.
"""

import concurrent.futures
import datetime
import time

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.common import servers
from cellv2_conformance.common import waiters
from cellv2_conformance import faults
from cellv2_conformance.faults import host_failure
from cellv2_conformance.tests import base
from cellv2_conformance.tests import instance_ha_base
from cellv2_conformance.tests import reservation_base
from cellv2_conformance.timing import recorder

CONF = config.CONF
FAULT_TTL = 900

RESERVED_HOST_OTHER_CELL = findings.Finding(
    'masakari-reserved-host-in-other-cell',
    'Masakari accepts a reserved host of another cell in a reserved_host '
    'segment; its evacuation onto that host fails in nova (HTTP 500 '
    'ComputeHostNotFound, see nova-evacuate-to-host-in-other-cell-500), '
    'the notification goes error, the periodic retry finds the reserved '
    'host consumed and ends failed; the instance stays on the failed host',
    documented=findings.satisfies(
        'notification finished, instance ACTIVE on the reserved host',
        lambda o: o['status'] == 'finished' and o['on_reserved_host']),
    deviation=findings.satisfies(
        'notification failed (error, then the retry failed), instance '
        'still on the failed host, the vmove failed with nova\'s '
        'ComputeHostNotFound',
        lambda o: o['status'] == 'failed' and
        o['still_on_failed_host'] and not o['vmoves_succeeded'] and
        any('ComputeHostNotFound' in (m[3] or '') for m in o['vmoves'])),
    reference='Masakari reserved_host recovery; nova doc admin/cells '
              '(no evacuation across cells)')

EVACUATE_OTHER_CELL_500 = findings.Finding(
    'nova-evacuate-to-host-in-other-cell-500',
    'evacuating a server (compute API 2.74) to a host of another cell '
    'answers HTTP 500 ComputeHostNotFound: nova-api finds the host through '
    'its host mapping, then compute.api.API.evacuate looks its compute '
    'node up in the instance\'s cell database '
    '(ComputeNodeList.get_all_by_host) and nothing catches the miss',
    documented=findings.satisfies(
        'HTTP 400 or 404 (the api-ref\'s answers for a bad target host)',
        lambda s: int(s) in (400, 404)),
    deviation=findings.http(500, 'ComputeHostNotFound'),
    reference='nova/compute/api.py API.evacuate; api-ref '
              'compute "Evacuate Server"')


def _now():
    return time.time()


def _epoch(stamp):
    """Seconds since the epoch of an API timestamp (naive means UTC)."""
    dt = datetime.datetime.fromisoformat(str(stamp).replace('Z', '+00:00'))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.timestamp()


@decorators.serial
class HostFailureRecoveryTest(base.DatabaseMixin,
                              instance_ha_base.InstanceHABase):
    """Masakari's host-failure recovery on a multi-cell cloud, and Blazar
    healing a lease whose host failed, from one shared failure window.

    Verified for ``auto`` recovery: every HA-enabled server of the failed
    host ends ACTIVE on another host of the same cell although its segment
    spans two cells, and while another cell's database is down; servers
    without ``HA_Enabled`` stay; instance
    mappings are unchanged and the instance rows never leave the cell
    database; placement holds the allocation on the new host, and the old
    host's allocation is gone once the failed compute is back; nova shows
    the failed host's service disabled (Masakari's doing); the
    notification reaches ``finished`` and its vmoves name each move.  For
    ``reserved_host`` with the reserved host in another cell, the outcome
    is recorded (finding).  Blazar: the lease's reservation gets a
    replacement host (or is flagged missing_resources) and the lease is
    degraded; the pools are checked afterwards.  After healing, every host
    is up and every compute service enabled (inspected).  Timings: nova's
    detection, notification to last ACTIVE, failure to lease healed.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.fault_injection:
            raise cls.skipException('[cellv2] fault_injection is False: '
                                    'the cloud is not disposable')
        if CONF.cellv2.expected_cells < 2:
            raise cls.skipException('needs [cellv2] expected_cells >= 2')

    @classmethod
    def _pick_cells(cls):
        ordinary = set(cls.inv.ordinary_hosts)
        usable = [c for c in cls.inv.enabled_cells
                  if len([h for h in c.hosts if h in ordinary]) >= 2]
        if len(usable) < 2:
            raise cls.skipException(
                'needs two enabled cells with two ordinary (non-Blazar) '
                'hosts each (inventory %s)' % cls.inv.path)
        return usable[0], usable[1]

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.placement = cls.os_admin.placement_client
        cls.rp_client = cls.os_admin.resource_providers_client
        cls.blazar = CONF.service_available.blazar and bool(
            (cls.inv.data.get('masakari') or {}).get(
                'blazar_polling_interval'))
        if cls.blazar:
            cls.admin_leases = cls.os_admin.reservation_v1.LeasesClient()
            cls.admin_blazar_hosts = \
                cls.os_admin.reservation_v1.HostsClient()
            cls.aggregates_client = cls.os_admin.aggregates_client

    # -- helpers ------------------------------------------------------------
    @classmethod
    def ordinary(cls, cell):
        ordinary = set(cls.inv.ordinary_hosts)
        return [h for h in cell.hosts if h in ordinary]

    @classmethod
    def show(cls, server_id):
        return cls.admin_servers_client.show_server(server_id)['server']

    @classmethod
    def allocation_hosts(cls, server_id):
        allocs = cls.placement.list_allocations(server_id)['allocations']
        return sorted(cls.rp_client.show_resource_provider(rp)['name']
                      for rp in allocs)

    @classmethod
    def snapshot(cls, server_id):
        return {'mapped_cell': cls.mapped_cell(server_id),
                'cells_holding': cls.cells_holding(server_id),
                'allocations': cls.allocation_hosts(server_id)}

    @classmethod
    def boot_servers(cls):
        reqs = []
        for host, ha, key in ((cls.a1, True, 'a1-ha-1'),
                              (cls.a1, True, 'a1-ha-2'),
                              (cls.a1, False, 'a1-plain'),
                              (cls.b1, True, 'b1-ha')):
            reqs.append((key, {'host': host, 'server_name': servers.name(
                'ha-' + key), 'metadata': {
                    instance_ha_base.HA_KEY: 'True' if ha else 'False'}}))
        created = {}
        for key, req in reqs:
            created[key] = servers.create(
                cls.admin_servers_client, CONF.compute.flavor_ref,
                CONF.compute.image_ref, cls.addClassResourceCleanup,
                host=req['host'], server_name=req['server_name'],
                metadata=req['metadata'])
        for key, srv in created.items():
            servers.wait_status(cls.admin_servers_client, srv['id'],
                                'ACTIVE', CONF.cellv2.build_timeout,
                                interval=CONF.cellv2.build_interval)
        return {k: s['id'] for k, s in created.items()}

    @classmethod
    def create_lease(cls):
        """A one-host lease starting now (not waited for)."""
        end = leases.fmt(leases.minutes_after(leases.utcnow(), 60))
        lease = cls.admin_leases.create_lease(
            name=servers.name('ha-lease'), start_date='now', end_date=end,
            reservations=[reservation_base.host_reservation()])['lease']
        cls.addClassResourceCleanup(leases.delete_lease_and_wait,
                                    cls.admin_leases, lease['id'])
        return lease

    @classmethod
    def reserve_host(cls, lease):
        """Wait for ``lease`` to be ACTIVE; returns (lease, reservation,
        host).
        """
        leases.wait_for_lease(cls.admin_leases, lease['id'], 'ACTIVE')
        rsv = cls.admin_leases.show_lease(lease['id'])['lease'][
            'reservations'][0]
        host = cls.reserved_hosts(rsv['id'])
        return lease, rsv, host[0]

    @classmethod
    def reserved_hosts(cls, reservation_id):
        allocs = cls.admin_blazar_hosts.list_allocations(
            reservation_id=reservation_id)['allocations']
        ids = [a['resource_id'] for a in allocs
               if any(r['id'] == reservation_id
                      for r in a.get('reservations') or [])]
        return sorted(cls.admin_blazar_hosts.show_host(hid)['host'][
            'hypervisor_hostname'] for hid in ids)

    @classmethod
    def blazar_pools(cls, host):
        """Names of the aggregates (freepool, lease aggregates) holding
        ``host``.
        """
        return sorted(a['name'] for a in
                      cls.aggregates_client.list_aggregates()['aggregates']
                      if host in (a.get('hosts') or []))

    @classmethod
    def restore_freepool(cls, host):
        """Heal: a Blazar host left in no aggregate goes back to the
        freepool (where `deploy` enrolled it).
        """
        if cls.blazar_pools(host):
            return
        for agg in cls.aggregates_client.list_aggregates()['aggregates']:
            if agg['name'] == CONF.reservation.freepool:
                cls.aggregates_client.add_host(agg['id'], host=host)

    @classmethod
    def inject_all(cls, specs):
        """Inject the faults concurrently (each waits for nova to see its
        compute down); register their heals; returns {key: record}.
        """
        with concurrent.futures.ThreadPoolExecutor(len(specs)) as ex:
            futs = {key: ex.submit(faults.inject, cls.inv, spec,
                                   ttl=FAULT_TTL)
                    for key, spec in specs.items()}
            records, errors = {}, []
            for key, fut in futs.items():
                try:
                    records[key] = fut.result()
                    cls.addClassResourceCleanup(
                        faults.heal, records[key]['id'], inv=cls.inv,
                        by='cleanup')
                except Exception as e:
                    errors.append('%s: %s' % (specs[key], e))
        if errors:
            raise lib_exc.TempestException('; '.join(errors))
        return records

    @classmethod
    def notify(cls, key, host):
        """Send the host monitor's notification for ``host`` (as the
        ``fail`` action of the fault does); returns the notification.
        """
        n = cls.notifications_client.create_notification(
            'COMPUTE_HOST', host, host_failure.utcnow_iso(),
            host_failure.host_failure_payload())['notification']
        cls.notified[key] = {'uuid': n['notification_uuid'], 'at': _now()}
        return n

    @classmethod
    def other_cell_db_down(cls):
        """Stop cell B's dedicated database (None if it has none)."""
        if not (cls.cell_b.db_server or {}).get('dedicated'):
            return None
        rec = faults.inject(cls.inv, 'cell(%s).db:stop' % cls.cell_b.name,
                            ttl=FAULT_TTL)
        cls.addClassResourceCleanup(faults.heal, rec['id'], inv=cls.inv,
                                    by='cleanup')
        return rec

    @classmethod
    def wait_moved(cls, server_id, source, since):
        """Wait until ``server_id`` is ACTIVE on a host other than
        ``source``; returns (server, seconds from ``since`` to the server's
        last update, i.e. when nova made it ACTIVE on the new host).
        """
        waiters.wait_for(
            lambda: cls.show(server_id),
            lambda s: s['status'] == 'ACTIVE' and cls.host_of(s) != source and
            not s.get('OS-EXT-STS:task_state'),
            'server %s (evacuated from %s)' % (server_id, source),
            'ACTIVE on another host', CONF.instance_ha.recovery_timeout,
            interval=1, error=lambda s: s['status'] == 'ERROR',
            state_of=lambda s: '%s@%s/%s' % (
                s['status'], cls.host_of(s),
                s.get('OS-EXT-STS:task_state')))
        srv = cls.show(server_id)
        return srv, _epoch(srv['updated']) - since

    # -- the shared failure window -------------------------------------------
    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.cell_a, cls.cell_b = cls._pick_cells()
        cls.a1, cls.a2 = cls.ordinary(cls.cell_a)[:2]
        cls.b1, cls.b2 = cls.ordinary(cls.cell_b)[:2]
        lease = cls.create_lease() if cls.blazar else None
        cls.seg_auto = cls.create_segment('auto')
        cls.add_host(cls.seg_auto, cls.a1)
        cls.add_host(cls.seg_auto, cls.b2)
        cls.seg_rh = cls.create_segment('reserved_host')
        cls.add_host(cls.seg_rh, cls.b1)
        cls.add_host(cls.seg_rh, cls.a2, reserved=True)
        cls.servers = cls.boot_servers()
        cls.before = {k: cls.snapshot(s) for k, s in cls.servers.items()}

        specs = {'a1': 'cell(%s).host(%s):down' % (cls.cell_a.name, cls.a1),
                 'b1': 'cell(%s).host(%s):down' % (cls.cell_b.name, cls.b1)}
        cls.lease_host = None
        if cls.blazar:
            cls.lease, cls.rsv, cls.lease_host = cls.reserve_host(lease)
            cls.addClassResourceCleanup(cls.restore_freepool,
                                        cls.lease_host)
            lh_cell = cls.inv.cell_of_host(cls.lease_host)
            specs['lease'] = 'cell(%s).host(%s):down' % (
                lh_cell.name, cls.lease_host)
        cls.faults = cls.inject_all(specs)
        for key, rec in cls.faults.items():
            recorder.record('recovery-detection', rec['detected_down_at'] -
                            rec['stopped_at'], cell=rec['cell'],
                            test_id=cls.__name__, host=rec['host'])
        # A1's recovery runs while cell B's database is down; B1's (the
        # reserved host in cell A) once it is back.
        cls.notified = {}
        cls.db_fault = cls.other_cell_db_down()
        cls.notify('a1', cls.a1)
        cls.observe_auto()
        if cls.db_fault:
            cls.db_fault_status_after_auto = faults.journal_for(
                cls.inv).get(cls.db_fault['id'])['status']
            faults.heal(cls.db_fault['id'], inv=cls.inv, by=cls.__name__)
        cls.notify('b1', cls.b1)
        cls.observe_reserved_host()
        if cls.blazar:
            cls.observe_blazar()
        cls.observe_during_failure()
        cls.heal_all()
        cls.observe_after_heal()

    @classmethod
    def heal_all(cls):
        """Heal the host faults (one after the other: a heal holds the
        journal's lock until nova sees the compute up again).
        """
        for rec in cls.faults.values():
            faults.heal(rec['id'], inv=cls.inv, by=cls.__name__)

    @classmethod
    def record_final(cls, notification, cell, host, sent):
        recorder.record('recovery-notification-to-final',
                        _epoch(notification['updated_at']) - sent['at'],
                        cell=cell.name, test_id=cls.__name__, host=host,
                        notification=sent['uuid'],
                        status=notification['status'])

    @classmethod
    def observe_auto(cls):
        rec = cls.faults['a1']
        sent = cls.notified['a1']
        cls.auto_notification, cls.auto_history = cls.wait_notification(
            sent['uuid'])
        cls.moved = {}
        for key in ('a1-ha-1', 'a1-ha-2'):
            srv, secs = cls.wait_moved(cls.servers[key], cls.a1,
                                       sent['at'])
            cls.moved[key] = srv
            recorder.record('recovery-notification-to-active', secs,
                            cell=cls.cell_a.name, test_id=cls.__name__,
                            host=cls.a1, dest=cls.host_of(srv),
                            server=srv['id'], notification=sent['uuid'],
                            other_cell_db_down=bool(cls.db_fault))
        cls.record_final(cls.auto_notification, cls.cell_a, cls.a1, sent)
        with cls.notifications_client.microversion('1.3'):
            cls.auto_vmoves = cls.notifications_client.list_vmoves(
                sent['uuid'])['vmoves']
        total = max(_epoch(s['updated']) for s in cls.moved.values()) - \
            rec['stopped_at']
        recorder.record('recovery-failure-to-last-active', total,
                        cell=cls.cell_a.name, test_id=cls.__name__,
                        host=cls.a1, notification=sent['uuid'],
                        instances=len(cls.moved))

    @classmethod
    def observe_reserved_host(cls):
        uuid = cls.notified['b1']['uuid']
        # error is retried once by the engine's periodic task, then
        # failed: wait for the end so healing never races a retry.
        n, history = cls.wait_notification(
            uuid, goal=('finished', 'failed', 'ignored'))
        cls.record_final(n, cls.cell_b, cls.b1, cls.notified['b1'])
        srv = cls.show(cls.servers['b1-ha'])
        # What nova itself answers to that evacuation, while B1 is down.
        try:
            cls.admin_servers_client.evacuate_server(srv['id'], host=cls.a2)
            cls.evacuate_status = findings.Status(202)
        except lib_exc.RestClientException as e:
            cls.evacuate_status = findings.Status(
                e.resp.status, findings.status_message(e))
        with cls.notifications_client.microversion('1.3'):
            moves = cls.notifications_client.list_vmoves(uuid)['vmoves']
        cls.rh_observed = {
            'status': n['status'],
            'statuses': [t['state'] for t in history],
            'on_reserved_host': cls.host_of(srv) == cls.a2 and
            srv['status'] == 'ACTIVE',
            'still_on_failed_host': cls.host_of(srv) == cls.b1,
            'server_status': srv['status'],
            'vmoves_succeeded': [m['dest_host'] for m in moves
                                 if m['status'] == 'succeeded'],
            'vmoves': [(m['status'], m['source_host'], m['dest_host'],
                        (m.get('message') or '')[:200]) for m in moves],
        }

    @classmethod
    def observe_blazar(cls):
        rec = cls.faults['lease']

        def fetch():
            rsv = cls.admin_leases.show_lease(cls.lease['id'])['lease'][
                'reservations'][0]
            rsv['hosts'] = cls.reserved_hosts(rsv['id'])
            return rsv
        history = waiters.wait_for(
            fetch, lambda r: r.get('resources_changed') or
            r.get('missing_resources'),
            'reservation %s of lease %s' % (cls.rsv['id'],
                                            cls.lease['id']),
            'healed (resources_changed or missing_resources)',
            CONF.instance_ha.recovery_timeout, interval=1,
            state_of=lambda r: 'hosts=%s changed=%s missing=%s' % (
                r['hosts'], r.get('resources_changed'),
                r.get('missing_resources')))
        cls.healed_rsv = fetch()
        cls.healed_lease = cls.admin_leases.show_lease(cls.lease['id'])[
            'lease']
        # Blazar marks the failed host unreservable in the polling round
        # that heals its reservations: that update is the healing time.
        cls.failed_blazar_host = [
            h for h in cls.admin_blazar_hosts.list_hosts()['hosts']
            if h['hypervisor_hostname'] == cls.lease_host][0]
        cls.pools_during = {h: cls.blazar_pools(h)
                            for h in cls.healed_rsv['hosts'] +
                            [cls.lease_host]}
        stamp = cls.failed_blazar_host.get('updated_at')
        healed_at = _epoch(stamp) if stamp else _now()
        recorder.record('blazar-failure-to-healed',
                        healed_at - rec['stopped_at'],
                        cell=rec['cell'], test_id=cls.__name__,
                        host=cls.lease_host,
                        replacement=','.join(cls.healed_rsv['hosts']),
                        replacement_cell=','.join(
                            cls.inv.cell_of_host(h).name
                            for h in cls.healed_rsv['hosts']),
                        transitions=len(history))

    @classmethod
    def observe_during_failure(cls):
        cls.services_during = {
            h: cls.services_client.list_services(
                host=h, binary='nova-compute')['services'][0]
            for h in (cls.a1, cls.b1)}
        cls.during = {k: cls.snapshot(s) for k, s in cls.servers.items()}

    @classmethod
    def observe_after_heal(cls):
        def no_source_allocation():
            return {k: cls.allocation_hosts(cls.servers[k])
                    for k in cls.moved}
        waiters.wait_for(
            no_source_allocation,
            lambda a: all(cls.a1 not in hosts for hosts in a.values()),
            'allocations of the evacuated servers',
            'gone from %s' % cls.a1, CONF.instance_ha.recovery_timeout,
            interval=1, state_of=str)
        cls.after = {k: cls.snapshot(s) for k, s in cls.servers.items()}
        hosts = cls.inv.all_hosts
        cls.services_after = cls.services_client.list_services(
            binary='nova-compute')['services']
        cls.services_after = [s for s in cls.services_after
                              if s['host'] in hosts]
        if cls.blazar:
            cls.pools_after = cls.blazar_pools(cls.lease_host)

    # -- auto -------------------------------------------------------------
    @decorators.idempotent_id('3a1f0c2e-6b5d-4c7e-9f80-1a2b3c4d5e01')
    def test_auto_notification_finished(self):
        self.assertEqual('finished', self.auto_notification['status'],
                         'notification %s for %s: %s' % (
                             self.auto_notification['notification_uuid'],
                             self.a1, self.auto_history))

    @decorators.idempotent_id('4b2a1d3f-7c6e-4d8f-a091-2b3c4d5e6f02')
    def test_ha_servers_active_in_same_cell(self):
        """Each HA-enabled server of A1 is ACTIVE on another host of cell A,
        though its segment also holds a host of cell B.
        """
        for key, srv in self.moved.items():
            dest = self.host_of(srv)
            self.assertNotEqual(self.a1, dest, srv['id'])
            self.assertIn(dest, self.cell_a.hosts,
                          'server %s (%s) evacuated from %s (cell %s) to %s '
                          '(cell %s)' % (srv['id'], key, self.a1,
                                         self.cell_a.name, dest,
                                         self.inv.cell_of_host(dest).name))

    @decorators.idempotent_id('9b0c1d2e-3f40-4a51-8b62-7c8d9e0f1a2b')
    def test_auto_recovery_while_other_cell_db_down(self):
        """A1's recovery finished while cell B's database was stopped
        (nova lists and evacuates through the cells that answer).
        """
        if not self.db_fault:
            raise self.skipException('cell %s has no dedicated database '
                                     'server to stop' % self.cell_b.name)
        self.assertEqual(('active', 'finished'), (
            self.db_fault_status_after_auto,
            self.auto_notification['status']),
            'fault %s on cell %s\'s database, notification %s' % (
                self.db_fault['id'], self.cell_b.name,
                self.auto_notification['notification_uuid']))

    @decorators.idempotent_id('5c3b2e40-8d7f-4e90-b1a2-3c4d5e6f7003')
    def test_server_without_ha_flag_not_moved(self):
        plain = self.show(self.servers['a1-plain'])
        self.assertEqual(self.a1, self.host_of(plain),
                         'server %s without %s=True moved' % (
                             plain['id'], instance_ha_base.HA_KEY))

    @decorators.idempotent_id('6d4c3f51-9e80-4fa1-82b3-4d5e6f708104')
    def test_instance_mappings_unchanged(self):
        for key in self.servers:
            self.assertEqual(
                self.before[key]['mapped_cell'],
                self.after[key]['mapped_cell'],
                'instance_mappings of server %s (%s)' % (
                    self.servers[key], key))

    @decorators.idempotent_id('7e5d4062-af91-40b2-93c4-5e6f70819205')
    def test_instance_rows_never_leave_cell_db(self):
        for key in self.servers:
            for when in (self.during, self.after):
                self.assertEqual(
                    self.before[key]['cells_holding'],
                    when[key]['cells_holding'],
                    'cells whose DB holds server %s (%s)' % (
                        self.servers[key], key))

    @decorators.idempotent_id('8f6e5173-b0a2-41c3-a4d5-6f7081920306')
    def test_allocations_moved_to_new_host(self):
        """During the failure the evacuated server is allocated on its new
        host; once the failed compute is back its old allocation is gone
        (nova removes it when the source compute restarts).
        """
        for key, srv in self.moved.items():
            dest = self.host_of(srv)
            self.assertIn(dest, self.during[key]['allocations'],
                          'allocations of %s during the failure' % srv['id'])
            self.assertEqual([dest], self.after[key]['allocations'],
                             'allocations of %s after healing' % srv['id'])

    @decorators.idempotent_id('90a7f684-c1b3-42d4-b5e6-708192a30407')
    def test_failed_hosts_service_disabled(self):
        """Masakari disabled nova-compute on each failed host."""
        for host, svc in self.services_during.items():
            self.assertEqual(('disabled', 'down'),
                             (svc['status'], svc['state']),
                             'nova-compute on %s during the failure' % host)

    @decorators.idempotent_id('a1b80795-d2c4-43e5-86f7-8192a3b40508')
    def test_vmoves_name_each_move(self):
        moves = {m['instance_uuid']: m for m in self.auto_vmoves}
        for key, srv in self.moved.items():
            self.assertIn(srv['id'], moves, 'vmoves of %s' %
                          self.auto_notification['notification_uuid'])
            m = moves[srv['id']]
            self.assertEqual(('succeeded', self.a1, self.host_of(srv)),
                             (m['status'], m['source_host'],
                              m['dest_host']),
                             'vmove of server %s' % srv['id'])

    @decorators.idempotent_id('b2c908a6-e3d5-44f6-97a8-92a3b4c50609')
    def test_no_instance_lost(self):
        """Every server still exists, mapped to its cell, with exactly one
        instance row, in that cell.
        """
        lost = []
        for key, sid in self.servers.items():
            try:
                self.show(sid)
            except lib_exc.NotFound:
                lost.append('%s (%s): 404' % (sid, key))
                continue
            if self.after[key]['cells_holding'] != [
                    self.after[key]['mapped_cell']]:
                lost.append('%s (%s): mapped to %s, rows in %s' % (
                    sid, key, self.after[key]['mapped_cell'],
                    self.after[key]['cells_holding']))
        self.assertEqual([], lost)

    # -- reserved host in another cell -------------------------------------
    @decorators.idempotent_id('c3d0a9b7-f4e6-45a7-a8b9-a3b4c5d6070a')
    def test_reserved_host_in_other_cell(self):
        findings.check(self, RESERVED_HOST_OTHER_CELL, self.rh_observed,
                       cell=self.cell_b.name)

    @decorators.idempotent_id('2a9d6f0e-7c41-4b8e-9d35-6e1f0a2b3c4d')
    def test_nova_evacuate_to_host_in_other_cell(self):
        """nova's own answer to the evacuation Masakari attempted."""
        findings.check(self, EVACUATE_OTHER_CELL_500, self.evacuate_status,
                       cell=self.cell_b.name)

    # -- Blazar ------------------------------------------------------------
    def _need_blazar(self):
        if not self.blazar:
            raise self.skipException('Blazar with its polling monitor is '
                                     'not part of this cloud')

    @decorators.idempotent_id('d4e1bac8-05f7-46b8-b9ca-b4c5d6e7080b')
    def test_lease_reservation_healed(self):
        """The reservation whose host failed got a healthy replacement host
        (resources_changed), or none was free (missing_resources); either
        way the lease is flagged degraded.
        """
        self._need_blazar()
        rsv = self.healed_rsv
        if rsv.get('resources_changed'):
            self.assertEqual(1, len(rsv['hosts']), rsv)
            self.assertNotIn(self.lease_host, rsv['hosts'],
                             'reservation %s still holds failed host %s' %
                             (rsv['id'], self.lease_host))
        else:
            self.assertTrue(rsv.get('missing_resources'), rsv)
        self.assertTrue(self.healed_lease.get('degraded'),
                        'lease %s not degraded after its host failed: %s'
                        % (self.lease['id'], self.healed_lease))

    @decorators.idempotent_id('4c5d6e7f-8091-4a2b-9c3d-4e5f60718293')
    def test_failed_host_unreservable(self):
        self._need_blazar()
        self.assertFalse(self.failed_blazar_host['reservable'],
                         'Blazar host %s while its compute is down: %s' % (
                             self.lease_host, self.failed_blazar_host))

    @decorators.idempotent_id('e5f2cbd9-1608-47c9-8adb-c5d6e7f8090c')
    def test_replacement_host_in_lease_aggregate(self):
        self._need_blazar()
        for host in self.healed_rsv['hosts']:
            pools = self.pools_during[host]
            self.assertNotIn(CONF.reservation.freepool, pools,
                             'replacement host %s still in the freepool'
                             % host)
            self.assertEqual(1, len(pools), 'aggregates of replacement '
                             'host %s: %s' % (host, pools))
        self.assertNotIn(self.healed_rsv['id'],
                         self.pools_during[self.lease_host],
                         'failed host %s still in the lease aggregate' %
                         self.lease_host)

    @decorators.idempotent_id('f6a3dcea-2719-48da-9bec-d6e7f8091a0d')
    def test_failed_host_back_in_freepool(self):
        """Blazar returns the failed host from the lease aggregate to the
        freepool (and nowhere else), both while it is down and after it
        recovered.
        """
        self._need_blazar()
        for when, pools in (('during the failure',
                             self.pools_during[self.lease_host]),
                            ('after recovery', self.pools_after)):
            self.assertEqual([CONF.reservation.freepool], pools,
                             'aggregates of failed host %s %s' % (
                                 self.lease_host, when))

    # -- after healing -----------------------------------------------------
    @decorators.idempotent_id('07b4edfb-382a-49eb-8cfd-e7f8091a2b0e')
    def test_every_compute_up_and_enabled_after_heal(self):
        bad = ['%s: %s/%s forced_down=%s' % (
            s['host'], s['state'], s['status'], s.get('forced_down'))
            for s in self.services_after
            if (s['state'], s['status']) != ('up', 'enabled')]
        self.assertEqual([], bad, 'nova-compute services after healing')
        self.assertEqual(sorted(self.inv.all_hosts),
                         sorted(s['host'] for s in self.services_after))

    @decorators.idempotent_id('18c5fe0c-493b-4afc-9d0e-f8091a2b3c0f')
    def test_masakari_hosts_out_of_maintenance_after_heal(self):
        hosts = []
        for seg in (self.seg_auto, self.seg_rh):
            hosts += self.ha_hosts_client.list_hosts(seg['uuid'])['hosts']
        self.assertEqual([], [h['name'] for h in hosts
                              if h['on_maintenance']])
