"""Common base of the reservation clients."""

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client


class ReservationClient(rest_client.RestClient):
    """Sends ``OpenStack-API-Version: reservation <v>`` when asked to."""

    api_version = None

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        if self.api_version:
            headers['OpenStack-API-Version'] = 'reservation %s' % (
                self.api_version)
        return headers

    def _get(self, url, expected=200, **kw):
        resp, body = self.get(url, **kw)
        self.expected_success(expected, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))

    def _post(self, url, body, expected=201):
        resp, body = self.post(url, json.dumps(body))
        self.expected_success(expected, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))

    def _put(self, url, body, expected=200):
        resp, body = self.put(url, json.dumps(body))
        self.expected_success(expected, resp.status)
        return rest_client.ResponseBody(resp, json.loads(body))

    def _delete(self, url, expected=204):
        resp, body = self.delete(url)
        self.expected_success(expected, resp.status)
        return rest_client.ResponseBody(resp, body)
