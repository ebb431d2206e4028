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

"""Masakari API conformance: segments, hosts, notifications, microversions.

Serial because a compute host can belong to one failover segment only
(host names are unique across Masakari): the recovery checks put the same
hosts into their segments.
"""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators
from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import findings
from cellv2_conformance.faults import host_failure
from cellv2_conformance.tests import instance_ha_base

CONF = config.CONF

VMOVES_UNGATED = findings.Finding(
    'masakari-vmoves-ungated',
    'GET /v1/notifications/{id}/vmoves answers below microversion 1.3, '
    'which introduced it (api-ref "New in version 1.3"); the controller '
    '(masakari/api/openstack/ha/vmoves.py) has no version gate',
    documented=findings.http(404),
    deviation=findings.http(200),
    reference='masakari api-ref: VMoves (microversion 1.3)')


@decorators.serial
class InstanceHAApiTest(instance_ha_base.InstanceHABase):
    """The Masakari v1 API as documented in its api-ref, on this cloud:
    failover segments and their hosts (create, show, list, update,
    delete), the validation errors a client gets (unknown recovery method,
    a host nova does not know, a host in two segments, a duplicate segment
    name, the 1.2-only ``enabled`` field at 1.0), host-failure
    notifications the engine must ignore (``host_status`` UNKNOWN) or
    finish without recovery (``event`` STARTED), the 409 for a host under
    maintenance, and the microversion range 1.0-1.3 (1.4 gets 406).
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cell = cls.inv.enabled_cells[0]
        cls.host_name = cls.ordinary_host(cell) or cell.hosts[0]

    def _segment(self, **extra):
        return self.create_segment(cleanup=self.addCleanup, **extra)

    def _status(self, call, *args, **kw):
        try:
            call(*args, **kw)
        except lib_exc.RestClientException as e:
            return findings.Status(e.resp.status, findings.status_message(e))
        return findings.Status(200)

    @decorators.idempotent_id('7f0d3f4b-51a4-4ef4-9a53-9f5b0cb1a0a1')
    def test_versions_document(self):
        """GET / lists v1 with min 1.0 and max 1.3 (Masakari 22)."""
        versions = self.segments_client.list_versions()['versions']
        self.assertEqual(1, len(versions), versions)
        self.assertEqual(('1.0', '1.3'), (versions[0]['min_version'],
                                          versions[0]['version']),
                         'Masakari version document: %s' % versions)

    @decorators.idempotent_id('0b7f9e3c-5c2f-4a8e-8f57-3a4a3c3fe5b2')
    def test_segment_crud(self):
        seg = self._segment(description='cellv2 conformance')
        shown = self.segments_client.show_segment(seg['uuid'])['segment']
        self.assertEqual((seg['name'], 'auto', 'COMPUTE'), (
            shown['name'], shown['recovery_method'], shown['service_type']))
        listed = [s['uuid'] for s in
                  self.segments_client.list_segments()['segments']]
        self.assertIn(seg['uuid'], listed)
        new_name = data_utils.rand_name(prefix='cellv2', name='segment')
        upd = self.segments_client.update_segment(
            seg['uuid'], name=new_name, recovery_method='reserved_host')[
                'segment']
        self.assertEqual((new_name, 'reserved_host'), (
            upd['name'], upd['recovery_method']))
        self.segments_client.delete_segment(seg['uuid'])
        self.assertRaises(lib_exc.NotFound, self.segments_client.show_segment,
                          seg['uuid'])

    @decorators.idempotent_id('c3f5b2a0-3d7e-4b0f-b1c4-0d8b7d0b6e13')
    def test_segment_enabled_needs_microversion_1_2(self):
        """``enabled`` is a 1.2 field: 400 at 1.0, accepted at 1.2."""
        name = data_utils.rand_name(prefix='cellv2', name='segment')
        self.assertRaises(lib_exc.BadRequest,
                          self.segments_client.create_segment, name=name,
                          recovery_method='auto', service_type='COMPUTE',
                          enabled=False)
        with self.segments_client.microversion('1.2'):
            seg = self._segment(enabled=False)
        self.assertFalse(seg['enabled'], seg)

    @decorators.idempotent_id('4b2d4b8e-8f3e-4c0b-9f0a-6d9a0c2f7e24')
    def test_unsupported_microversion_not_acceptable(self):
        with self.segments_client.microversion('1.4'):
            self.assertRaises(lib_exc.NotAcceptable,
                              self.segments_client.list_segments)

    @decorators.idempotent_id('1e8a5b0d-9c6f-4f7e-8a1b-2c3d4e5f6a35')
    def test_unknown_recovery_method_rejected(self):
        self.assertRaises(lib_exc.BadRequest,
                          self.segments_client.create_segment,
                          name=data_utils.rand_name(prefix='cellv2'),
                          recovery_method='teleport', service_type='COMPUTE')

    @decorators.idempotent_id('a9e4c2d1-7b3f-4e8a-9c0d-1f2e3d4c5b46')
    def test_duplicate_segment_name_conflicts(self):
        seg = self._segment()
        self.assertRaises(lib_exc.Conflict,
                          self.segments_client.create_segment,
                          name=seg['name'], recovery_method='auto',
                          service_type='COMPUTE')

    @decorators.idempotent_id('5d6e7f80-91a2-4b3c-8d4e-5f6071829357')
    def test_host_crud(self):
        seg = self._segment()
        host = self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        self.assertEqual((self.host_name, False, False, seg['uuid']), (
            host['name'], host['reserved'], host['on_maintenance'],
            host['failover_segment']['uuid']))
        shown = self.ha_hosts_client.show_host(seg['uuid'], host['uuid'])[
            'host']
        self.assertEqual(host['uuid'], shown['uuid'])
        listed = self.ha_hosts_client.list_hosts(seg['uuid'])['hosts']
        self.assertEqual([host['uuid']], [h['uuid'] for h in listed])
        upd = self.ha_hosts_client.update_host(
            seg['uuid'], host['uuid'], reserved=True)['host']
        self.assertTrue(upd['reserved'], upd)
        self.ha_hosts_client.delete_host(seg['uuid'], host['uuid'])
        self.assertRaises(lib_exc.NotFound, self.ha_hosts_client.show_host,
                          seg['uuid'], host['uuid'])

    @decorators.idempotent_id('6e7f8091-a2b3-4c4d-9e5f-607182930468')
    def test_host_unknown_to_nova_rejected(self):
        """A segment host must be a nova-compute service host (the API asks
        nova, across every cell).
        """
        seg = self._segment()
        self.assertRaises(lib_exc.BadRequest, self.ha_hosts_client
                          .create_host, seg['uuid'],
                          name=data_utils.rand_name(prefix='nosuchhost'),
                          type='COMPUTE', control_attributes='SSH')

    @decorators.idempotent_id('7f8091a2-b3c4-4d5e-8f60-718293a4b579')
    def test_host_in_two_segments_conflicts(self):
        first, second = self._segment(), self._segment()
        self.add_host(first, self.host_name, cleanup=self.addCleanup)
        self.assertRaises(lib_exc.Conflict, self.ha_hosts_client.create_host,
                          second['uuid'], name=self.host_name,
                          type='COMPUTE', control_attributes='SSH')

    @decorators.idempotent_id('8091a2b3-c4d5-4e6f-9071-8293a4b5c68a')
    def test_notification_for_unknown_host_rejected(self):
        self.assertRaises(
            lib_exc.BadRequest, self.notifications_client.create_notification,
            'COMPUTE_HOST', data_utils.rand_name(prefix='nosuchhost'),
            host_failure.utcnow_iso(), host_failure.host_failure_payload())

    @decorators.idempotent_id('91a2b3c4-d5e6-4f70-8182-93a4b5c6d79b')
    def test_notification_without_event_rejected(self):
        seg = self._segment()
        self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        self.assertRaises(
            lib_exc.BadRequest, self.notifications_client.create_notification,
            'COMPUTE_HOST', self.host_name, host_failure.utcnow_iso(),
            {'host_status': 'NORMAL', 'cluster_status': 'OFFLINE'})

    def _notify(self, payload):
        n = self.notifications_client.create_notification(
            'COMPUTE_HOST', self.host_name, host_failure.utcnow_iso(),
            payload)['notification']
        self.assertEqual('new', n['status'], n)
        return self.wait_notification(n['notification_uuid'])[0]

    @decorators.idempotent_id('a2b3c4d5-e6f7-4081-9293-a4b5c6d7e8ac')
    def test_unknown_host_status_ignored(self):
        """What the host monitor sends when it cannot confirm the power-off
        (``host_status`` UNKNOWN) is ignored: no recovery, host untouched.
        """
        seg = self._segment()
        host = self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        n = self._notify({'event': 'STOPPED', 'host_status': 'UNKNOWN',
                          'cluster_status': 'OFFLINE'})
        self.assertEqual('ignored', n['status'], n)
        after = self.ha_hosts_client.show_host(seg['uuid'], host['uuid'])[
            'host']
        self.assertFalse(after['on_maintenance'], after)
        svc = self.services_client.list_services(
            host=self.host_name, binary='nova-compute')['services']
        self.assertEqual(['enabled'], [s['status'] for s in svc],
                         'nova-compute on %s after an ignored '
                         'notification' % self.host_name)

    @decorators.idempotent_id('b3c4d5e6-f708-4192-a3a4-b5c6d7e8f9bd')
    def test_started_event_finishes_without_recovery(self):
        seg = self._segment()
        host = self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        n = self._notify({'event': 'STARTED', 'host_status': 'NORMAL',
                          'cluster_status': 'ONLINE'})
        self.assertEqual('finished', n['status'], n)
        after = self.ha_hosts_client.show_host(seg['uuid'], host['uuid'])[
            'host']
        self.assertFalse(after['on_maintenance'], after)
        with self.notifications_client.microversion('1.3'):
            moves = self.notifications_client.list_vmoves(
                n['notification_uuid'])['vmoves']
        self.assertEqual([], moves)

    @decorators.idempotent_id('c4d5e6f7-0819-42a3-b4b5-c6d7e8f90ace')
    def test_host_on_maintenance_notification_conflicts(self):
        seg = self._segment()
        host = self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        self.ha_hosts_client.update_host(seg['uuid'], host['uuid'],
                                         on_maintenance=True)
        self.assertRaises(
            lib_exc.Conflict, self.notifications_client.create_notification,
            'COMPUTE_HOST', self.host_name, host_failure.utcnow_iso(),
            host_failure.host_failure_payload())

    @decorators.idempotent_id('d5e6f708-192a-43b4-85c6-d7e8f90a1bdf')
    def test_vmoves_need_microversion_1_3(self):
        """vmoves are new in 1.3; below it the resource should not exist."""
        seg = self._segment()
        self.add_host(seg, self.host_name, cleanup=self.addCleanup)
        n = self._notify({'event': 'STOPPED', 'host_status': 'UNKNOWN',
                          'cluster_status': 'OFFLINE'})
        with self.notifications_client.microversion('1.0'):
            observed = self._status(self.notifications_client.list_vmoves,
                                    n['notification_uuid'])
        findings.check(self, VMOVES_UNGATED, observed)
