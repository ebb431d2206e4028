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

"""Mutation self-tests of the checks' assertion logic.

Every check family that asserts through :mod:`cellv2_conformance.common.
crosscheck` gets the healthy evidence (no problem) and deliberately broken
evidence (must report a problem naming the object): a check that cannot go
red on the broken case is no check.
"""

import testtools

from cellv2_conformance.common import crosscheck
from cellv2_conformance.tests import base

API_MQ = 'rabbit://nova:x@mq:5672/nova_api'
CELL1_MQ = 'rabbit://nova:x@mq:5672/nova_cell1'
CELL2_MQ = 'rabbit://nova:x@mq:5672/nova_cell2'


def _server(host='cmp1', flavor='c1', status='ACTIVE'):
    return {'id': 'srv-1', 'status': status, 'OS-EXT-SRV-ATTR:host': host,
            'flavor': {'original_name': flavor}}


class TestResizeOutcome(testtools.TestCase):
    """test_migrations.ResizeWithinCellTest.
    test_failed_resize_keeps_server_active_with_old_flavor: it used to
    assert nothing when the resize had succeeded.
    """

    def _resize(self, after, status):
        return crosscheck.resize_outcome(
            'cell1', ['cmp1', 'cmp2'], _server(), after,
            [{'uuid': 'm1', 'status': status}], 'c2')

    def test_failed_resize_kept_everything(self):
        self.assertEqual([], self._resize(_server(), 'error'))

    def test_succeeded_resize_in_cell(self):
        self.assertEqual([], self._resize(
            _server(host='cmp2', flavor='c2'), 'confirmed'))

    def test_red_failed_resize_changed_flavor(self):
        problems = self._resize(_server(flavor='c2'), 'error')
        self.assertIn('flavor changed', problems[0])

    def test_red_failed_resize_moved(self):
        problems = self._resize(_server(host='cmp2'), 'error')
        self.assertIn('moved from cmp1 to cmp2', problems[0])

    def test_red_succeeded_resize_left_cell(self):
        problems = self._resize(_server(host='cmp9', flavor='c2'),
                                'confirmed')
        self.assertIn('outside its cell cell1', problems[0])

    def test_red_succeeded_resize_old_flavor(self):
        problems = self._resize(_server(host='cmp2'), 'finished')
        self.assertIn('flavor is c1, not c2', problems[0])

    def test_red_server_not_active(self):
        problems = self._resize(_server(status='ERROR'), 'error')
        self.assertIn('is ERROR after the resize', problems[0])

    def test_red_no_migration(self):
        problems = crosscheck.resize_outcome('cell1', ['cmp1'], _server(),
                                             _server(), [], 'c2')
        self.assertIn('lists no migration', problems[0])

    def test_red_unexpected_migration_status(self):
        problems = self._resize(_server(), 'migrating')
        self.assertIn('neither error nor', problems[0])


class TestMigrationsListed(testtools.TestCase):
    """test_os_migrations_lists_every_cell: an empty cell row set used to
    be a subset of anything.
    """

    def test_listed(self):
        self.assertEqual([], crosscheck.migrations_listed(
            {('s1', 'cell1'): ['m1']}, ['m1', 'm2']))

    def test_red_no_row_in_cell(self):
        problems = crosscheck.migrations_listed({('s1', 'cell1'): []},
                                                ['m1'])
        self.assertIn('holds no migration row for server s1', problems[0])

    def test_red_missing_from_api(self):
        problems = crosscheck.migrations_listed(
            {('s1', 'cell2'): ['m7']}, ['m1'])
        self.assertIn("['m7'] of server s1 (cell cell2)", problems[0])

    def test_red_nothing_resized(self):
        self.assertNotEqual([], crosscheck.migrations_listed({}, ['m1']))


class TestSharedTransports(testtools.TestCase):
    """test_topology: two cells on one queue, and the known reproduction
    (a cell's transport_url pointed at the API-level queue).
    """

    def _cells(self, cell1=CELL1_MQ, cell2=CELL2_MQ):
        return {'cell1': base.mq_address(cell1),
                'cell2': base.mq_address(cell2)}

    def test_isolated(self):
        self.assertEqual([], crosscheck.shared_transports(
            self._cells(), base.mq_address(API_MQ)))

    def test_red_two_cells_share(self):
        problems = crosscheck.shared_transports(self._cells(cell2=CELL1_MQ))
        self.assertEqual(1, len(problems))
        self.assertIn('cells cell1, cell2 share', problems[0])

    def test_red_cell_on_api_queue(self):
        problems = crosscheck.shared_transports(
            self._cells(cell1=API_MQ), base.mq_address(API_MQ))
        self.assertEqual(1, len(problems))
        self.assertIn('cell cell1 uses the API-level message queue '
                      'mq:5672/nova_api', problems[0])

    def test_red_api_queue_other_credentials(self):
        # another account on the same vhost is still the same queue
        problems = crosscheck.shared_transports(
            self._cells(cell2='rabbit://other:y@mq:5672/nova_api'),
            base.mq_address(API_MQ))
        self.assertIn('cell cell2', problems[0])


class TestLiveCellDatabases(testtools.TestCase):
    """test_every_cell_database_is_reachable: COUNT(*) always returns a
    row, so the old check could not fail once connected.
    """

    def test_live(self):
        self.assertEqual([], crosscheck.live_cell_databases(
            {'cell1': [{'host': 'c', 'binary': 'nova-conductor'}]}))

    def test_red_cell_db_without_services(self):
        problems = crosscheck.live_cell_databases({
            'cell1': [{'host': 'c', 'binary': 'nova-conductor'}],
            'cell2': []})
        self.assertEqual(1, len(problems))
        self.assertIn('cell cell2', problems[0])

    def test_red_nothing_read(self):
        self.assertNotEqual([], crosscheck.live_cell_databases({}))


class TestHostMappings(testtools.TestCase):
    """test_host_mappings: "mapped exactly once" on a unique column could
    only fail by omission; now mappings, each cell DB's compute nodes and
    the API's services are compared.
    """

    MAPPINGS = [{'host': 'cmp1', 'cell_name': 'cell1'},
                {'host': 'cmp2', 'cell_name': 'cell2'}]
    NODES = {'cell1': [{'host': 'cmp1'}], 'cell2': [{'host': 'cmp2'}]}

    def _check(self, mappings=None, nodes=None, api=('cmp1', 'cmp2')):
        return crosscheck.host_mapping_problems(
            self.MAPPINGS if mappings is None else mappings,
            self.NODES if nodes is None else nodes, list(api))

    def test_consistent(self):
        self.assertEqual([], self._check())

    def test_red_node_in_two_cells(self):
        problems = self._check(nodes={'cell1': [{'host': 'cmp1'}],
                                      'cell2': [{'host': 'cmp2'},
                                                {'host': 'cmp1'}]})
        self.assertIn("host cmp1 has compute nodes in several cell "
                      "databases: ['cell1', 'cell2']", problems)

    def test_red_mapped_to_wrong_cell(self):
        problems = self._check(mappings=[
            {'host': 'cmp1', 'cell_name': 'cell2'},
            {'host': 'cmp2', 'cell_name': 'cell2'}])
        self.assertIn('host cmp1 is mapped to cell cell2 but its compute '
                      'node is in cell cell1', problems)

    def test_red_unmapped(self):
        problems = self._check(mappings=self.MAPPINGS[:1])
        self.assertIn('host cmp2 (compute node in cell cell2) has no '
                      'host_mappings row', problems)

    def test_red_mapping_without_node(self):
        problems = self._check(mappings=self.MAPPINGS + [
            {'host': 'ghost', 'cell_name': 'cell1'}])
        self.assertIn('host_mappings row for ghost points at cell cell1, '
                      'which has no such compute node', problems)

    def test_red_api_service_without_node(self):
        problems = self._check(api=('cmp1', 'cmp2', 'cmp3'))
        self.assertIn('nova-compute on cmp3 is listed by the API but no '
                      'cell database holds its compute node', problems)

    def test_red_no_evidence(self):
        problems = self._check(mappings=[], nodes={}, api=())
        self.assertIn('no cell database holds a compute node', problems)
        self.assertIn('GET /os-services lists no nova-compute service',
                      problems)


class TestUntouchedHostQueues(testtools.TestCase):
    """test_mq_isolation: "untouched" used to pass on a broker that
    reports no message_stats (every counter 0).
    """

    PREFIXES = ('compute.', 'compute-alt.')

    def _window(self, own=1, other=None):
        return {'cell': 'cell1', 'host': 'cmp1', 'target': 'compute.cmp1',
                'delta': {'cell1': {'compute.cmp1': own},
                          'cell2': other or {'compute.cmp2': 0}}}

    def _check(self, window):
        return crosscheck.untouched_host_queues(
            window, {'the vhost of cell2': window['delta']['cell2']},
            self.PREFIXES)

    def test_untouched(self):
        self.assertEqual([], self._check(self._window()))

    def test_red_other_cell_queue_moved(self):
        problems = self._check(self._window(other={'compute.cmp2': 2}))
        self.assertIn("compute queues on the vhost of cell2 moved during "
                      "a build in cell1: {'compute.cmp2': 2}", problems)

    def test_red_no_message_stats(self):
        problems = self._check(self._window(own=0))
        self.assertIn('without live message_stats', problems[0])

    def test_non_compute_queue_ignored(self):
        self.assertEqual([], self._check(self._window(
            other={'conductor': 5})))


class TestLimit(testtools.TestCase):
    """test_list_servers.test_limit: it counted 3 servers, never which."""

    WHOLE = ['a', 'b', 'c', 'd']

    def test_first_three(self):
        self.assertEqual([], crosscheck.limit_problems(
            self.WHOLE, ['a', 'b', 'c'], 3))

    def test_red_wrong_servers(self):
        problems = crosscheck.limit_problems(self.WHOLE, ['b', 'c', 'd'], 3)
        self.assertIn("limit=3 returned ['b', 'c', 'd']", problems[0])

    def test_red_wrong_order(self):
        self.assertNotEqual([], crosscheck.limit_problems(
            self.WHOLE, ['a', 'c', 'b'], 3))

    def test_red_not_enough_servers_to_tell(self):
        problems = crosscheck.limit_problems(['a', 'b', 'c'],
                                             ['a', 'b', 'c'], 3)
        self.assertIn('cannot be told apart', problems[0])


class TestHostsACheckMayUse(testtools.TestCase):
    """Cold migration and the lifecycle class: hosts chosen by evidence
    (the discovered inventory does not know Blazar's free pool).
    """

    SERVICES = [{'host': h, 'status': 'enabled', 'state': 'up'}
                for h in ('cmp1', 'cmp2', 'cmp3')] + [
        {'host': 'cmp4', 'status': 'disabled', 'state': 'up'}]

    def test_blazar_and_freepool_hosts_excluded(self):
        self.assertEqual(['cmp1'], crosscheck.usable_ordinary_hosts(
            ['cmp1', 'cmp2', 'cmp3', 'cmp4'], ['cmp2'], ['cmp3'],
            self.SERVICES))

    def test_red_freepool_host_offered(self):
        # the mutation: ignoring the free pool offers cmp3 again
        usable = crosscheck.usable_ordinary_hosts(
            ['cmp1', 'cmp3'], [], ['cmp3'], self.SERVICES)
        self.assertNotIn('cmp3', usable)

    def test_takeable_host_skips_busy_and_enrolled(self):
        busy = {'cmp1': ['s1', 's2']}
        host, why = crosscheck.takeable_host(
            ['cmp1', 'cmp2', 'cmp3'], ['cmp2'], lambda h: busy.get(h, []))
        self.assertEqual(('cmp3', None), (host, why))

    def test_no_takeable_host_says_why(self):
        host, why = crosscheck.takeable_host(
            ['cmp1', 'cmp2'], ['cmp2'], lambda h: ['s'])
        self.assertIsNone(host)
        self.assertEqual('cmp1 runs 1 server(s); cmp2 is already enrolled '
                         'in Blazar', why)

    def test_nothing_named(self):
        self.assertEqual((None, 'no host is named'),
                         crosscheck.takeable_host([], [], lambda h: []))
