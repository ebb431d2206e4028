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

"""Masakari v1: failover segments, their hosts, notifications and their
instance moves (vmoves).

Every call checks its response against :mod:`.schemas` and sends
``OpenStack-API-Version: instance-ha <v>`` when ``api_microversion`` is set
(Masakari 22 serves 1.0-1.3).
"""

import contextlib
from urllib import parse

from oslo_serialization import jsonutils as json
from tempest.lib.common import rest_client
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.services.instance_ha.v1 import schemas

HEADER = 'OpenStack-API-Version'
SERVICE = 'instance-ha'


class InstanceHAClient(rest_client.RestClient):

    # not 'api_version': RestClient puts that into the URL path
    api_microversion = None

    def get_headers(self, accept_type=None, send_type=None):
        headers = super().get_headers(accept_type, send_type)
        if self.api_microversion:
            headers[HEADER] = '%s %s' % (SERVICE, self.api_microversion)
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

    def list_versions(self):
        """GET / (unauthenticated version document)."""
        self.skip_path()
        try:
            resp, raw = self.get('/')
        finally:
            self.reset_path()
        data = json.loads(raw)
        self.validate_response(schemas.versions, resp, data)
        return rest_client.ResponseBody(resp, data)


class SegmentsClient(InstanceHAClient):
    """``/v1/segments``: failover segments."""

    def list_segments(self, **filters):
        return self._call('get', 'segments' + self._query(filters),
                          schemas.list_segments)

    def show_segment(self, segment_id, schema=schemas.show_segment):
        return self._call('get', 'segments/%s' % segment_id, schema)

    def create_segment(self, **segment):
        return self._call('post', 'segments', schemas.create_segment,
                          {'segment': segment})

    def update_segment(self, segment_id, **segment):
        return self._call('put', 'segments/%s' % segment_id,
                          schemas.update_segment, {'segment': segment})

    def delete_segment(self, segment_id):
        return self._call('delete', 'segments/%s' % segment_id,
                          schemas.delete_segment)

    def is_resource_deleted(self, id):
        try:
            self.show_segment(id)
        except lib_exc.NotFound:
            return True
        return False

    @property
    def resource_type(self):
        return 'failover segment'


class SegmentHostsClient(InstanceHAClient):
    """``/v1/segments/{segment}/hosts``: the hosts of a segment."""

    def list_hosts(self, segment_id, **filters):
        return self._call('get', 'segments/%s/hosts%s' % (
            segment_id, self._query(filters)), schemas.list_hosts)

    def show_host(self, segment_id, host_id):
        return self._call('get', 'segments/%s/hosts/%s' % (
            segment_id, host_id), schemas.show_host)

    def create_host(self, segment_id, **host):
        return self._call('post', 'segments/%s/hosts' % segment_id,
                          schemas.create_host, {'host': host})

    def update_host(self, segment_id, host_id, **host):
        return self._call('put', 'segments/%s/hosts/%s' % (
            segment_id, host_id), schemas.update_host, {'host': host})

    def delete_host(self, segment_id, host_id):
        return self._call('delete', 'segments/%s/hosts/%s' % (
            segment_id, host_id), schemas.delete_host)


class NotificationsClient(InstanceHAClient):
    """``/v1/notifications`` and their vmoves (1.3)."""

    def list_notifications(self, **filters):
        return self._call('get', 'notifications' + self._query(filters),
                          schemas.list_notifications)

    def show_notification(self, notification_id):
        return self._call('get', 'notifications/%s' % notification_id,
                          schemas.show_notification)

    def create_notification(self, type, hostname, generated_time, payload):
        return self._call('post', 'notifications',
                          schemas.create_notification,
                          {'notification': {
                              'type': type, 'hostname': hostname,
                              'generated_time': generated_time,
                              'payload': payload}})

    def list_vmoves(self, notification_id, **filters):
        return self._call('get', 'notifications/%s/vmoves%s' % (
            notification_id, self._query(filters)), schemas.list_vmoves)

    def show_vmove(self, notification_id, vmove_id):
        return self._call('get', 'notifications/%s/vmoves/%s' % (
            notification_id, vmove_id), schemas.show_vmove)
