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

"""`report --compare`: two crafted run documents in, regressions out."""

import datetime
import io
import json
import os
import shutil
import tempfile

import testtools

from cellv2_conformance.cmd import report as report_cmd
from cellv2_conformance.report import compare
from cellv2_conformance.report import compare_render
from cellv2_conformance.report import document

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
CLS = 'cellv2_conformance.tests.api.test_x.XTest'


def result(name, status, uuid=None, failure=None, cls=CLS):
    uuid = uuid or 'id-%s' % name
    return {'id': '%s.%s[%s]' % (cls, name, uuid), 'class': cls,
            'name': name, 'idempotent_id': uuid, 'status': status,
            'failure': failure, 'cells': [], 'tags': [], 'duration': 0.1}


def samples(op, cell, values):
    return [{'op': op, 'cell': cell, 'seconds': v,
             'at': T0.isoformat()} for v in values]


def run_doc(results, timing=(), findings=(), scenario='multi-cell',
            error=None):
    doc = document.build(
        [dict(r) for r in results], T0, T0 + datetime.timedelta(seconds=60),
        scenario=scenario, timing_samples=list(timing), error=error)
    # findings come from the results' subunit attachments; set directly
    doc['findings'] = [dict(f) for f in findings]
    return doc


OLD = [result('test_a', 'success'), result('test_b', 'fail', failure='x'),
       result('test_c', 'success'), result('test_d', 'success'),
       result('test_gone', 'success'), result('test_e', 'skip'),
       result('test_f', 'fail', failure='still broken')]
NEW = [result('test_a_renamed', 'fail', uuid='id-test_a',
              failure='Traceback\nAssertionError: 1 != 2: cells of cmp3'),
       result('test_b', 'success'), result('test_c', 'success'),
       result('test_d', 'skip'), result('test_e', 'success'),
       result('test_f', 'fail', failure='still broken'),
       result('test_new_ok', 'success'),
       result('test_new_bad', 'fail', failure='ValueError: boom')]
FINDING = {'id': 'blazar-500', 'summary': 'capacity 500', 'cell': 'cell1',
           'reference': 'LP#1', 'test_id': CLS + '.test_c'}


class CompareChecksTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.c = compare.compare(run_doc(OLD), run_doc(NEW))['checks']

    def names(self, key):
        return [e['short'].split('.')[-1] for e in self.c[key]]

    def test_matched_by_idempotent_id_across_a_rename(self):
        self.assertIn('test_a_renamed', self.names('newly_failing'))
        self.assertNotIn('test_a_renamed', self.names('added'))

    def test_newly_failing_includes_a_new_failing_check(self):
        self.assertEqual(['test_a_renamed', 'test_new_bad'],
                         self.names('newly_failing'))
        bad = [e for e in self.c['newly_failing']
               if e['short'].endswith('renamed')][0]
        self.assertEqual(('success', 'fail'), (bad['old'], bad['new']))
        self.assertEqual('AssertionError: 1 != 2: cells of cmp3',
                         bad['detail'])

    def test_other_categories(self):
        self.assertEqual(['test_b'], self.names('newly_passing'))
        self.assertEqual(['test_f'], self.names('still_failing'))
        self.assertEqual(['test_d'], self.names('newly_skipped'))
        self.assertEqual(['test_e'], self.names('other_changes'))
        self.assertEqual(['test_new_bad', 'test_new_ok'],
                         self.names('added'))
        self.assertEqual(['test_gone'], self.names('removed'))
        self.assertEqual(1, self.c['unchanged'])     # test_c


class CompareFindingsTest(testtools.TestCase):

    def test_appeared_gone_kept_per_cell(self):
        other = dict(FINDING, cell='cell2')
        gone = dict(FINDING, id='nova-1', summary='old')
        f = compare.compare(
            run_doc(OLD, findings=[FINDING, gone]),
            run_doc(OLD, findings=[FINDING, other]))
        self.assertEqual([('blazar-500', 'cell2')], [
            (i['id'], i['cell']) for i in f['findings']['appeared']])
        self.assertEqual(['nova-1'], [i['id'] for i in
                                      f['findings']['gone']])
        self.assertEqual(['c'], [t[-1] for t in
                                 f['findings']['kept'][0]['tests']])
        self.assertTrue(f['regressed'])
        self.assertIn('finding blazar-500 appeared in cell cell2: '
                      'capacity 500', f['regressions'])

    def test_finding_gone_is_not_a_regression(self):
        f = compare.compare(run_doc(OLD, findings=[FINDING]),
                            run_doc(OLD))
        self.assertFalse(f['regressed'])


class CompareTimingsTest(testtools.TestCase):

    def timings(self, old, new, **kw):
        return compare.compare(run_doc(OLD, timing=old),
                               run_doc(OLD, timing=new), **kw)

    def test_regression_needs_ratio_and_absolute_delta(self):
        old = samples('boot', 'cell1', [1.0, 1.0, 1.0]) + \
            samples('list', 'cell1', [0.010] * 3)
        new = samples('boot', 'cell1', [1.5, 1.5, 1.5]) + \
            samples('list', 'cell1', [0.030] * 3)     # x3 but +20 ms
        r = self.timings(old, new)
        regs = [(x['operation'], x['stat']) for x in
                r['timings']['regressions']]
        self.assertEqual([('boot', 'p50'), ('boot', 'p95')], regs)
        self.assertEqual(1.5, r['timings']['regressions'][0]['ratio'])
        self.assertIn('boot in cell1: p50 1.000s -> 1.500s (x1.5, +0.500s)',
                      r['regressions'])
        # a higher threshold lets the same change through
        self.assertFalse(self.timings(old, new, threshold=1.6)['regressed'])
        # a tiny minimum delta makes the 20 ms change count
        r = self.timings(old, new, min_delta_s=0.01)
        self.assertIn(('list', 'p95'), [(x['operation'], x['stat']) for x in
                                        r['timings']['regressions']])

    def test_per_cell_and_improvements(self):
        old = samples('boot', 'cell1', [1.0]) + samples('boot', 'cell2',
                                                        [2.0])
        new = samples('boot', 'cell1', [1.0]) + samples('boot', 'cell2',
                                                        [1.0])
        r = self.timings(old, new)
        self.assertFalse(r['regressed'])
        self.assertEqual({('boot', 'cell2')}, {
            (x['operation'], x['cell']) for x in r['timings']['improvements']})

    def test_min_samples_and_one_sided_operations(self):
        old = samples('boot', 'cell1', [1.0]) + samples('gone', 'cell1', [1])
        new = samples('boot', 'cell1', [3.0]) + samples('new', 'cell2', [1])
        r = self.timings(old, new, min_samples=2)
        self.assertFalse(r['regressed'])
        self.assertEqual({'too few samples'}, {
            x['verdict'] for x in r['timings']['rows']})
        self.assertEqual([{'operation': 'gone', 'cell': 'cell1'}],
                         r['timings']['only_old'])
        self.assertEqual([{'operation': 'new', 'cell': 'cell2'}],
                         r['timings']['only_new'])

    def test_bad_threshold_refused(self):
        self.assertRaises(ValueError, self.timings, [], [], threshold=1.0)
        # NaN compares false with everything: nothing would ever regress
        for bad in (float('nan'), float('inf')):
            self.assertRaises(ValueError, self.timings, [], [],
                              threshold=bad)
            self.assertRaises(ValueError, self.timings, [], [],
                              min_delta_s=bad)


class CompareVerdictTest(testtools.TestCase):

    def test_identical_runs_do_not_regress(self):
        doc = run_doc(OLD, timing=samples('boot', 'cell1', [1.0]))
        r = compare.compare(doc, doc)
        self.assertFalse(r['regressed'])
        self.assertEqual([], r['regressions'])
        self.assertEqual('no regression', compare.summary_lines(r)[-1])

    def test_incomplete_new_run_regresses(self):
        r = compare.compare(run_doc(OLD), run_doc([], error='deploy failed'))
        self.assertIn('the new run did not complete (error: deploy failed)',
                      r['regressions'])


class CompareRenderTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.result = compare.compare(
            run_doc(OLD, timing=samples('boot', 'cell1', [1.0]),
                    scenario='single-cell'),
            run_doc(NEW, timing=samples('boot', 'cell1', [2.0]),
                    findings=[dict(FINDING, summary='<script>x')]),
            old_label='reports/old', new_label='reports/new')

    def test_html_self_contained_and_escaped(self):
        page = compare_render.render_html(self.result)
        self.assertTrue(page.startswith('<!DOCTYPE html>'))
        for absent in ('<script', 'src="http', "href='http", '@import'):
            self.assertNotIn(absent, page)
        self.assertIn('&lt;script&gt;x', page)
        for text in ('REGRESSED', 'XTest.test_a_renamed', 'single-cell',
                     'blazar-500', 'x2.00', 'Newly passing'):
            self.assertIn(text, page)

    def test_markdown(self):
        md = compare_render.render_markdown(self.result)
        self.assertTrue(md.startswith('# cellv2-conformance compare: '
                                      'REGRESSED'))
        self.assertIn('| scenario | single-cell | multi-cell |', md)
        self.assertIn('## Regressions', md)
        self.assertIn('| boot | cell1 | p95 | 1.00s | 2.00s | x2.00 | '
                      'regression |', md)


class CompareCommandTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.out = io.StringIO()
        self.err = io.StringIO()
        self.patch(report_cmd, '_say', lambda m: self.out.write(m + '\n'))
        self.patch(report_cmd, '_err', lambda m: self.err.write(m + '\n'))

    def report_dir(self, name, doc):
        d = os.path.join(self.dir, name)
        os.makedirs(d)
        document.write(os.path.join(d, 'run.json'), doc)
        return d

    def test_regression_exits_1_and_writes_files(self):
        old = self.report_dir('old', run_doc(OLD))
        new = self.report_dir('new', run_doc(NEW))
        self.assertEqual(1, report_cmd.cmd_compare(old, new))
        for name in ('compare.html', 'compare.md', 'compare.json'):
            self.assertTrue(os.path.exists(os.path.join(new, name)), name)
        with open(os.path.join(new, 'compare.json')) as f:
            self.assertTrue(json.load(f)['regressed'])
        self.assertIn('REGRESSED:', self.out.getvalue())
        self.assertIn('2 newly failing, 1 newly passing',
                      self.out.getvalue())

    def test_no_regression_exits_0_to_output_dir(self):
        old = self.report_dir('old', run_doc(OLD))
        new = self.report_dir('new', run_doc(OLD))
        out = os.path.join(self.dir, 'cmp')
        self.assertEqual(0, report_cmd.cmd_compare(old, new,
                                                   output_dir=out))
        self.assertTrue(os.path.exists(os.path.join(out, 'compare.html')))
        self.assertFalse(os.path.exists(os.path.join(new, 'compare.html')))

    def test_unreadable_inputs_exit_2(self):
        good = self.report_dir('good', run_doc(OLD))
        self.assertEqual(2, report_cmd.cmd_compare(
            os.path.join(self.dir, 'missing'), good))
        self.assertIn('missing: no run.json', self.err.getvalue())
        broken = os.path.join(self.dir, 'broken')
        os.makedirs(broken)
        with open(os.path.join(broken, 'run.json'), 'w') as f:
            f.write('{"schema_version": "1.0", ')
        self.assertEqual(2, report_cmd.cmd_compare(good, broken))
        self.assertIn('unreadable run document', self.err.getvalue())
        future = self.report_dir('future', {'schema_version': '9.0'})
        self.assertEqual(2, report_cmd.cmd_compare(good, future))
        self.assertIn('schema 9.0 is not supported', self.err.getvalue())
