from tempest.lib import exceptions as lib_exc

from cellv2_conformance.services.reservation.v1 import base


class HostsClient(base.ReservationClient):

    def list_hosts(self):
        return self._get('os-hosts')

    def show_host(self, host_id):
        return self._get('os-hosts/%s' % host_id)

    def create_host(self, **body):
        return self._post('os-hosts', body)

    def update_host(self, host_id, **body):
        return self._put('os-hosts/%s' % host_id, body)

    def delete_host(self, host_id):
        return self._delete('os-hosts/%s' % host_id)

    def list_allocations(self, **params):
        from urllib import parse
        q = ('?' + parse.urlencode(params)) if params else ''
        return self._get('os-hosts/allocations' + q)

    def show_allocation(self, host_id):
        return self._get('os-hosts/%s/allocation' % host_id)

    def list_properties(self, **params):
        from urllib import parse
        q = ('?' + parse.urlencode(params)) if params else ''
        return self._get('os-hosts/properties' + q)

    def is_resource_deleted(self, id):
        try:
            self.show_host(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return 'reservable host'
