from tempest.lib import exceptions as lib_exc

from cellv2_conformance.services.reservation.v1 import base


class LeasesClient(base.ReservationClient):

    def list_leases(self):
        return self._get('leases')

    def show_lease(self, lease_id):
        return self._get('leases/%s' % lease_id)

    def create_lease(self, **body):
        return self._post('leases', body)

    def update_lease(self, lease_id, **body):
        return self._put('leases/%s' % lease_id, body)

    def delete_lease(self, lease_id):
        return self._delete('leases/%s' % lease_id)

    def is_resource_deleted(self, id):
        try:
            self.show_lease(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return 'lease'
