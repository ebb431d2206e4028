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

"""Per-test results from synthetic subunit v2 streams."""

import datetime
import io
import json

import subunit
import testtools

from cellv2_conformance import redact
from cellv2_conformance.report import results

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
CLS = 'cellv2_conformance.tests.api.test_x.XTest'


def make_stream(tests, garbage=b''):
    """Subunit v2 bytes for ``tests``: dicts with id, status, start (s),
    duration (s), worker, tags, details {name: text}.
    """
    buf = io.BytesIO()
    buf.write(garbage)
    out = subunit.StreamResultToBytes(buf)
    for t in tests:
        tags = set(t.get('tags', ())) | {'worker-%d' % t.get('worker', 0)}
        start = T0 + datetime.timedelta(seconds=t.get('start', 0))
        stop = start + datetime.timedelta(seconds=t.get('duration', 1))
        out.status(test_id=t['id'], test_status='inprogress',
                   test_tags=tags, timestamp=start)
        for name, text in (t.get('details') or {}).items():
            out.status(test_id=t['id'], file_name=name,
                       file_bytes=text.encode('utf-8'),
                       mime_type='text/plain;charset=utf8', eof=True,
                       test_tags=tags, timestamp=stop)
        if t['status'] != 'inprogress':
            out.status(test_id=t['id'], test_status=t['status'],
                       test_tags=tags, timestamp=stop)
    return buf.getvalue()


def finding_entry(outcome, observed, strict=False):
    return {'id': 'blazar-500', 'summary': 'capacity refusal is 500',
            'reference': 'LP#1', 'cell': None, 'outcome': outcome,
            'documented': 'HTTP 409', 'deviation': 'HTTP 500',
            'observed': observed, 'strict': strict}


def sample_tests():
    uid = '11111111-2222-4333-8444-555555555555'
    return [
        {'id': '%s.test_ok[id-%s,smoke]' % (CLS, uid), 'status': 'success',
         'start': 0, 'duration': 1.5, 'worker': 0, 'tags': ['cell:cell1']},
        {'id': '%s.test_bad' % CLS, 'status': 'fail', 'start': 1,
         'duration': 2, 'worker': 1,
         'details': {'traceback': 'Traceback...\nAssertionError: 1 != 2 '
                                  'http://admin:s3cretpw@h/x'}},
        {'id': '%s.test_skip' % CLS, 'status': 'skip', 'start': 2,
         'duration': 0.01, 'worker': 0,
         'details': {'reason': 'expected_cells < 2'}},
        {'id': '%s.test_known' % CLS, 'status': 'xfail', 'start': 3,
         'duration': 0.5, 'worker': 1,
         'details': {'traceback': 'AssertionError: 409 != 500',
                     'finding': json.dumps(finding_entry(
                         'reproduced',
                         'token: gAAAAAsecretsecretsecretsecret'))}},
        {'id': '%s.test_gone' % CLS, 'status': 'success', 'start': 3.5,
         'duration': 0.3, 'worker': 0,
         'details': {'finding': json.dumps(finding_entry(
             'not_reproduced', 'HTTP 409'))}},
        {'id': '%s.test_fixed' % CLS, 'status': 'uxsuccess', 'start': 4,
         'duration': 0.2, 'worker': 0},
        {'id': 'setUpClass (%s)' % CLS, 'status': 'fail', 'start': 5,
         'duration': 0.1, 'worker': 0,
         'details': {'traceback': 'NotFound: cell'}},
    ]


class ResultsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.recs = {r['name']: r for r in results.parse_bytes(
            make_stream(sample_tests()))}

    def test_statuses(self):
        self.assertEqual(
            {'test_ok': 'success', 'test_bad': 'fail', 'test_skip': 'skip',
             'test_known': 'xfail', 'test_fixed': 'uxsuccess',
             'test_gone': 'not_reproduced', 'setUpClass': 'fail'},
            {k: v['status'] for k, v in self.recs.items()})

    def test_times_worker_and_tags(self):
        ok = self.recs['test_ok']
        self.assertEqual(1.5, ok['duration'])
        self.assertEqual('worker-0', ok['worker'])
        self.assertEqual(T0.isoformat(), ok['start'])
        self.assertEqual(['cell1'], ok['cells'])
        self.assertEqual(['smoke'], ok['attrs'])
        self.assertEqual('11111111-2222-4333-8444-555555555555',
                         ok['idempotent_id'])
        self.assertEqual(CLS, ok['class'])

    def test_failure_text_redacted(self):
        bad = self.recs['test_bad']
        self.assertIn('AssertionError: 1 != 2', bad['failure'])
        self.assertNotIn('s3cretpw', bad['failure'])
        self.assertIn(redact.MASK, bad['failure'])

    def test_skip_reason_and_finding(self):
        self.assertEqual('expected_cells < 2',
                         self.recs['test_skip']['reason'])
        self.assertIn('blazar-500', self.recs['test_known']['finding'])

    def test_finding_entries(self):
        known = self.recs['test_known']
        self.assertEqual('reproduced', known['findings'][0]['outcome'])
        self.assertNotIn('gAAAAAsecret', known['finding'])
        gone = self.recs['test_gone']
        self.assertFalse(gone['strict'])
        self.assertIn('no longer reproduced', gone['finding'])

    def test_strict_not_reproduced_fails_the_run(self):
        recs = results.parse_bytes(make_stream([
            {'id': CLS + '.test_gone', 'status': 'fail',
             'details': {'finding': json.dumps(finding_entry(
                 'not_reproduced', 'HTTP 409', strict=True)),
                 'traceback': 'AssertionError: finding blazar-500 no '
                              'longer reproduced'}}]))
        self.assertEqual(('not_reproduced', True),
                         (recs[0]['status'], recs[0]['strict']))
        self.assertEqual('fail', results.verdict(recs))

    def test_plain_text_finding_of_an_older_run(self):
        recs = results.parse_bytes(make_stream([
            {'id': CLS + '.test_old', 'status': 'xfail',
             'details': {'finding': 'blazar-500: capacity (LP#1)'}}]))
        self.assertEqual('xfail', recs[0]['status'])
        self.assertIn('blazar-500', recs[0]['finding'])

    def test_fixture_failure_names_its_class(self):
        fx = self.recs['setUpClass']
        self.assertTrue(fx['fixture'])
        self.assertEqual(CLS, fx['class'])

    def test_counts_and_verdict(self):
        recs = list(self.recs.values())
        c = results.counts(recs)
        self.assertEqual((7, 1, 2, 1, 1, 1, 1, 0), (
            c['total'], c['success'], c['fail'], c['skip'], c['xfail'],
            c['uxsuccess'], c['not_reproduced'], c['not_run']))
        self.assertEqual('fail', results.verdict(recs))

    def test_skips_and_findings_do_not_fail(self):
        recs = [r for r in self.recs.values()
                if r['status'] in ('success', 'skip', 'xfail',
                                   'not_reproduced')]
        self.assertEqual('pass', results.verdict(recs))
        self.assertEqual('empty', results.verdict([]))

    def test_unfinished_test_is_a_failure(self):
        recs = results.parse_bytes(make_stream([
            {'id': CLS + '.test_hung', 'status': 'inprogress'}]))
        self.assertEqual(1, len(recs))
        self.assertEqual('fail', recs[0]['status'])
        self.assertIn('never reported a result', recs[0]['failure'])

    def test_non_subunit_bytes_ignored(self):
        recs = results.parse_bytes(make_stream(
            sample_tests()[:1], garbage=b'a stray print\n'))
        self.assertEqual(['success'], [r['status'] for r in recs])

    def test_split_id(self):
        self.assertEqual(('a.b.C', 'test_x', ['id-1', 'smoke']),
                         results.split_id('a.b.C.test_x[id-1,smoke]'))
        self.assertEqual(('a.b.C', 'tearDownClass', []),
                         results.split_id('tearDownClass (a.b.C)'))


class HeadlineTest(testtools.TestCase):

    def test_exception_line_wins_over_trailing_details(self):
        tb = ('Traceback (most recent call last):\n  File "x", line 1\n'
              'testtools.matchers._impl.MismatchError: 1 != 2\n'
              'Details: None\n')
        self.assertEqual('testtools.matchers._impl.MismatchError: 1 != 2',
                         results.headline(tb))
        self.assertEqual('just text', results.headline('x\njust text\n'))
        self.assertEqual('', results.headline(None))
