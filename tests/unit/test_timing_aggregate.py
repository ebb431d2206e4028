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

"""Per operation/cell/fault-window aggregation of timing samples."""

import datetime
import json
import os
import tempfile

import testtools

from cellv2_conformance.timing import aggregate
from cellv2_conformance.timing import recorder

T0 = datetime.datetime(2026, 1, 2, 3, 0, 0, tzinfo=datetime.timezone.utc)


def at(s):
    return (T0 + datetime.timedelta(seconds=s)).isoformat()


class AggregateTest(testtools.TestCase):

    def test_read_jsonl_tolerates_half_lines(self):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__('shutil').rmtree(d))
        p = os.path.join(d, 't.jsonl')
        with open(p, 'w') as f:
            f.write('{"op": "a", "seconds": 1}\n\n[1]\n{"op": "b", "sec')
        recs, bad = aggregate.read_jsonl(p)
        self.assertEqual([{'op': 'a', 'seconds': 1}], recs)
        self.assertEqual(2, bad)
        self.assertEqual(([], 0), aggregate.read_jsonl(p + '.missing'))

    def test_recorder_output_aggregates(self):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: __import__('shutil').rmtree(d))
        path = os.path.join(d, 'timings.jsonl')
        self.patch(recorder, 'timings_file', lambda: path)
        recorder.record('boot', 1.0, cell='cell1', test_id='T.test_a')
        recorder.record('boot', 3.0, cell='cell2', test_id='T.test_a')
        recorder.record('list', 0.2, test_id='T.test_b', ok=False)
        samples, _ = aggregate.read_jsonl(path)
        ops = aggregate.operations(samples)
        self.assertEqual(3, ops['count'])
        self.assertEqual(1, ops['failed'])
        self.assertEqual(2.0, ops['per_operation']['boot']['p50'])
        self.assertEqual({'cell1', 'cell2', '-'}, set(ops['per_cell']))
        self.assertEqual(3.0, ops['per_operation_cell']['boot']['cell2'][
            'max'])
        self.assertEqual(['-'], list(ops['per_operation_cell']['list']))

    def test_fault_windows_from_events(self):
        events = [
            {'id': 'f1', 'event': 'injected', 'at': at(10),
             'target': 'cell1.db', 'action': 'stop'},
            {'id': 'f2', 'event': 'injected', 'at': at(5)},
            {'id': 'f1', 'event': 'verified', 'at': at(11)},
            {'id': 'f1', 'event': 'cleared', 'at': at(20)},
        ]
        w = aggregate.fault_windows(events, run_end=T0 +
                                    datetime.timedelta(seconds=60))
        self.assertEqual(['f2', 'f1'], [x['id'] for x in w])
        f1 = w[1]
        self.assertEqual((at(10), at(20), 10.0, False), (
            f1['start'], f1['end'], f1['duration_s'], f1['open']))
        self.assertEqual('cell1.db', f1['target'])
        self.assertEqual(3, len(f1['events']))
        self.assertTrue(w[0]['open'])           # never cleared
        self.assertEqual(55.0, w[0]['duration_s'])

    def test_fault_windows_from_records(self):
        w = aggregate.fault_windows([
            {'id': 'x', 'injected_at': at(1), 'cleared_at': at(4),
             'target': {'cell': 'cell2', 'what': 'mq'}}])
        self.assertEqual(3.0, w[0]['duration_s'])
        self.assertEqual({'cell': 'cell2', 'what': 'mq'},
                         json.loads(w[0]['target']))
        self.assertEqual([], aggregate.fault_windows([{'id': 'nothing'}]))

    def test_by_fault_window(self):
        windows = aggregate.fault_windows([
            {'id': 'f', 'injected_at': at(10), 'cleared_at': at(20)}])
        samples = [{'at': at(s), 'seconds': v} for s, v in (
            (1, 0.1), (2, 0.2), (12, 5.0), (15, 7.0), (30, 0.3))]
        out = aggregate.by_fault_window(samples, windows)
        self.assertEqual(3, out['baseline']['count'])
        self.assertEqual(2, out['f']['count'])
        self.assertEqual(6.0, out['f']['p50'])

    def test_parse_time(self):
        self.assertEqual(T0, aggregate.parse_time('2026-01-02T03:00:00Z'))
        self.assertEqual(T0, aggregate.parse_time('2026-01-02T03:00:00'))
        self.assertEqual(T0, aggregate.parse_time(T0.timestamp()))
        self.assertIsNone(aggregate.parse_time('soon'))


class JournalFormatTest(testtools.TestCase):
    """The faults room's journal: full records, last line wins."""

    def test_full_records(self):
        base = {'id': 'f-1', 'target': 'cell(cell2).db', 'action': 'stop',
                'kind': 'db', 'cell': 'cell2'}
        lines = [dict(base, status='injecting', injected_at=None),
                 dict(base, status='active', injected_at=at(3),
                      verified_at=at(4)),
                 dict(base, status='healing', injected_at=at(3),
                      healed_at=at(9)),
                 dict(base, status='healed', injected_at=at(3),
                      healed_at=at(9), heal_verified_at=at(12),
                      healed_by='harness')]
        w = aggregate.fault_windows(lines)
        self.assertEqual(1, len(w))
        w = w[0]
        self.assertEqual((at(3), at(9), 6.0, 3.0, 'healed', False), (
            w['start'], w['end'], w['duration_s'], w['recovery_s'],
            w['status'], w['open']))
        self.assertEqual(('cell(cell2).db', 'stop', 'cell2'), (
            w['target'], w['action'], w['cell']))
