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

"""The pre-upgrade consistency audit as checks: one check per family."""

from tempest import config
from tempest.lib import decorators
from tempest import test

from cellv2_conformance import audit
from cellv2_conformance import inventory

CONF = config.CONF


@decorators.serial
class ConsistencyAuditTest(test.BaseTestCase):
    """Every cross-reference nova, placement and Blazar keep between their
    stores agrees, over ALL records of the cloud (not only the suite's).

    The class reads every store once (read-only: the inventory's SELECT-only
    accounts, a few queries per store; a second reading confirms what the
    first found, so a server deleted between two queries is not reported)
    and each check asserts one family has no inconsistency; a failure lists
    every offending record with its cell, the two stores that disagree and
    the repair command.  Serial, so no other check's servers, moves or
    leases are half-way while the stores are read.  See
    doc/source/audit.rst for what each family compares and why it matters
    before an upgrade.
    """

    credentials = []

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.inventory:
            raise cls.skipException('[cellv2] inventory is not set')
        if not CONF.cellv2.whitebox_db:
            raise cls.skipException('[cellv2] whitebox_db is false')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.inv = inventory.load(CONF.cellv2.inventory)
        cls.result = audit.run(cls.inv, with_status=CONF.cellv2.nova_manage,
                               with_mq=CONF.cellv2.whitebox_mq)

    def _assert_consistent(self, family):
        if family in self.result.skipped:
            raise self.skipException('%s: %s' % (
                family, self.result.skipped[family]))
        recs = [r for r in self.result.records if r.family == family]
        if recs:
            self.fail('%d inconsistenc%s in family %s (%s):\n%s' % (
                len(recs), 'y' if len(recs) == 1 else 'ies', family,
                audit.FAMILIES[family],
                '\n'.join('- %s' % r.line() for r in recs)))

    @decorators.idempotent_id('25010b3f-54c5-4dc0-9ab1-9b22b3684e97')
    def test_instance_mappings(self):
        """Live instances <-> instance_mappings both ways: one mapping naming
        the instance's cell, no uuid live in two cells, no mapping without
        its instance (or a build request), queued_for_delete right.
        """
        self._assert_consistent('instance-mappings')

    @decorators.idempotent_id('b6221390-1fff-4e7f-915e-f25d19609ab3')
    def test_request_specs(self):
        """Every live instance has a request spec and every request spec
        an instance.
        """
        self._assert_consistent('request-specs')

    @decorators.idempotent_id('d250391c-cede-4495-9677-6de15241d10c')
    def test_host_mappings(self):
        """Compute services and nodes of each cell <-> host_mappings: every
        compute host mapped to its own cell, no host in two cells, no
        mapping without its compute.
        """
        self._assert_consistent('host-mappings')

    @decorators.idempotent_id('b98cf081-53c0-4ff7-b2a8-9e9311fca4ef')
    def test_instance_hosts(self):
        """Instances sit on live compute nodes of their own cell
        (host/node/compute_id); cell0 instances have no host.
        """
        self._assert_consistent('instance-hosts')

    @decorators.idempotent_id('84388b49-ffcb-4c05-8810-c5c0009328c6')
    def test_migrations(self):
        """In-progress migrations reference live instances and compute
        hosts of existing cells, and their instance is still moving.
        """
        self._assert_consistent('migrations')

    @decorators.idempotent_id('34dbe2e8-e83f-4b9b-bda5-5427a4d5c177')
    def test_placement_allocations(self):
        """Allocation consumers are live instances or in-progress
        migrations; settled instances hold their flavor on their node's
        provider, nothing elsewhere, with their owner as consumer.
        """
        self._assert_consistent('placement-allocations')

    @decorators.idempotent_id('a4cf3b7a-39f4-4a4b-9d22-7fd325c402d2')
    def test_placement_providers(self):
        """Resource providers <-> compute nodes of the cells (uuid and
        name).
        """
        self._assert_consistent('placement-providers')

    @decorators.idempotent_id('fb90991e-0e50-4c4f-b99a-fa900c3a7746')
    def test_placement_aggregates(self):
        """Nova host aggregates <-> placement aggregates of the hosts'
        providers.
        """
        self._assert_consistent('placement-aggregates')

    @decorators.idempotent_id('801d9b5c-6bf6-4860-bca7-4993677aaf50')
    def test_cell_mappings(self):
        """cell0 present, enabled and without computes; no shared database
        or transport; cell mappings agree with the inventory and the cell
        conductors' configuration.
        """
        self._assert_consistent('cell-mappings')

    @decorators.idempotent_id('8d2375c3-f2b7-4fd4-9d96-d4aa391b3f4d')
    def test_schema_versions(self):
        """Every cell database is at the same alembic schema version."""
        self._assert_consistent('schema-versions')

    @decorators.idempotent_id('84fcc5e4-5561-47c0-94d8-d04467528f9f')
    def test_message_queue(self):
        """Each mapped compute host listens on its own cell's vhost."""
        self._assert_consistent('message-queue')

    @decorators.idempotent_id('f9ce1076-f9e6-480a-b2a1-18d6dafcea27')
    def test_blazar_hosts(self):
        """Hosts enrolled in Blazar are live compute nodes of a mapped cell,
        the very hypervisor that was enrolled, with a reservation
        provider.
        """
        self._assert_consistent('blazar-hosts')

    @decorators.idempotent_id('9feed48a-cde1-4fec-829d-e15ed6d6b081')
    def test_blazar_freepool(self):
        """The freepool holds exactly the enrolled hosts not in an active
        host reservation.
        """
        self._assert_consistent('blazar-freepool')

    @decorators.idempotent_id('ce5a5cf3-6f70-4449-a585-1ad228119209')
    def test_blazar_aggregates(self):
        """Lease aggregates <-> pending/active reservations, with the
        allocated hosts while active.
        """
        self._assert_consistent('blazar-aggregates')

    @decorators.idempotent_id('ed280d89-313a-4597-a81b-cd3f124c1df5')
    def test_nova_status(self):
        """`nova-status upgrade check` reports every check as Success."""
        self._assert_consistent('nova-status')
