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

from tempest.lib import exceptions as lib_exc

from cellv2_conformance.services.instance_ha.v1 import schemas
from cellv2_conformance.services import microversioned

SERVICE = 'instance-ha'


class InstanceHAClient(microversioned.MicroversionedClient):

    microversion_service = SERVICE

    def list_versions(self):
        """GET / (unauthenticated version document)."""
        return self._versions(schemas.versions)


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
