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


class HostsClient(base.ReservationClient):
    """``/v1/os-hosts``: enrolment, extra capabilities, allocations and
    resource properties (admin only by default policy).
    """

    def list_hosts(self):
        return self._call('get', 'os-hosts', schemas.list_hosts)

    def show_host(self, host_id):
        return self._call('get', 'os-hosts/%s' % host_id, schemas.show_host)

    def create_host(self, name, **extra_capabilities):
        """Enrol the hypervisor ``name``; keyword arguments become extra
        capabilities of the host.
        """
        body = dict(extra_capabilities, name=name)
        return self._call('post', 'os-hosts', schemas.create_host, body)

    def update_host(self, host_id, **extra_capabilities):
        """Set (value) or remove (None) extra capabilities."""
        return self._call('put', 'os-hosts/%s' % host_id,
                          schemas.update_host, extra_capabilities)

    def delete_host(self, host_id):
        return self._call('delete', 'os-hosts/%s' % host_id,
                          schemas.delete_host)

    def list_allocations(self, lease_id=None, reservation_id=None):
        return self._call('get', 'os-hosts/allocations' + self._query(
            {'lease_id': lease_id, 'reservation_id': reservation_id}),
            schemas.list_allocations)

    def show_allocation(self, host_id):
        return self._call('get', 'os-hosts/%s/allocation' % host_id,
                          schemas.show_allocation)

    def list_properties(self, detail=None, all=None):
        return self._call('get', 'os-hosts/properties' + self._query(
            {'detail': detail, 'all': all}), schemas.list_properties)

    def update_property(self, name, private):
        return self._call('patch', 'os-hosts/properties/%s' % name,
                          schemas.update_property, {'private': private})

    def is_resource_deleted(self, id):
        try:
            self.show_host(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return 'reservable host'
