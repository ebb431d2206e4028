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

"""The DBA's before/after diff of the existing-cloud functional test: rows
of the run are attributed to it, anything else is reported (a diff that
could not see a foreign change would prove nothing)."""

import testtools

from tests.functional import existing_cloud as ec

SRV = 'ab' * 16
PRJ = 'cd' * 16


def _t(db, table):
    return ('main', db, table)


BEFORE = {
    _t('nova_cell1', 'instances'): {
        ('1',): {'id': '1', 'uuid': 'x' * 8, 'display_name': 'customer-vm',
                 'updated_at': 't0', 'vm_state': 'active'}},
    _t('nova_cell1', 'services'): {
        ('1',): {'id': '1', 'host': 'cmp1', 'report_count': '10',
                 'updated_at': 't0'}},
    _t('nova_cell1', 'instance_actions'): {},
    _t('nova_cell1', 'instance_actions_events'): {},
    _t('keystone', 'revocation_event'): {},
}


def _after(**changes):
    after = {k: {kk: dict(vv) for kk, vv in v.items()}
             for k, v in BEFORE.items()}
    # the run's own server, its action and event, a revocation of its
    # project, a heartbeat
    after[_t('nova_cell1', 'instances')][('2',)] = {
        'id': '2', 'uuid': SRV, 'display_name': 'cellv2-lst-cell1-77'}
    after[_t('nova_cell1', 'instance_actions')][('9',)] = {
        'id': '9', 'instance_uuid': SRV, 'action': 'create'}
    after[_t('nova_cell1', 'instance_actions_events')][('4',)] = {
        'id': '4', 'action_id': '9', 'event': 'compute__do_build'}
    after[_t('keystone', 'revocation_event')][('1',)] = {
        'id': '1', 'project_id': PRJ}
    after[_t('nova_cell1', 'services')][('1',)].update(
        report_count='99', updated_at='t1')
    for where, rows in changes.items():
        after[_t('nova_cell1', where)].update(rows)
    return after


class TestRowDiff(testtools.TestCase):

    def test_run_rows_are_its_own(self):
        d = ec.diff(BEFORE, _after(), 'cellv2', seeds=[PRJ])
        self.assertEqual([], d['foreign'])
        self.assertEqual(4, len(d['own']))

    def test_red_foreign_row_changed(self):
        d = ec.diff(BEFORE, _after(instances={('1',): {
            'id': '1', 'uuid': 'x' * 8, 'display_name': 'customer-vm',
            'updated_at': 't1', 'vm_state': 'stopped'}}), 'cellv2',
            seeds=[PRJ])
        self.assertEqual([('changed', 'instances')],
                         [(k, w[2]) for k, w, _, _ in d['foreign']])
        self.assertEqual(['vm_state'], d['foreign'][0][3]['_changed'])

    def test_red_foreign_row_deleted(self):
        after = _after()
        del after[_t('nova_cell1', 'instances')][('1',)]
        d = ec.diff(BEFORE, after, 'cellv2', seeds=[PRJ])
        self.assertEqual(['deleted'], [k for k, _, _, _ in d['foreign']])

    def test_red_unattributed_new_row(self):
        d = ec.diff(BEFORE, _after(), 'cellv2', seeds=[])
        self.assertEqual([('added', 'revocation_event')],
                         [(k, w[2]) for k, w, _, _ in d['foreign']])

    def test_prefix_must_start_a_word(self):
        d = ec.diff(BEFORE, _after(instances={('3',): {
            'id': '3', 'uuid': 'ef' * 16,
            'display_name': 'notcellv2-vm'}}), 'cellv2', seeds=[PRJ])
        self.assertEqual(1, len(d['foreign']))


class TestRecreatedRows(testtools.TestCase):
    """A host leaving the free pool for a lease and coming back is the same
    state in new rows; a host that came back to another aggregate is not.
    """

    AGG = _t('nova_api', 'aggregate_hosts')

    def _diff(self, back_to):
        before = {self.AGG: {('1',): {'id': '1', 'host': 'cmp2',
                                      'aggregate_id': '1',
                                      'created_at': 't0'}}}
        after = {self.AGG: {('8',): {'id': '8', 'host': 'cmp2',
                                     'aggregate_id': back_to,
                                     'created_at': 't5'}}}
        return ec.diff(before, after, 'cellv2')

    def test_recreated_identically(self):
        self.assertEqual([], self._diff('1')['foreign'])

    def test_red_recreated_elsewhere(self):
        self.assertEqual(['added', 'deleted'], sorted(
            k for k, _, _, _ in self._diff('2')['foreign']))
