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

"""Changes to Blazar's hosts: extra capabilities and enrolment refusals.

Serial: they change enrolled hosts or try to enrol ordinary ones.
Slots 60-64 belong to this module.  The enrol/remove cycle itself runs in
``test_reservation_lifecycle`` (it lends the enrolled host to an instance
reservation).
"""

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.common import naming
from cellv2_conformance.tests import reservation_base as base

CONF = config.CONF
HOSTS_REF = 'blazar api-ref v1 hosts (ExtraCapabilityTooLong: 400)'

# blazar 18.0.0: only create_computehost checks the key length
# (ExtraCapabilityTooLong); update_computehost stores any key, 200.
LONG_CAPABILITY_KEY_ON_UPDATE = findings.Finding(
    'blazar-long-capability-key-on-update',
    'PUT /os-hosts/{id} accepts an extra capability key longer than 64 '
    'characters (only enrolment checks the length)',
    documented=findings.http(400, r'Extra capability key too long'),
    deviation=findings.http(200), reference=HOSTS_REF)


@decorators.serial
class HostCapabilityAndConflictTest(base.ReservationBase):
    """Extra capabilities of an enrolled host can be set and removed and
    are listed as resource properties; keys longer than 64 characters are
    refused with 400; enrolling a host that runs servers and removing a
    host that is reserved are refused with 409 and change nothing.

    Why: capabilities drive ``resource_properties`` filters; enrolment
    of a busy host would let Blazar delete someone's servers.
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.lease_enrolled_hosts:
            raise cls.skipException(
                'the class sets extra capabilities on and reserves a host '
                'enrolled in Blazar: set [cellv2] lease_enrolled_hosts = '
                'true where that is acceptable')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        # Blazar's own record (a discovered inventory does not know it)
        cls.reservable = sorted(h['hypervisor_hostname'] for h in
                                cls.admin_hosts.list_hosts()['hosts'])
        if not cls.reservable:
            raise cls.skipException('no host is enrolled in Blazar')

    def _enrolable_host(self):
        """A host of [cellv2] enrol_hosts the test may try to enrol (an
        enrolment Blazar should refuse might succeed).
        """
        if not CONF.cellv2.enrol_hosts:
            self.skipTest('a wrongly accepted enrolment would take a '
                          'compute into Blazar: name the hosts the suite '
                          'may enrol in [cellv2] enrol_hosts')
        host, why = crosscheck.takeable_host(
            CONF.cellv2.enrol_hosts, self.reservable,
            lambda h: self.os_admin.servers_client.list_servers(
                all_tenants=True, host=h)['servers'])
        if not host:
            self.skipTest('no host of [cellv2] enrol_hosts can be '
                          'enrolled now: %s' % why)
        return host

    def _host(self, name):
        for h in self.admin_hosts.list_hosts()['hosts']:
            if h['hypervisor_hostname'] == name:
                return h
        return None

    def _set_capability(self, key, value):
        host = self._host(self.reservable[0])
        updated = self.admin_hosts.update_host(host['id'],
                                               **{key: value})['host']
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.admin_hosts.update_host, host['id'],
                        **{key: None})
        return host, updated

    @staticmethod
    def _long_key():
        """65 characters, carrying the run prefix: Blazar keeps a resource
        property row for every key it ever accepted.
        """
        head = naming.prefix() + '_'
        return head + 'k' * (65 - len(head))

    @staticmethod
    def _key():
        return naming.rand_name('cap').replace(
            '-', '_')

    @decorators.idempotent_id('4dc3f2e9-56d7-4751-9269-89f84d547aa7')
    def test_set_extra_capability(self):
        key = self._key()
        host, updated = self._set_capability(key, 'gold')
        self.assertEqual('gold', updated.get(key))
        self.assertEqual('gold', self.admin_hosts.show_host(
            host['id'])['host'].get(key))

    @decorators.idempotent_id('e84e7fdb-51e3-434a-b5da-93d2420fca03')
    def test_capability_listed_as_resource_property(self):
        key = self._key()
        self._set_capability(key, 'silver')
        props = {p['property']: p for p in self.admin_hosts.list_properties(
            detail=True)['resource_properties']}
        self.assertIn(key, props)
        self.assertEqual(['silver'], props[key]['values'])

    @decorators.idempotent_id('1612e3e8-0139-4dcf-81ad-9c1c2c8badd9')
    def test_remove_extra_capability(self):
        key = self._key()
        host, _ = self._set_capability(key, 'bronze')
        updated = self.admin_hosts.update_host(host['id'],
                                               **{key: None})['host']
        self.assertNotIn(key, updated)
        self.assertNotIn(key, self.admin_hosts.show_host(
            host['id'])['host'])

    @decorators.idempotent_id('c7f54492-09fc-4f76-9245-83ed3c972aa0')
    def test_capability_filters_host_lease(self):
        key = self._key()
        self._set_capability(key, 'cellv2-only-here')
        start, end = leases.far_window(60)
        lease = self.create_lease(
            reservations=[base.host_reservation(
                resource_properties='["==", "$%s", "cellv2-only-here"]'
                % key)], start=start, end=end)
        host = self._host(self.reservable[0])
        allocs = self.admin_hosts.list_allocations(lease_id=lease['id'])
        self.assertEqual([host['id']], [a['resource_id'] for a in
                                        allocs['allocations']
                                        if a['reservations']])

    @decorators.idempotent_id('9671714b-a722-4c32-a0b4-0b11ccd58730')
    def test_over_long_capability_key_on_update(self):
        key = self._long_key()
        host = self._host(self.reservable[0])
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.admin_hosts.update_host, host['id'],
                        **{key: None})
        observed = base.status_of(self.admin_hosts.update_host, host['id'],
                                  **{key: 'v'})
        findings.check(self, LONG_CAPABILITY_KEY_ON_UPDATE, observed)

    @decorators.idempotent_id('02ffe56b-b2a2-4598-92c1-f0f3621cde97')
    def test_over_long_capability_key_on_enrol(self):
        name = self._enrolable_host()
        observed = base.status_of(self.admin_hosts.create_host, name,
                                  **{self._long_key(): 'v',
                                     naming.ENROL_MARK: naming.prefix()})
        if observed == 201:
            # wrongly enrolled: take it out again
            self.addCleanup(self.admin_hosts.delete_host,
                            self._host(name)['id'])
        self.assertEqual(400, observed)
        self.assertIsNone(self._host(name))
        self.assertNotIn(name, self.freepool_hosts())

    @decorators.idempotent_id('7f88d9b4-9be1-48e4-941d-688ba288ddcb')
    def test_enrol_host_running_servers_conflicts(self):
        name = self._enrolable_host()
        self.boot(clients=self.os_admin, host=name)
        observed = base.status_of(self.admin_hosts.create_host, name,
                                  **{naming.ENROL_MARK: naming.prefix()})
        if observed == 201:
            self.addCleanup(self.admin_hosts.delete_host,
                            self._host(name)['id'])
        self.assertEqual(409, observed)
        self.assertIsNone(self._host(name))
        self.assertNotIn(name, self.freepool_hosts())
        rps = self.os_admin.resource_providers_client
        self.assertEqual([], rps.list_resource_providers(
            name='blazar_%s' % name)['resource_providers'])

    @decorators.idempotent_id('dd405969-7695-4dfa-bf82-829ad710d73e')
    def test_remove_reserved_host_conflicts(self):
        target = self.reservable[0]
        start, end = leases.far_window(61)
        self.create_lease(reservations=[base.host_reservation(
            resource_properties=base.hostname_is(target))],
            start=start, end=end)
        host = self._host(target)
        self.assertEqual(409, base.status_of(self.admin_hosts.delete_host,
                                             host['id']))
        self.assertIsNotNone(self._host(target))
        self.assertIn(target, self.freepool_hosts())

    @decorators.idempotent_id('843ae851-872d-474b-a5f9-d412c5579e18')
    def test_enrol_unknown_hypervisor(self):
        observed = base.status_of(self.admin_hosts.create_host,
                                  'cellv2-no-such-hypervisor')
        self.assertIn(observed, (400, 404))
