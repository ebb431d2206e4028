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
        events, before_end_date (dates "%Y-%m-%d %H:%M" UTC or "now")."""
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
