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

from tempest.lib import exceptions as lib_exc

from cellv2_conformance.services.reservation.v1 import base
from cellv2_conformance.services.reservation.v1 import schemas


class LeasesClient(base.ReservationClient):
    """``/v1/leases``: lease create, show, list, update, delete."""

    def list_leases(self, **params):
        return self._call('get', 'leases' + self._query(params),
                          schemas.list_leases)

    def show_lease(self, lease_id):
        return self._call('get', 'leases/%s' % lease_id, schemas.show_lease)

    def create_lease(self, **body):
        """POST /leases; body: name, start_date, end_date, reservations,
        events, before_end_date (dates "%Y-%m-%d %H:%M" UTC or "now").
        """
        body.setdefault('events', [])
        body.setdefault('reservations', [])
        return self._call('post', 'leases', schemas.create_lease, body)

    def update_lease(self, lease_id, **body):
        return self._call('put', 'leases/%s' % lease_id,
                          schemas.update_lease, body)

    def delete_lease(self, lease_id):
        return self._call('delete', 'leases/%s' % lease_id,
                          schemas.delete_lease)

    def is_resource_deleted(self, id):
        try:
            self.show_lease(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return 'lease'
