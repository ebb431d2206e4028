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

"""Lease CRUD far in the future (no time dependency).

Far-future windows come from ``leases.far_window(slot)``; every check uses
its own slot so parallel checks never compete for the same hosts.
Slots 1-19 belong to this module.
"""

import datetime

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.tests import reservation_base as base

CONF = config.CONF
# blazar/manager/service.py update_lease: the lease_status decorator treats
# the plugin's NotImplemented as fatal (it is not in non_fatal_exceptions).
FLAVOR_REF = 'blazar 18.0.0 manager/service.py update_lease'

# update_lease moves the lease to UPDATING (status.lease_status decorator);
# the flavor plugin raises NotImplemented (409), which is not among
# update_lease's non_fatal_exceptions, so the decorator stores ERROR
# instead of the original status.
REFUSED_FLAVOR_UPDATE_ERRORS_LEASE = findings.Finding(
    'blazar-refused-flavor-update-errors-lease',
    'a refused update of a flavor:instance reservation (409 not supported) '
    'leaves the lease in ERROR instead of PENDING',
    documented='PENDING', deviation='ERROR', reference=FLAVOR_REF)


class HostLeaseCrudTest(base.ReservationBase):
    """Host reservations (``physical:host``) can be created, listed, shown,
    updated and deleted while PENDING, and Blazar allocates the hosts its
    ``min``/``max`` and ``resource_properties`` ask for.

    Why: these are the calls every Blazar user makes first; the allocation
    calendar (``/os-hosts/allocations``) is the only way to see what was
    promised before the lease starts.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        # Blazar's own record of its hosts (a discovered inventory does
        # not know them); the leases lie days ahead and take no host now.
        cls.hosts = sorted(h['hypervisor_hostname'] for h in
                           cls.admin_hosts.list_hosts()['hosts'])
        if not cls.hosts:
            raise cls.skipException('no host is enrolled in Blazar')
        one = [base.host_reservation(min=1, max=1)]
        cls.windows = {k: leases.far_window(slot, days=2) for k, slot in (
            ('basic', 1), ('filter', 3), ('range', 4), ('delete', 6),
            ('dates', 8))}
        specs = {k: {'reservations': one, 'start': w[0], 'end': w[1]}
                 for k, w in cls.windows.items()}
        specs['filter']['reservations'] = [base.host_reservation(
            resource_properties=base.hostname_is(cls.hosts[-1]))]
        specs['range']['reservations'] = [base.host_reservation(
            min=1, max=len(cls.hosts))]
        cls.made = cls.create_class_leases(specs)

    def _settled(self, lease_id):
        leases.wait_for_lease(self.leases, lease_id, 'PENDING')
        return self.leases.show_lease(lease_id)['lease']

    def _allocated(self, lease_id):
        hosts = {h['id']: h['hypervisor_hostname']
                 for h in self.admin_hosts.list_hosts()['hosts']}
        allocs = self.admin_hosts.list_allocations(lease_id=lease_id)
        return sorted(hosts[a['resource_id']]
                      for a in allocs['allocations'] if a['reservations'])

    @decorators.idempotent_id('c2e17fd1-7ec5-4d9b-9122-5f92f61313c5')
    def test_create_host_lease_is_pending(self):
        start, end = self.windows['basic']
        lease = self.made['basic']
        self.assertEqual('PENDING', lease['status'])
        self.assertEqual(leases.parse(start), leases.parse(
            lease['start_date']))
        self.assertEqual(leases.parse(end), leases.parse(lease['end_date']))
        (rsv,) = lease['reservations']
        self.assertEqual(('physical:host', 'pending', 1, 1),
                         (rsv['resource_type'], rsv['status'], rsv['min'],
                          rsv['max']))
        events = {e['event_type']: e for e in lease['events']}
        self.assertEqual({'start_lease', 'end_lease'}, set(events))
        self.assertEqual(['UNDONE', 'UNDONE'],
                         [events[k]['status']
                          for k in ('start_lease', 'end_lease')])
        self.assertEqual(leases.parse(start),
                         leases.parse(events['start_lease']['time']))
        self.assertEqual(leases.parse(end),
                         leases.parse(events['end_lease']['time']))

    @decorators.idempotent_id('b854e226-7aec-4d81-9558-553b324b8e35')
    def test_show_and_list_host_lease(self):
        lease = self.made['basic']
        shown = self.leases.show_lease(lease['id'])['lease']
        self.assertEqual(lease['id'], shown['id'])
        self.assertEqual(lease['reservations'][0]['id'],
                         shown['reservations'][0]['id'])
        listed = [x['id'] for x in self.leases.list_leases()['leases']]
        self.assertIn(lease['id'], listed)

    @decorators.idempotent_id('a1eda6b1-a2ba-4bf1-a1ce-918d7f50df70')
    def test_resource_properties_select_the_named_host(self):
        self.assertEqual([self.hosts[-1]],
                         self._allocated(self.made['filter']['id']))

    @decorators.idempotent_id('7a30fa0a-8e14-4c6f-95ec-822771e90ebc')
    def test_min_max_range_takes_free_hosts(self):
        # Every enrolled host is free in this window, yet Blazar need not
        # take max: it prefers hosts with no allocation in any window and
        # takes only those when there are at least min of them
        # (host_plugin._matching_hosts), so the count depends on the other
        # leases of the moment.  What it takes must be within min..max,
        # enrolled, and each host once.
        allocated = self._allocated(self.made['range']['id'])
        rsv = self.made['range']['reservations'][0]
        self.assertEqual((1, len(self.hosts)), (rsv['min'], rsv['max']))
        self.assertGreaterEqual(len(allocated), 1)
        self.assertLessEqual(len(allocated), len(self.hosts))
        self.assertEqual(len(set(allocated)), len(allocated), allocated)
        self.assertTrue(set(allocated) <= set(self.hosts),
                        '%s not all enrolled (%s)' % (allocated, self.hosts))

    @decorators.idempotent_id('e3b43405-24e1-4ab2-985e-270b1aec6e04')
    def test_pending_host_lease_has_empty_pool_aggregate(self):
        lease = self.made['basic']
        rsv_id = lease['reservations'][0]['id']
        agg = self.aggregate_named(rsv_id)
        self.assertIsNotNone(agg, 'no nova aggregate named %s' % rsv_id)
        self.assertEqual([], agg['hosts'])
        self.assertEqual('blazar_%s' % rsv_id, agg['availability_zone'])
        self.assertEqual(lease['project_id'],
                         agg['metadata'].get('blazar:owner'))

    @decorators.idempotent_id('c36cf9e7-6a05-47cf-ac30-730b6f034ec4')
    def test_delete_pending_host_lease(self):
        lease = self.made['delete']
        rsv_id = lease['reservations'][0]['id']
        self.assertEqual(204, self.leases.delete_lease(
            lease['id']).response.status)
        leases.wait_for_lease_deleted(self.leases, lease['id'])
        self.assertIsNone(self.aggregate_named(rsv_id))
        self.assertEqual([], self._allocated(lease['id']))

    @decorators.idempotent_id('cdd46ee2-d874-4601-82a1-5067f7e79b6f')
    def test_update_pending_lease_name(self):
        lease = self.made['basic']
        name = self.lease_name()
        updated = self.leases.update_lease(lease['id'], name=name)['lease']
        self.assertEqual(name, updated['name'])
        self.assertEqual(name, self.leases.show_lease(
            lease['id'])['lease']['name'])

    def _update_dates(self, key, start_shift, end_shift):
        # Both dates are set absolutely from the original window, so the
        # checks sharing this lease do not depend on one another.
        start, end = self.windows[key]
        lease = self.made[key]
        new_start = leases.fmt(leases.parse(start) + start_shift)
        new_end = leases.fmt(leases.parse(end) + end_shift)
        self.leases.update_lease(lease['id'], start_date=new_start,
                                 end_date=new_end)
        updated = self._settled(lease['id'])
        self.assertEqual(leases.parse(new_start),
                         leases.parse(updated['start_date']))
        self.assertEqual(leases.parse(new_end),
                         leases.parse(updated['end_date']))
        events = {e['event_type']: e for e in self.leases.show_lease(
            lease['id'])['lease']['events']}
        self.assertEqual(leases.parse(new_start),
                         leases.parse(events['start_lease']['time']))
        self.assertEqual(leases.parse(new_end),
                         leases.parse(events['end_lease']['time']))
        # The re-dated lease still holds a host.
        self.assertEqual(1, len(self._allocated(lease['id'])))

    @decorators.idempotent_id('f7c0482a-344c-4fd8-aba2-ddcb39e306ca')
    def test_update_pending_extend_end_date(self):
        self._update_dates('dates', datetime.timedelta(0),
                           datetime.timedelta(hours=5))

    @decorators.idempotent_id('fe9a4d11-dd11-47bd-b6d5-b704700c66fa')
    def test_update_pending_shrink_end_date(self):
        self._update_dates('dates', datetime.timedelta(0),
                           -datetime.timedelta(hours=5))

    @decorators.idempotent_id('ce09a2d7-c4f9-41f5-9f03-684e4916709b')
    def test_update_pending_defer_start_date(self):
        self._update_dates('dates', datetime.timedelta(hours=3),
                           datetime.timedelta(0))

    @decorators.idempotent_id('53c73106-e292-4aa2-9667-0ce443b10c60')
    def test_update_pending_host_max(self):
        # on the filtered lease: whatever max says, one host matches
        hosts = self.hosts
        lease = self.made['filter']
        rsv = lease['reservations'][0]
        self.leases.update_lease(
            lease['id'], reservations=[{'id': rsv['id'], 'min': 1,
                                        'max': len(hosts)}])
        updated = self._settled(lease['id'])
        self.assertEqual((1, len(hosts)),
                         (updated['reservations'][0]['min'],
                          updated['reservations'][0]['max']))
        allocated = self._allocated(lease['id'])
        self.assertGreaterEqual(len(allocated), 1)
        self.assertLessEqual(len(allocated), len(hosts))


class _ReservationFlavorMixin:
    """Shared by the instance and flavor reservation classes: their
    leases are ``cls.made`` ({key: lease}), one reservation each.
    """

    def _lease(self, key):
        lease = self.made[key]
        return lease, lease['reservations'][0]

    def assert_reservation_flavor(self, rsv, vcpus, ram, disk):
        """The reservation's private flavor: id = reservation id, the
        sizes asked for, and the extra specs that route boots to it.
        """
        self.assertEqual(rsv['id'], rsv['flavor_id'])
        flavors = self.os_admin.flavors_client
        flavor = flavors.show_flavor(rsv['id'])['flavor']
        self.assertEqual((vcpus, ram, disk), (flavor['vcpus'], flavor['ram'],
                                              flavor['disk']))
        self.assertFalse(flavor['os-flavor-access:is_public'])
        specs = flavors.list_flavor_extra_specs(rsv['id'])['extra_specs']
        self.assertEqual(
            rsv['id'], specs.get('aggregate_instance_extra_specs:reservation'))
        rc = 'resources:CUSTOM_RESERVATION_%s' % rsv['id'].upper().replace(
            '-', '_')
        self.assertEqual('1', specs.get(rc), specs)


class InstanceLeaseCrudTest(_ReservationFlavorMixin, base.ReservationBase):
    """Instance reservations (``virtual:instance``) create a private flavor
    whose id is the reservation id (with the reservation's extra specs),
    a server group only when ``affinity`` is set, and are updatable and
    deletable while PENDING, removing what they created.

    Why: users boot into an instance reservation through exactly that
    flavor (and group); a wrong flavor or a missing group breaks every
    reserved boot.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        specs = {}
        for key, slot, kw in (
                ('plain', 12, dict(amount=2, memory_mb=256, disk_gb=2)),
                ('affinity', 15, dict(affinity=True)),
                ('anti', 16, dict(affinity=False)),
                ('delete', 18, dict(affinity=True))):
            start, end = leases.far_window(slot)
            specs[key] = {'start': start, 'end': end,
                          'reservations': [base.instance_reservation(**kw)]}
        cls.made = cls.create_class_leases(specs)

    @decorators.idempotent_id('f8889774-467b-40bc-a340-c511ae3cc02e')
    def test_instance_lease_echoes_request(self):
        lease, rsv = self._lease('plain')
        self.assertEqual('PENDING', lease['status'])
        self.assertEqual(
            ('virtual:instance', 2, 1, 256, 2, None),
            (rsv['resource_type'], rsv['amount'], rsv['vcpus'],
             rsv['memory_mb'], rsv['disk_gb'], rsv['affinity']))

    @decorators.idempotent_id('98efba46-acb6-4718-b17a-2ad88406aa0d')
    def test_instance_lease_flavor_is_the_reservation(self):
        lease, rsv = self._lease('plain')
        self.assert_reservation_flavor(rsv, 1, 256, 2)

    @decorators.idempotent_id('6f3708bb-4d2d-4af7-934a-569b50590008')
    def test_instance_lease_without_affinity_has_no_group(self):
        _, rsv = self._lease('plain')
        self.assertIsNone(rsv.get('server_group_id'))

    def _group_policy(self, key, policy):
        _, rsv = self._lease(key)
        self.assertIsNotNone(rsv.get('server_group_id'))
        group = self.os_admin.server_groups_client.show_server_group(
            rsv['server_group_id'])['server_group']
        self.assertEqual(policy, group['policy'])

    @decorators.idempotent_id('84ac1412-d2f9-45b3-9d7e-786fea5847c0')
    def test_instance_lease_affinity_group(self):
        self._group_policy('affinity', 'affinity')

    @decorators.idempotent_id('74360e1c-63bd-4c8f-bf07-4647784de9f1')
    def test_instance_lease_anti_affinity_group(self):
        self._group_policy('anti', 'anti-affinity')

    @decorators.idempotent_id('db163b17-6e97-4ed5-b950-ccfe8e778c18')
    def test_update_pending_instance_amount(self):
        lease, rsv = self._lease('plain')
        self.leases.update_lease(
            lease['id'], reservations=[{'id': rsv['id'], 'amount': 3}])
        leases.wait_for_lease(self.leases, lease['id'], 'PENDING')
        updated = self.leases.show_lease(lease['id'])['lease']
        self.assertEqual(3, updated['reservations'][0]['amount'])

    @decorators.idempotent_id('f1f8b34a-44ed-446f-b5a7-3021fe849bf9')
    def test_delete_pending_instance_lease_removes_flavor(self):
        lease, rsv = self._lease('delete')
        self.leases.delete_lease(lease['id'])
        leases.wait_for_lease_deleted(self.leases, lease['id'])
        flavors = self.os_admin.flavors_client
        self.assertRaises(lib_exc.NotFound, flavors.show_flavor,
                          rsv['id'])
        self.assertRaises(lib_exc.NotFound,
                          self.os_admin.server_groups_client.show_server_group,
                          rsv['server_group_id'])
        self.assertIsNone(self.aggregate_named(rsv['id']))


class FlavorLeaseCrudTest(_ReservationFlavorMixin, base.ReservationBase):
    """Flavor-based instance reservations (``flavor:instance``) reserve
    what an existing flavor needs: the reservation carries the source
    flavor's vcpus/RAM/disk, a private flavor named after the reservation
    is created with the reservation's extra specs, and deleting the lease
    removes it.  What the plugin does not support (``affinity``, changing
    ``amount``) is refused with 409 and changes nothing.

    Why: this is Blazar's newer instance-reservation path; users hand it
    the flavor they already boot with and get a reservation flavor back.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.reservation.flavor_instance:
            raise cls.skipException('[reservation] flavor_instance is '
                                    'false')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.source = cls.os_admin.flavors_client.show_flavor(
            CONF.compute.flavor_ref)['flavor']
        specs = {}
        for key, slot in (('plain', 13), ('update', 11), ('delete', 17)):
            start, end = leases.far_window(slot)
            specs[key] = {'start': start, 'end': end, 'reservations': [
                base.flavor_reservation(cls.source['id'])]}
        cls.made = cls.create_class_leases(specs)

    @decorators.idempotent_id('f616e6f5-904c-481c-b5ad-1bdb2facddfa')
    def test_flavor_lease_echoes_source_flavor(self):
        lease, rsv = self._lease('plain')
        self.assertEqual('PENDING', lease['status'])
        self.assertEqual(
            ('flavor:instance', 1, self.source['vcpus'], self.source['ram'],
             self.source['disk']),
            (rsv['resource_type'], rsv['amount'], rsv['vcpus'],
             rsv['memory_mb'], rsv['disk_gb']))

    @decorators.idempotent_id('b3a59f90-095b-4087-8161-c704c045fc18')
    def test_flavor_lease_creates_private_reservation_flavor(self):
        _, rsv = self._lease('plain')
        self.assert_reservation_flavor(rsv, self.source['vcpus'],
                                       self.source['ram'], self.source['disk'])

    @decorators.idempotent_id('b4f8ff9b-5f3b-42e5-b39e-069097514ae4')
    def test_flavor_lease_allocates_one_freepool_host(self):
        lease, _ = self._lease('plain')
        names = {h['id']: h['hypervisor_hostname']
                 for h in self.admin_hosts.list_hosts()['hosts']}
        allocs = self.admin_hosts.list_allocations(lease_id=lease['id'])
        allocated = [names[a['resource_id']] for a in allocs['allocations']
                     if a['reservations']]
        self.assertEqual(1, len(allocated), allocated)
        # Nova's view of the free pool (a future lease leaves it there)
        self.assertIn(allocated[0], self.freepool_hosts())

    @decorators.idempotent_id('d18d344a-532e-4322-9345-7ce0c4385cfa')
    def test_update_amount_is_refused(self):
        lease, rsv = self._lease('update')
        observed = base.status_of(
            self.leases.update_lease, lease['id'],
            reservations=[{'id': rsv['id'], 'amount': 2}])
        self.assertEqual(409, observed)
        shown = self.leases.show_lease(lease['id'])['lease']
        self.assertEqual(1, shown['reservations'][0]['amount'])
        # A refused update must leave the lease as it was.
        findings.check(self, REFUSED_FLAVOR_UPDATE_ERRORS_LEASE,
                       shown['status'])

    @decorators.idempotent_id('5c70d907-ffcb-4666-8adb-46d158d9a779')
    def test_affinity_is_refused(self):
        start, end = leases.far_window(14)
        observed = self.refused_lease(
            409, start_date=start, end_date=end, reservations=[
                base.flavor_reservation(self.source['id'], affinity=True)])
        self.assertEqual(409, observed)

    @decorators.idempotent_id('2df63276-1fa9-4144-b7e4-0ad7978ceda7')
    def test_delete_pending_flavor_lease_removes_flavor(self):
        lease, rsv = self._lease('delete')
        self.leases.delete_lease(lease['id'])
        leases.wait_for_lease_deleted(self.leases, lease['id'])
        self.assertRaises(lib_exc.NotFound,
                          self.os_admin.flavors_client.show_flavor, rsv['id'])
        self.assertIsNone(self.aggregate_named(rsv['id']))


class LeaseApiBasicsTest(base.ReservationBase):
    """Version discovery, microversion negotiation and reservation-less
    leases behave as the api-ref says (only 1.0 exists; ``latest`` is 1.0;
    the negotiated version is echoed with ``Vary``).

    Why: clients negotiate before anything else; a lease without
    reservations is the cheapest probe of the lease state machine.
    """

    @decorators.idempotent_id('869fc0b4-0bf1-414f-a401-a0622aa1bc15')
    def test_version_document(self):
        body = self.leases.list_versions()
        self.assertEqual(300, body.response.status)
        v1 = [v for v in body['versions'] if v['id'] == 'v1.0']
        self.assertEqual(1, len(v1), body['versions'])
        self.assertEqual(('CURRENT', '1.0', '1.0'),
                         (v1[0]['status'], v1[0].get('min_version'),
                          v1[0].get('max_version')))

    def _negotiated(self, sent):
        with self.leases.microversion(sent):
            resp = self.leases.list_leases().response
        self.assertEqual('reservation 1.0',
                         resp.get('openstack-api-version'))
        self.assertIn('openstack-api-version',
                      resp.get('vary', '').lower())

    @decorators.idempotent_id('75e1cccf-c484-4a4f-9f2e-ee47204213a5')
    def test_microversion_1_0_is_echoed(self):
        self._negotiated('1.0')

    @decorators.idempotent_id('e9ef7ff8-7105-46b9-8d1e-d863bb1ef2ec')
    def test_microversion_latest_is_1_0(self):
        self._negotiated('latest')

    @decorators.idempotent_id('b6f5db4b-62c1-4f36-bb34-65b0c332155a')
    def test_lease_without_reservations(self):
        start, end = leases.far_window(19)
        lease = self.create_lease(start=start, end=end)
        self.assertEqual('PENDING', lease['status'])
        self.assertEqual([], lease['reservations'])
        self.assertEqual({'start_lease', 'end_lease'},
                         {e['event_type'] for e in lease['events']})
