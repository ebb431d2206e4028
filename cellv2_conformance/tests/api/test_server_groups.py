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

"""Server group policies hold across cells."""

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from cellv2_conformance.common import servers
from cellv2_conformance.tests import base

CONF = config.CONF


class ServerGroupsAcrossCellsTest(base.DatabaseMixin, base.CellsBaseTest):
    """affinity puts members on one host, anti-affinity on different hosts.

    Server groups live in the API DB (``instance_groups``,
    ``instance_group_member``) while their members live in the cells; the
    scheduler sees hosts of every cell, so anti-affinity members may land
    in different cells (computes of different cells are different hosts).
    Members are booted one after the other per group (the cloud runs with
    ``disable_group_policy_check_upcall``, so only the scheduler enforces
    the policy).  Each group lists exactly its members, and each member's
    instance row is in the cell of the host it runs on.
    """

    credentials = ['admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.groups = cls.os_admin.server_groups_client

    @classmethod
    def _group(cls, policy):
        group = cls.groups.create_server_group(
            name=servers.name('sg-%s' % policy), policy=policy)[
            'server_group']
        cls.addClassResourceCleanup(test_utils.call_and_ignore_notfound_exc,
                                    cls.groups.delete_server_group,
                                    group['id'])
        return group

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.anti_possible = len(cls.usable_hosts()) >= 2
        cls.affinity = cls._group('affinity')
        policies = [cls.affinity]
        if cls.anti_possible:
            cls.anti = cls._group('anti-affinity')
            policies.append(cls.anti)
        cls.members = {g['id']: [] for g in policies}
        # First member of every group at once, then the second ones.
        for _ in range(2):
            booted = servers.boot_many(
                cls.admin_servers_client, CONF.compute.flavor_ref,
                CONF.compute.image_ref, cls.addClassResourceCleanup,
                CONF.cellv2.build_timeout,
                [{'scheduler_hints': {'group': g['id']},
                  'server_name': servers.name('sg')} for g in policies],
                interval=CONF.cellv2.build_interval)
            for g, s in zip(policies, booted):
                cls.members[g['id']].append(s)

    def _need_anti(self):
        if not self.anti_possible:
            self.skipTest('anti-affinity needs 2 ordinary hosts; the '
                          'inventory has %s' % self.usable_hosts())

    def _hosts(self, group):
        return [self.host_of(s) for s in self.members[group['id']]]

    @decorators.idempotent_id('54c44083-bdab-41b8-b2a7-0aad730f8c72')
    def test_affinity_members_share_host(self):
        hosts = self._hosts(self.affinity)
        self.assertEqual(1, len(set(hosts)), hosts)

    @decorators.idempotent_id('fdf43ee2-bc34-423d-a6ee-8272aa77fa62')
    def test_anti_affinity_members_on_different_hosts(self):
        self._need_anti()
        hosts = self._hosts(self.anti)
        self.assertEqual(len(hosts), len(set(hosts)), hosts)

    @decorators.idempotent_id('143184a3-72af-486c-9754-cda90e753553')
    def test_members_live_in_the_cell_of_their_host(self):
        for members in self.members.values():
            for s in members:
                cell = self.inv.cell_of_host(self.host_of(s))
                self.assertEqual([cell.name], self.cells_holding(s['id']))

    @decorators.idempotent_id('e4c713f3-02ed-47bd-9abe-31d5e0a02606')
    def test_affinity_group_lists_its_members(self):
        shown = self.groups.show_server_group(self.affinity['id'])[
            'server_group']
        self.assertEqual(sorted(s['id'] for s in self.members[
            self.affinity['id']]), sorted(shown['members']))

    @decorators.idempotent_id('00a9f069-3971-4f92-93e4-dbef2a685f1c')
    def test_anti_affinity_group_lists_its_members(self):
        self._need_anti()
        shown = self.groups.show_server_group(self.anti['id'])[
            'server_group']
        self.assertEqual(sorted(s['id'] for s in self.members[
            self.anti['id']]), sorted(shown['members']))

    @decorators.idempotent_id('b5325b72-2cd5-4ab3-bab1-62a28785ffb2')
    def test_groups_live_in_api_database(self):
        for gid, members in self.members.items():
            rows = self.sql(self.api_db(), 'SELECT m.instance_uuid FROM '
                            'instance_groups g JOIN instance_group_member m '
                            'ON m.group_id = g.id WHERE g.uuid = %s', (gid,))
            self.assertEqual(sorted(s['id'] for s in members),
                             sorted(r['instance_uuid'] for r in rows))
