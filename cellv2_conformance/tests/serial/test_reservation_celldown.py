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

"""A host lease that starts while one cell's database is stopped."""

from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import leases
from cellv2_conformance.common import waiters
from cellv2_conformance import faults
from cellv2_conformance.inspect import db
from cellv2_conformance.tests import reservation_base as base

CONF = config.CONF


@decorators.serial
class LeaseStartWithCellDatabaseDownTest(base.ReservationBase):
    """A host lease on a host of cell X whose start event runs while X's
    database server is stopped does not hang in STARTING: it becomes
    ACTIVE or ERROR visibly; once the database is back, deleting the lease
    returns the host to the free pool and removes the reservation's
    aggregate.

    Why: Blazar's start moves the host between Nova aggregates, which makes
    nova-api look the compute service up in the cell database; a down cell
    must produce a visible failure, never a stuck lease or a host stranded
    outside the free pool (LP#1791733, LP#1847821).
    """

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.fault_injection:
            raise cls.skipException('[cellv2] fault_injection is False')
        if CONF.cellv2.expected_cells < 2:
            raise cls.skipException('[cellv2] expected_cells < 2')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        inv = cls.inventory
        hosts = [(inv.cell_of_host(h), h) for h in sorted(
            inv.blazar.get('reservable_hosts') or [])]
        hosts = [(c, h) for c, h in hosts
                 if c is not None and c.db_server.get('dedicated')]
        if not hosts:
            raise cls.skipException('no enrolled host in a cell with its own '
                                    'database server')
        cls.cell, cls.host = hosts[-1]
        end = leases.fmt(leases.minutes_after(leases.utcnow(), 3))
        cls.history = None
        cls.wait_error = None
        with faults.injected(inv, 'cell(%s).db:stop' % cls.cell.name,
                             ttl=240) as fault:
            cls.fault_status = fault['status']
            cls.lease = cls.create_class_lease(
                cls.leases, [base.host_reservation(
                    resource_properties=base.hostname_is(cls.host))],
                end=end)
            try:
                cls.history = leases.wait_for_lease(
                    cls.leases, cls.lease['id'], ('ACTIVE', 'ERROR'),
                    timeout_s=90)
            except waiters.WaitTimeout as e:
                cls.wait_error = e

    @decorators.idempotent_id('524ecb2d-abb6-451c-9647-44cca11371e0')
    def test_lease_does_not_hang_in_starting(self):
        self.assertIsNone(self.wait_error, 'lease %s stuck while cell %s '
                          'database was stopped: %s' % (
                              self.lease['id'], self.cell.name,
                              self.wait_error))
        self.assertIn(self.history[-1]['state'], ('ACTIVE', 'ERROR'))
        self.assertEqual('active', self.fault_status)

    @decorators.idempotent_id('ccda7575-b3d2-4073-9268-c343b1b66b79')
    def test_delete_after_heal_returns_host_to_freepool(self):
        rsv = self.lease['reservations'][0]['id']
        try:
            self.leases.delete_lease(self.lease['id'])
        except lib_exc.NotFound:
            pass
        leases.wait_for_lease_deleted(self.leases, self.lease['id'])
        self.assertIn(self.host, self.freepool_hosts())
        self.assertIsNone(self.aggregate_named(rsv))

    @decorators.idempotent_id('139165c2-5d14-4101-96fa-437a243d4ed5')
    def test_cell_database_readable_after_heal(self):
        if not CONF.cellv2.whitebox_db:
            self.skipTest('[cellv2] whitebox_db is False')
        rows = db.select(self.cell.reader_url, 'SELECT COUNT(*) AS n FROM '
                         'compute_nodes WHERE deleted = 0')
        self.assertGreaterEqual(rows[0]['n'], 1)
