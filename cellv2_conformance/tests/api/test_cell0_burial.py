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

"""A boot that cannot be scheduled is buried in cell0, visibly."""

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from cellv2_conformance.common import naming
from cellv2_conformance.common import servers
from cellv2_conformance.tests import base

CONF = config.CONF

# More root disk than any compute node offers: placement returns no
# candidates and the conductor buries the instance in cell0.  Disk is not
# a quota resource, so the request passes the API's quota check.
UNPLACEABLE_DISK_GB = 1000000


class Cell0BurialTest(base.DatabaseMixin, base.CellsBaseTest):
    """Scheduling failure (NoValidHost) buries the server in cell0.

    The server goes ERROR with a fault; its ``instances`` row is in cell0's
    DB only and ``instance_mappings`` points at cell0; it is listed, shown,
    listed with its fault in ``/servers/detail`` and usable as a paging
    marker (bug 1689692); ``os-instance-actions`` has ``create`` (bug
    1852458); placement holds no allocation for it; deleting it gives the
    instance back to the project's quota usage (bug 1670627).  No tempest
    test covers this, and the multi-cell gate excludes the only scenario
    that provokes NoValidHost.
    """

    credentials = ['admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.flavors = cls.os_admin.flavors_client
        cls.limits = cls.os_admin.limits_client
        cls.placement = cls.os_admin.placement_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.flavor = cls.flavors.create_flavor(
            name=naming.rand_name('unplaceable'),
            ram=64, vcpus=1, disk=UNPLACEABLE_DISK_GB)['flavor']
        cls.addClassResourceCleanup(
            test_utils.call_and_ignore_notfound_exc,
            cls.flavors.delete_flavor, cls.flavor['id'])
        cls.buried = cls._bury()

    @classmethod
    def _bury(cls, add_cleanup=None):
        server = servers.create(
            cls.admin_servers_client, cls.flavor['id'],
            CONF.compute.image_ref,
            add_cleanup or cls.addClassResourceCleanup,
            server_name=servers.name('buried'))
        return servers.wait_status(
            cls.admin_servers_client, server['id'], 'ERROR',
            CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval)[0]

    @decorators.idempotent_id('f4e73b45-d8c7-46c8-b2ee-667775704368')
    def test_error_with_no_valid_host_fault(self):
        fault = self.buried.get('fault') or {}
        self.assertIn('No valid host', fault.get('message', ''))

    @decorators.idempotent_id('c513038e-1aa1-45ca-8856-51be5083ac9a')
    def test_instance_only_in_cell0(self):
        self.assertEqual([base.CELL0], self.cells_holding(self.buried['id']))

    @decorators.idempotent_id('93753db4-c5ba-4a2a-93c1-432205109ff3')
    def test_instance_mapping_points_at_cell0(self):
        self.assertEqual(base.CELL0, self.mapped_cell(self.buried['id']))

    @decorators.idempotent_id('cf8eb246-a8a1-4bda-ae0b-baef76b227fa')
    def test_fault_row_in_cell0(self):
        rows = self.sql(self.cell0_db(), 'SELECT message FROM '
                        'instance_faults WHERE instance_uuid = %s',
                        (self.buried['id'],))
        self.assertIn('No valid host', ' '.join(r['message'] for r in rows))

    @decorators.idempotent_id('2c6d8c0b-19bb-47ad-affe-f8411c648cc0')
    def test_no_build_request_left(self):
        rows = self.sql(self.api_db(), 'SELECT id FROM build_requests '
                        'WHERE instance_uuid = %s', (self.buried['id'],))
        self.assertEqual([], rows)

    @decorators.idempotent_id('dfe7c388-d9f5-42a5-a965-6a499b4fdd9d')
    def test_create_action_recorded(self):
        actions = self.admin_servers_client.list_instance_actions(
            self.buried['id'])['instanceActions']
        self.assertIn('create', [a['action'] for a in actions])

    @decorators.idempotent_id('cca4a62e-7971-48c1-88d7-b7f191cbc55e')
    def test_listed(self):
        listed = self.admin_servers_client.list_servers()['servers']
        self.assertIn(self.buried['id'], [s['id'] for s in listed])

    @decorators.idempotent_id('479d1741-3b4b-487c-8ed8-debdd560cd82')
    def test_fault_in_servers_detail(self):
        listed = self.admin_servers_client.list_servers(
            detail=True)['servers']
        mine = [s for s in listed if s['id'] == self.buried['id']]
        self.assertEqual(1, len(mine))
        self.assertIn('No valid host', (mine[0].get('fault') or {}).get(
            'message', ''))

    @decorators.idempotent_id('110de9c4-331c-498a-8c3e-5859e42aca19')
    def test_cell0_server_usable_as_marker(self):
        # Bug 1689692: a marker in cell0 answered 400 MarkerNotFound.
        body = self.admin_servers_client.list_servers(
            marker=self.buried['id'])
        self.assertNotIn(self.buried['id'],
                         [s['id'] for s in body['servers']])

    @decorators.idempotent_id('2127cbe2-45a5-4a7a-aafe-e2f294bbd442')
    def test_no_placement_allocation(self):
        allocs = self.placement.list_allocations(self.buried['id'])
        self.assertEqual({}, allocs['allocations'])

    @decorators.idempotent_id('0eb194aa-9aae-4b9e-aa1d-30421a4402cc')
    def test_delete_gives_quota_back(self):
        server = self._bury(add_cleanup=self.addCleanup)
        used = self.limits.show_limits()['limits']['absolute'][
            'totalInstancesUsed']
        servers.delete(self.admin_servers_client, server['id'],
                       CONF.cellv2.build_timeout,
                       CONF.cellv2.build_interval)
        after = self.limits.show_limits()['limits']['absolute'][
            'totalInstancesUsed']
        self.assertEqual(used - 1, after)
