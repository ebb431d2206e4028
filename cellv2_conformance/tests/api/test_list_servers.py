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

"""Server lists merge all cells: sort, paging, limit and filters."""

import datetime

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import naming
from cellv2_conformance.common import servers
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
# At least this many servers in the project, spread evenly over the cells.
MIN_SERVERS = 4


def _ts(value):
    return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%SZ')


def _iso(ts):
    return ts.strftime('%Y-%m-%dT%H:%M:%SZ')


class MultiCellListTest(base.CellsBaseTest):
    """``GET /servers`` merge-sorts the cells' results into one list.

    Servers are booted on an ordinary host of every cell (two per cell, at
    least four in all, one project), and one more by a second, non-admin
    project.  A global sort by
    display_name, created_at and uuid (both directions) must equal the
    sorted union; marker paging with limit=2 must return every server once
    and in order; ``limit``, the ``name`` regex, ``status``,
    ``changes-since`` and ``changes-before`` (2.66) filters apply across
    cells; ``all_tenants`` shows an admin the other project's server, and
    the non-admin project never sees the admin project's servers.  nova
    does this with a heap merge over per-cell queries
    (``nova/compute/multi_cell_list.py``); only nova's in-process tests
    cover it, never against real per-cell databases.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cells = cls.cells_with_ordinary_host()
        if not cells:
            raise cls.skipException('no cell has an ordinary host')
        cls.token = naming.rand_name('lst')
        per_cell = max(2, -(-MIN_SERVERS // len(cells)))
        cls.booted = cls.boot_into_cells(cells, per_cell=per_cell,
                                         name_prefix=cls.token)
        cls.ids = {s['id'] for _, s in cls.booted}
        cls.other = servers.boot(
            cls.servers_client, CONF.compute.flavor_ref,
            CONF.compute.image_ref, cls.addClassResourceCleanup,
            CONF.cellv2.build_timeout, interval=CONF.cellv2.build_interval,
            server_name=servers.name('lst-other'))

    def _list(self, client=None, detail=True, **params):
        with recorder.timed('list-servers%s' % ('-detail' if detail else ''),
                            test_id=self.id(), params=sorted(params)):
            return (client or self.admin_servers_client).list_servers(
                detail=detail, **params)

    def _mine(self, **params):
        return [s for s in self._list(**params)['servers']
                if s['id'] in self.ids]

    def _check_sorted(self, key, field, direction):
        got = self._mine(sort_key=key, sort_dir=direction)
        self.assertEqual(self.ids, {s['id'] for s in got})
        values = [s[field] for s in got]
        expected = sorted(values, reverse=(direction == 'desc'))
        self.assertEqual(expected, values,
                         'sort_key=%s sort_dir=%s' % (key, direction))

    @decorators.idempotent_id('a4e50696-54ff-4b87-ade2-f88dd0bce54c')
    def test_servers_span_every_cell(self):
        hosts = {self.host_of(s) for _, s in self.booted}
        self.assertEqual({self.ordinary_host(c) for c, _ in self.booted},
                         hosts)

    @decorators.idempotent_id('da7313df-4188-4d3a-98a9-fa9251fa74db')
    def test_sort_display_name_asc(self):
        self._check_sorted('display_name', 'name', 'asc')

    @decorators.idempotent_id('9f4cec34-8dfa-4a2f-950e-854d549c29e3')
    def test_sort_display_name_desc(self):
        self._check_sorted('display_name', 'name', 'desc')

    @decorators.idempotent_id('178a7cd0-99e3-4dbe-a9c3-4e70888c28fa')
    def test_sort_created_at_asc(self):
        self._check_sorted('created_at', 'created', 'asc')

    @decorators.idempotent_id('2212246c-08d0-48be-bdaf-4d3bc38d878b')
    def test_sort_created_at_desc(self):
        self._check_sorted('created_at', 'created', 'desc')

    @decorators.idempotent_id('2c9a619e-84b3-4480-84e1-46dd5972c21c')
    def test_sort_uuid_asc(self):
        self._check_sorted('uuid', 'id', 'asc')

    @decorators.idempotent_id('b934f2f8-318d-4042-8807-aaa829b9b1aa')
    def test_sort_uuid_desc(self):
        self._check_sorted('uuid', 'id', 'desc')

    def _pages(self, limit, **params):
        seen, marker = [], None
        for _ in range(len(self.ids) * 4):
            page = self._list(detail=False, limit=limit, marker=marker,
                              **params) if marker else self._list(
                detail=False, limit=limit, **params)
            ids = [s['id'] for s in page['servers']]
            self.assertLessEqual(len(ids), limit)
            seen.extend(ids)
            if len(ids) < limit:
                return seen
            marker = ids[-1]
        self.fail('paging did not end after %d pages' % (len(self.ids) * 4))

    @decorators.idempotent_id('54133707-dca6-4b4b-b72a-c2628fbd4f78')
    def test_marker_paging_returns_each_server_once_in_order(self):
        whole = [s['id'] for s in self._list(detail=False)['servers']]
        paged = self._pages(2)
        self.assertEqual(whole, paged)
        self.assertEqual(len(set(paged)), len(paged))
        self.assertTrue(self.ids.issubset(paged))

    @decorators.idempotent_id('fc32286e-2cd5-441a-9099-fa7dfaa2092b')
    def test_marker_paging_sorted_by_name(self):
        whole = [s['id'] for s in self._list(
            detail=False, sort_key='display_name', sort_dir='asc')[
            'servers']]
        paged = self._pages(2, sort_key='display_name', sort_dir='asc')
        self.assertEqual(whole, paged)

    @decorators.idempotent_id('99e1bdb0-4828-4dc2-87ff-d7515b807843')
    def test_limit(self):
        """limit=3 returns the first three of the same merged listing."""
        whole = [s['id'] for s in self._list(detail=False)['servers']]
        got = [s['id'] for s in self._list(detail=False, limit=3)[
            'servers']]
        self.assertEqual([], crosscheck.limit_problems(whole, got, 3))

    @decorators.idempotent_id('492c6471-98fe-4516-8896-ed2486cc4147')
    def test_filter_name_regex_selects_one_cell(self):
        cell = self.booted[0][0]
        expected = {s['id'] for c, s in self.booted if c is cell}
        # The names are servers.name('<token>-<cell>'):
        # '<prefix>-<token>-<cell>-<random>'.
        got = self._list(detail=False, name='^%s-%s-%s-' % (
            naming.prefix(), self.token, cell.name))['servers']
        self.assertEqual(expected, {s['id'] for s in got})

    @decorators.idempotent_id('37e8bf3f-d535-48ad-91cb-d57bbf980b77')
    def test_filter_status(self):
        active = {s['id'] for s in self._list(status='ACTIVE')['servers']}
        self.assertTrue(self.ids.issubset(active))
        stopped = {s['id'] for s in self._list(status='SHUTOFF')['servers']}
        self.assertEqual(set(), self.ids & stopped)

    @decorators.idempotent_id('ce5135ea-3865-4d26-b78e-86122edad211')
    def test_changes_since(self):
        mine = self._mine()
        newest = max(_ts(s['updated']) for s in mine)
        oldest = min(_ts(s['updated']) for s in mine)
        self.assertEqual(self.ids, {s['id'] for s in self._mine(
            **{'changes-since': _iso(oldest)})})
        later = _iso(newest + datetime.timedelta(seconds=1))
        self.assertEqual([], self._mine(**{'changes-since': later}))

    @decorators.idempotent_id('f96cbe12-e0a1-4b97-9c17-564c903ddc38')
    def test_changes_before(self):
        with servers.api_version('2.66'):
            mine = self._mine()
            newest = max(_ts(s['updated']) for s in mine)
            oldest = min(_ts(s['updated']) for s in mine)
            self.assertEqual(self.ids, {s['id'] for s in self._mine(
                **{'changes-before': _iso(newest)})})
            earlier = _iso(oldest - datetime.timedelta(seconds=1))
            self.assertEqual([], self._mine(**{'changes-before': earlier}))

    @decorators.idempotent_id('1f31fbe4-866f-472e-baeb-3f0b83fb499d')
    def test_all_tenants_admin_sees_other_project(self):
        got = {s['id'] for s in self._list(all_tenants=True)['servers']}
        self.assertIn(self.other['id'], got)
        self.assertTrue(self.ids.issubset(got))

    @decorators.idempotent_id('388acbeb-8a2a-4841-afd4-33d8d3372a35')
    def test_admin_without_all_tenants_sees_own_project_only(self):
        got = {s['id'] for s in self._list()['servers']}
        self.assertEqual(self.ids, got)

    @decorators.idempotent_id('e6ffd90a-e48f-45aa-9f1d-33cd8590070d')
    def test_non_admin_sees_own_servers_only(self):
        got = {s['id'] for s in self._list(
            client=self.servers_client)['servers']}
        self.assertEqual({self.other['id']}, got)
