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

"""One base for the plugin's REST clients of microversioned services
(CONF-free, tempest.lib only): the ``OpenStack-API-Version`` header,
schema-checked calls and the unauthenticated version document.
"""

import contextlib
from urllib import parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client

HEADER = 'OpenStack-API-Version'


class MicroversionedClient(rest_client.RestClient):
    """``microversion_service`` names the service in the header
    (``reservation``, ``instance-ha``).
    """

    microversion_service = None
    # not 'api_version': RestClient puts that into the URL path
    api_microversion = None

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        if self.api_microversion:
            headers[HEADER] = '%s %s' % (self.microversion_service,
                                         self.api_microversion)
        return headers

    @contextlib.contextmanager
    def microversion(self, version):
        """Send ``version`` (a string, sent verbatim) for the calls inside."""
        old = self.api_microversion
        self.api_microversion = version
        try:
            yield self
        finally:
            self.api_microversion = old

    @staticmethod
    def _query(params):
        params = {k: v for k, v in params.items() if v is not None}
        return ('?' + parse.urlencode(params)) if params else ''

    def _call(self, method, url, schema, body=None):
        if body is not None:
            resp, raw = getattr(self, method)(url, json.dumps(body))
        else:
            resp, raw = getattr(self, method)(url)
        data = json.loads(raw) if raw else {}
        self.validate_response(schema, resp, data)
        return rest_client.ResponseBody(resp, data)

    def _versions(self, schema):
        """GET / (unauthenticated version document), checked by
        ``schema``.
        """
        self.skip_path()
        try:
            resp, raw = self.get('/')
        finally:
            self.reset_path()
        data = json.loads(raw)
        self.validate_response(schema, resp, data)
        return rest_client.ResponseBody(resp, data)
