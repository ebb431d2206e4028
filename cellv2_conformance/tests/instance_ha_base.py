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

"""Base of the Masakari (instance HA) checks: gate, clients, segments and
hosts with cleanups, and the notification waiter."""

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib.common.utils import test_utils

from cellv2_conformance.common import waiters
from cellv2_conformance.services.instance_ha.v1 import schemas
from cellv2_conformance.tests import base

CONF = config.CONF

HA_KEY = 'HA_Enabled'        # [host_failure] ha_enabled_instance_metadata_key


class InstanceHABase(base.CellsBaseTest):
    """Skips unless ``[service_available] masakari``; admin clients of
    Masakari (segments, hosts, notifications) and nova.
    """

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.masakari:
            raise cls.skipException('[service_available] masakari is false '
                                    '(no instance-ha service in the '
                                    'catalog)')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        ha = cls.os_admin.instance_ha_v1
        cls.segments_client = ha.SegmentsClient()
        cls.ha_hosts_client = ha.SegmentHostsClient()
        cls.notifications_client = ha.NotificationsClient()
        cls.services_client = cls.os_admin.services_client

    # -- segments and hosts ----------------------------------------------
    @classmethod
    def create_segment(cls, recovery_method='auto', cleanup=None, **extra):
        seg = cls.segments_client.create_segment(
            name=data_utils.rand_name(prefix='cellv2', name='segment'),
            recovery_method=recovery_method, service_type='COMPUTE',
            **extra)['segment']
        (cleanup or cls.addClassResourceCleanup)(
            test_utils.call_and_ignore_notfound_exc,
            cls.segments_client.delete_segment, seg['uuid'])
        return seg

    @classmethod
    def add_host(cls, segment, name, cleanup=None, **extra):
        """Add nova-compute host ``name`` to ``segment`` (deleted again
        by the cleanup: a host name is unique across all segments).
        """
        host = cls.ha_hosts_client.create_host(
            segment['uuid'], name=name, type='COMPUTE',
            control_attributes='SSH', **extra)['host']
        (cleanup or cls.addClassResourceCleanup)(
            test_utils.call_and_ignore_notfound_exc,
            cls.ha_hosts_client.delete_host, segment['uuid'], host['uuid'])
        return host

    # -- notifications ----------------------------------------------------
    @classmethod
    def wait_notification(cls, uuid, goal=schemas.FINAL_STATUSES,
                          timeout=None):
        """Wait until notification ``uuid`` has a status in ``goal``;
        returns (notification, transitions).
        """
        seen = {}

        def fetch():
            seen['n'] = cls.notifications_client.show_notification(uuid)[
                'notification']
            return seen['n']
        history = waiters.wait_for(
            fetch, lambda n: n['status'] in goal,
            'Masakari notification %s' % uuid, '/'.join(goal),
            timeout or CONF.instance_ha.recovery_timeout, interval=1,
            state_of=lambda n: n['status'])
        return seen['n'], history
