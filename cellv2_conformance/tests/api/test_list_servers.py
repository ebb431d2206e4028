"""Server lists merge all cells: sort, paging, limit and filters."""

import datetime

from tempest import config
from tempest.lib.common.utils import data_utils
from tempest.lib import decorators

from cellv2_conformance.common import servers
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
PER_CELL = 2


def _ts(value):
    return datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%SZ')


def _iso(ts):
    return ts.strftime('%Y-%m-%dT%H:%M:%SZ')


class MultiCellListTest(base.MultiCellMixin, base.CellsBaseTest):
    """``GET /servers`` merge-sorts the cells' results into one list.

    Two servers are booted on an ordinary host of every cell (one project),
    and one more by a second, non-admin project.  A global sort by
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
        if len(cells) < 2:
            raise cls.skipException('needs 2 cells with an ordinary host')
        cls.token = data_utils.rand_name(prefix='cellv2', name='lst')
        cls.booted = cls.boot_into_cells(cells, per_cell=PER_CELL,
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

    @decorators.idempotent_id('d150d15c-7d8e-4f0a-8b2c-4d6e8f0a2b38')
    def test_servers_span_every_cell(self):
        hosts = {self.host_of(s) for _, s in self.booted}
        self.assertEqual({self.ordinary_host(c) for c, _ in self.booted},
                         hosts)

    @decorators.idempotent_id('e261e26d-8e9f-4a1b-9c3d-5e7f9a1b3c39')
    def test_sort_display_name_asc(self):
        self._check_sorted('display_name', 'name', 'asc')

    @decorators.idempotent_id('f372f37e-9f0a-4b2c-8d4e-6f8a0b2c4d40')
    def test_sort_display_name_desc(self):
        self._check_sorted('display_name', 'name', 'desc')

    @decorators.idempotent_id('0483048f-0a1b-4c3d-9e5f-7a9b1c3d5e41')
    def test_sort_created_at_asc(self):
        self._check_sorted('created_at', 'created', 'asc')

    @decorators.idempotent_id('1594159a-1b2c-4d4e-8f6a-8b0c2d4e6f42')
    def test_sort_created_at_desc(self):
        self._check_sorted('created_at', 'created', 'desc')

    @decorators.idempotent_id('26a526ab-2c3d-4e5f-9a7b-9c1d3e5f7a43')
    def test_sort_uuid_asc(self):
        self._check_sorted('uuid', 'id', 'asc')

    @decorators.idempotent_id('37b637bc-3d4e-4f6a-8b8c-0d2e4f6a8b44')
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

    @decorators.idempotent_id('48c748cd-4e5f-4a7b-9c9d-1e3f5a7b9c45')
    def test_marker_paging_returns_each_server_once_in_order(self):
        whole = [s['id'] for s in self._list(detail=False)['servers']]
        paged = self._pages(2)
        self.assertEqual(whole, paged)
        self.assertEqual(len(set(paged)), len(paged))
        self.assertTrue(self.ids.issubset(paged))

    @decorators.idempotent_id('59d859de-5f6a-4b8c-8d0e-2f4a6b8c0d46')
    def test_marker_paging_sorted_by_name(self):
        whole = [s['id'] for s in self._list(
            detail=False, sort_key='display_name', sort_dir='asc')[
            'servers']]
        paged = self._pages(2, sort_key='display_name', sort_dir='asc')
        self.assertEqual(whole, paged)

    @decorators.idempotent_id('6ae96aef-6a7b-4c9d-9e1f-3a5b7c9d1e47')
    def test_limit(self):
        got = self._list(detail=False, limit=3)['servers']
        self.assertEqual(3, len(got))

    @decorators.idempotent_id('7bfa7bf0-7b8c-4d0e-8f2a-4b6c8d0e2f48')
    def test_filter_name_regex_selects_one_cell(self):
        cell = self.booted[0][0]
        expected = {s['id'] for c, s in self.booted if c is cell}
        # The names are rand_name(prefix='cellv2', name='<token>-<cell>').
        got = self._list(detail=False, name='^cellv2-%s-%s-' % (
            self.token, cell.name))['servers']
        self.assertEqual(expected, {s['id'] for s in got})

    @decorators.idempotent_id('8c0b8c01-8c9d-4e1f-9a3b-5c7d9e1f3a49')
    def test_filter_status(self):
        active = {s['id'] for s in self._list(status='ACTIVE')['servers']}
        self.assertTrue(self.ids.issubset(active))
        stopped = {s['id'] for s in self._list(status='SHUTOFF')['servers']}
        self.assertEqual(set(), self.ids & stopped)

    @decorators.idempotent_id('9d1c9d12-9d0e-4f2a-8b4c-6d8e0f2a4b50')
    def test_changes_since(self):
        mine = self._mine()
        newest = max(_ts(s['updated']) for s in mine)
        oldest = min(_ts(s['updated']) for s in mine)
        self.assertEqual(self.ids, {s['id'] for s in self._mine(
            **{'changes-since': _iso(oldest)})})
        later = _iso(newest + datetime.timedelta(seconds=1))
        self.assertEqual([], self._mine(**{'changes-since': later}))

    @decorators.idempotent_id('ae2dae23-0e1f-4a3b-9c5d-7e9f1a3b5c51')
    def test_changes_before(self):
        with servers.api_version('2.66'):
            mine = self._mine()
            newest = max(_ts(s['updated']) for s in mine)
            oldest = min(_ts(s['updated']) for s in mine)
            self.assertEqual(self.ids, {s['id'] for s in self._mine(
                **{'changes-before': _iso(newest)})})
            earlier = _iso(oldest - datetime.timedelta(seconds=1))
            self.assertEqual([], self._mine(**{'changes-before': earlier}))

    @decorators.idempotent_id('bf3ebf34-1f2a-4b4c-8d6e-8f0a2b4c6d52')
    def test_all_tenants_admin_sees_other_project(self):
        got = {s['id'] for s in self._list(all_tenants=True)['servers']}
        self.assertIn(self.other['id'], got)
        self.assertTrue(self.ids.issubset(got))

    @decorators.idempotent_id('c04fc045-2a3b-4c5d-9e7f-9a1b3c5d7e53')
    def test_admin_without_all_tenants_sees_own_project_only(self):
        got = {s['id'] for s in self._list()['servers']}
        self.assertEqual(self.ids, got)

    @decorators.idempotent_id('d150d156-3b4c-4d6e-8f8a-0b2c4d6e8f54')
    def test_non_admin_sees_own_servers_only(self):
        got = {s['id'] for s in self._list(
            client=self.servers_client)['servers']}
        self.assertEqual({self.other['id']}, got)
