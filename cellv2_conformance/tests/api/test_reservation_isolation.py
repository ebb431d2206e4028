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

"""Project isolation of leases (another project cannot touch them).

Slots 30-34 belong to this module.
"""

import datetime

from tempest.lib import decorators

from cellv2_conformance.common import leases
from cellv2_conformance.tests import reservation_base as base


class LeaseProjectIsolationTest(base.ReservationBase):
    """Another project can neither see, update nor delete a project's lease
    (404 or 403), and the lease is unchanged afterwards; an admin sees it.

    Why: before LP#2120655 (2025) any user could update or delete any
    project's lease given its id.
    """

    credentials = ['primary', 'alt', 'admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.alt_leases = cls.os_alt.reservation_v1.LeasesClient()

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        start, end = leases.far_window(30)
        cls.lease = cls.create_class_lease(
            cls.leases, [base.host_reservation()], start=start, end=end)

    def _unchanged(self):
        now = self.leases.show_lease(self.lease['id'])['lease']
        self.assertEqual((self.lease['name'], self.lease['end_date'],
                          'PENDING'),
                         (now['name'], now['end_date'], now['status']))

    @decorators.idempotent_id('b16e2f04-12e1-4e5f-b367-a25518bdd01c')
    def test_other_project_cannot_show(self):
        self.assertIn(base.status_of(self.alt_leases.show_lease,
                                     self.lease['id']), (403, 404))

    @decorators.idempotent_id('d6490539-cc9d-4314-a120-475283dd62c1')
    def test_other_project_does_not_list(self):
        listed = [x['id'] for x in self.alt_leases.list_leases()['leases']]
        self.assertNotIn(self.lease['id'], listed)

    @decorators.idempotent_id('54b9ecbb-6fda-4159-b2e9-2129a6908b2b')
    def test_other_project_cannot_update(self):
        self.assertIn(base.status_of(
            self.alt_leases.update_lease, self.lease['id'],
            name=self.lease_name()), (403, 404))
        self._unchanged()

    @decorators.idempotent_id('579137fb-1dd9-48c1-93c6-efff61accd39')
    def test_other_project_cannot_extend(self):
        end = leases.fmt(leases.parse(self.lease['end_date']) +
                         datetime.timedelta(hours=1))
        self.assertIn(base.status_of(
            self.alt_leases.update_lease, self.lease['id'], end_date=end),
            (403, 404))
        self._unchanged()

    @decorators.idempotent_id('7bf93e67-c9b3-4726-8f7c-97af07f52503')
    def test_other_project_cannot_delete(self):
        self.assertIn(base.status_of(self.alt_leases.delete_lease,
                                     self.lease['id']), (403, 404))
        self._unchanged()

    @decorators.idempotent_id('c035e9e1-5d9b-4ba7-b980-e4fa7833cf76')
    def test_admin_lists_every_project(self):
        listed = [x['id'] for x in self.admin_leases.list_leases()['leases']]
        self.assertIn(self.lease['id'], listed)
