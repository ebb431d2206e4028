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

"""Read-only checks of Blazar's enrolled hosts (no change to any host).

Enrolment changes (enrol/delete, capabilities) are serial:
``tests/serial/test_reservation_hosts.py``.
"""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.tests import reservation_base as base

CONF = config.CONF


class EnrolledHostsTest(base.ReservationBase):
    """Blazar's host records name the hypervisors the deployment enrolled,
    in every cell, each resolving to the same hypervisor in Nova (ids are
    UUIDs from compute 2.53 on), each in the free pool with a
    ``blazar_<host>`` child resource provider.

    Why: with per-cell integer hypervisor ids (compute < 2.53) Blazar
    registers the WRONG host in a multi-cell cloud - comparing Blazar's
    record with Nova, Placement and the inventory a human wrote catches
    that misconfiguration.  Blazar's list is compared with Nova's free pool
    aggregate and Placement's providers whatever the inventory says; with
    the inventory only when it names the reservable hosts.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.hosts = cls.admin_hosts.list_hosts()['hosts']
        if not cls.hosts:
            raise cls.skipException('no host is enrolled in Blazar')
        cls.enrolled = sorted(h['hypervisor_hostname'] for h in cls.hosts)
        cls.expected = sorted(
            cls.inventory.blazar.get('reservable_hosts') or [])

    @decorators.idempotent_id('0c0b04f2-0a91-4eca-8b8a-dc9e9c77e4b4')
    def test_enrolled_hosts_match_inventory(self):
        if not self.expected:
            self.skipTest('the inventory lists no Blazar-enrolled hosts '
                          '(blazar.reservable_hosts): nothing written by a '
                          'human to compare Blazar\'s record with')
        self.assertEqual(self.expected, sorted(
            h['hypervisor_hostname'] for h in self.hosts))

    @decorators.idempotent_id('eb2d2161-c88e-4298-82c9-b670b45168d7')
    def test_show_host_matches_list(self):
        for h in self.hosts:
            shown = self.admin_hosts.show_host(h['id'])['host']
            self.assertEqual((h['id'], h['hypervisor_hostname']),
                             (shown['id'], shown['hypervisor_hostname']))

    @decorators.idempotent_id('ec03f351-d83d-48e3-923c-eba32879b992')
    def test_host_records_resolve_to_the_named_hypervisor(self):
        # Blazar's host id is the Nova hypervisor id: at 2.53+ a UUID that
        # is unique across cells.  Each must resolve to the hypervisor whose
        # name Blazar recorded, and that must be a host of the inventory.
        hyp = self.os_admin.hypervisor_client
        for h in self.hosts:
            nova = hyp.show_hypervisor(h['id'])['hypervisor']
            self.assertEqual(h['hypervisor_hostname'],
                             nova['hypervisor_hostname'],
                             'Blazar host %s points at another hypervisor'
                             % h['id'])
            self.assertEqual(h['hypervisor_hostname'],
                             nova['service']['host'])
            self.assertIsNotNone(
                self.inventory.cell_of_host(h['hypervisor_hostname']),
                '%s is not a host of any cell in the inventory' %
                h['hypervisor_hostname'])

    @decorators.idempotent_id('e3eb987c-2f03-44f5-a39e-e8deb487ea94')
    def test_enrolled_hosts_span_every_cell(self):
        if CONF.cellv2.expected_cells < 2:
            self.skipTest('[cellv2] expected_cells < 2')
        cells = {self.inventory.cell_of_host(h['hypervisor_hostname']).name
                 for h in self.hosts
                 if self.inventory.cell_of_host(h['hypervisor_hostname'])}
        self.assertEqual(sorted(c.name for c in self.inventory.cells),
                         sorted(cells))

    @decorators.idempotent_id('c59e097b-265b-42c0-a768-55bcf4c03859')
    def test_enrolled_hosts_are_in_freepool(self):
        self.assertEqual(self.enrolled, self.freepool_hosts())

    @decorators.idempotent_id('72dede53-4f88-4cde-ba2b-2e9f57cf4b5c')
    def test_enrolled_hosts_have_blazar_child_provider(self):
        rps = self.os_admin.resource_providers_client
        for name in self.enrolled:
            (root,) = rps.list_resource_providers(
                name=name)['resource_providers']
            children = rps.list_resource_providers(
                name='blazar_%s' % name)['resource_providers']
            self.assertEqual(1, len(children), 'blazar_%s' % name)
            self.assertEqual(root['uuid'],
                             children[0]['parent_provider_uuid'])

    @decorators.idempotent_id('f9392e8e-2015-4776-a68f-de0bea25ad4c')
    def test_allocations_list_every_host(self):
        allocs = self.admin_hosts.list_allocations()['allocations']
        self.assertEqual(sorted(h['id'] for h in self.hosts),
                         sorted(a['resource_id'] for a in allocs))

    @decorators.idempotent_id('0a14da92-4cbd-4f73-8e73-cca4baade575')
    def test_resource_properties_listing(self):
        props = self.admin_hosts.list_properties(detail=True)[
            'resource_properties']
        for p in props:
            self.assertIn('private', p)
            self.assertIsInstance(p.get('values'), list)


class HostApiAdminOnlyTest(base.ReservationBase):
    """The host API (``/os-hosts``, allocations, properties) is admin only:
    a project member gets 403.

    Why: enrolment moves hypervisors between aggregates and deletes servers;
    Blazar's default policy reserves it to admins.
    """

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.member_hosts = cls.os_primary.reservation_v1.HostsClient()

    @decorators.idempotent_id('6ab2ba80-b2e5-4fad-b5de-3cda412ec16d')
    def test_member_cannot_list_hosts(self):
        self.assertEqual(403, base.status_of(self.member_hosts.list_hosts))

    @decorators.idempotent_id('57cd42f1-be78-4e33-ab27-4d65429b1a57')
    def test_member_cannot_show_host(self):
        (host,) = self.admin_hosts.list_hosts()['hosts'][:1]
        self.assertEqual(403, base.status_of(self.member_hosts.show_host,
                                             host['id']))

    @decorators.idempotent_id('8a8485bc-fb4a-4ebf-ace3-a2bb97104840')
    def test_member_cannot_enrol_host(self):
        # A name no hypervisor has: policy must refuse before any lookup,
        # and a policy bug cannot enrol a real host.
        self.assertEqual(403, base.status_of(self.member_hosts.create_host,
                                             'cellv2-no-such-hypervisor'))

    @decorators.idempotent_id('60b3146c-9983-49d3-a0c2-574714462e77')
    def test_member_cannot_list_allocations(self):
        self.assertEqual(403, base.status_of(
            self.member_hosts.list_allocations))
