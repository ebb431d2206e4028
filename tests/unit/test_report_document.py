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

"""The run document, JUnit and Markdown built from synthetic inputs."""

import datetime
import json
import xml.etree.ElementTree as ET

import testtools

from cellv2_conformance import inventory
from cellv2_conformance import redact
from cellv2_conformance.report import document
from cellv2_conformance.report import junit
from cellv2_conformance.report import markdown
from cellv2_conformance.report import results
from tests.unit import test_report_results as fx

SECRET = 'Pa55wordXYZ'


def sample_inventory():
    return inventory.Inventory({
        'version': 1, 'name': 'multi-cell',
        'auth': {'password': 'AdminPw999'},
        'api': {'database': 'mysql+pymysql://nova:%s@127.0.0.1:3306/nova_api'
                            % SECRET},
        'cells': [{
            'name': 'cell1', 'uuid': 'c1-uuid',
            'database': 'mysql+pymysql://nova:%s@127.0.0.1:3307/nova_cell1'
                        '?charset=utf8' % SECRET,
            'transport': 'rabbit://nova:%s@127.0.0.1:5672/nova_cell1'
                         % SECRET,
            'hosts': ['cell1-cmp1'],
            'services': {'conductor': {'host': 'cell1-conductor'}}}],
        'services': {'nova-api': {'url': 'http://127.0.0.1:20504',
                                  'port': 20504, 'pid': 1}},
    }, path='inv.yaml')


def sample_doc(**kw):
    recs = results.parse_bytes(fx.make_stream(fx.sample_tests()))
    t0 = fx.T0
    samples = [{'op': 'boot', 'seconds': 1.2, 'cell': 'cell2',
                'test_id': fx.CLS + '.test_bad', 'at': t0.isoformat()},
               {'op': 'boot', 'seconds': 0.8, 'cell': 'cell1',
                'test_id': fx.CLS, 'at': t0.isoformat()}]
    args = dict(
        started_at=t0, finished_at=t0 + datetime.timedelta(seconds=30),
        scenario='multi-cell', inventory=sample_inventory(),
        deploy_timings={'total_s': 60, 'steps': {
            'mariadb': {'start_s': 0, 'duration_s': 5}}},
        timing_samples=samples,
        fault_events=[{'id': 'f1', 'event': 'injected',
                       'at': (t0 + datetime.timedelta(seconds=1))
                       .isoformat(), 'target': 'cell1.db'}],
        command=['cellv2-conformance', 'run', '--password', SECRET])
    args.update(kw)
    return document.build(recs, **args)


class DocumentTest(testtools.TestCase):

    def test_no_secret_anywhere(self):
        text = json.dumps(sample_doc())
        for s in (SECRET, 'AdminPw999', 'gAAAAAsecret'):
            self.assertNotIn(s, text)

    def test_topology_endpoints_without_credentials(self):
        topo = sample_doc()['environment']['topology']
        cell = topo['cells'][0]
        self.assertEqual('mysql+pymysql://127.0.0.1:3307/nova_cell1',
                         cell['database'])
        self.assertEqual('rabbit://127.0.0.1:5672/nova_cell1',
                         cell['transport'])
        self.assertEqual('nova_cell1', cell['mq_vhost'])
        self.assertEqual('cell1-conductor', cell['conductor'])
        self.assertEqual({'url': 'http://127.0.0.1:20504', 'port': 20504},
                         topo['services']['nova-api'])

    def test_shape(self):
        doc = sample_doc()
        self.assertEqual(document.SCHEMA_VERSION, doc['schema_version'])
        self.assertEqual('fail', doc['verdict'])
        self.assertEqual(7, doc['counts']['total'])
        self.assertEqual(30.0, doc['duration_s'])
        self.assertEqual(60, doc['deploy']['total_s'])
        self.assertEqual(1, len(doc['faults']))
        self.assertTrue(doc['faults'][0]['open'])
        ops = doc['timings']['operations']['per_operation_cell']['boot']
        self.assertEqual({'cell1', 'cell2'}, set(ops))
        self.assertIn('f1', doc['timings']['fault_windows']['operations'])
        self.assertEqual(redact.MASK, doc['harness']['command'][-1])

    def test_cells_from_samples(self):
        by_name = {r['name']: r for r in sample_doc()['results']}
        self.assertEqual(['cell2'], by_name['test_bad']['cells'])
        # class-level sample applies to every test of the class; subunit
        # tags win when present
        self.assertEqual(['cell1'], by_name['test_skip']['cells'])
        self.assertEqual(['cell1'], by_name['test_ok']['cells'])

    def test_error_verdict(self):
        doc = document.build([], fx.T0, fx.T0, error='deploy failed: x')
        self.assertEqual('error', doc['verdict'])
        self.assertIsNone(doc['environment']['topology'])

    def test_endpoint(self):
        self.assertIsNone(document.endpoint(None))
        self.assertEqual('http://h:1/p', document.endpoint(
            'http://u:p@h:1/p?q=1'))


class JUnitTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        root = junit.build(sample_doc())
        # round-trip through text: the file must be valid XML
        self.root = ET.fromstring(ET.tostring(root))
        self.cases = {tc.get('name').split('[')[0]: tc
                      for tc in self.root.iter('testcase')}

    def test_counts(self):
        suite = self.root.find('testsuite')
        self.assertEqual(('7', '3', '1'), (
            suite.get('tests'), suite.get('failures'), suite.get('skipped')))

    def test_testcase_fields(self):
        ok = self.cases['test_ok']
        self.assertEqual(fx.CLS, ok.get('classname'))
        self.assertEqual('1.500', ok.get('time'))
        self.assertIn('id-11111111', ok.get('name'))
        self.assertEqual(0, len(list(ok.iter('failure'))))

    def test_skip_failure_xfail(self):
        self.assertEqual('expected_cells < 2', self.cases['test_skip'].find(
            'skipped').get('message'))
        fail = self.cases['test_bad'].find('failure')
        self.assertEqual('AssertionError', fail.get('type'))
        self.assertNotIn(SECRET, fail.text)
        known = self.cases['test_known']
        self.assertIsNone(known.find('failure'))
        props = {p.get('name'): p.get('value')
                 for p in known.iter('property')}
        self.assertEqual('xfail', props['status'])
        self.assertIn('blazar-500', props['finding'])
        self.assertIn('EXPECTED FAILURE', known.find('system-out').text)
        self.assertEqual('UnexpectedSuccess', self.cases['test_fixed'].find(
            'failure').get('type'))


class MarkdownTest(testtools.TestCase):

    def test_summary(self):
        md = markdown.render(sample_doc())
        self.assertIn('# cellv2-conformance: FAIL', md)
        self.assertIn('| 7 | 1 | 2 | 1 | 1 | 1 | 0 | 1 |', md)
        self.assertIn('## Findings no longer reproduced', md)
        self.assertIn('XTest.test_bad', md)
        self.assertIn('**blazar-500**', md)
        self.assertIn('| boot |', md)
        self.assertNotIn(SECRET, md)


class SelectionTest(testtools.TestCase):

    def test_selected_but_never_reported_is_a_failure(self):
        recs = results.parse_bytes(fx.make_stream(fx.sample_tests()[:1]))
        lost = fx.CLS + '.test_lost[id-abc]'
        doc = document.build(recs, fx.T0, fx.T0, selected=[
            recs[0]['id'], lost], regex='x')
        self.assertEqual('fail', doc['verdict'])
        self.assertEqual([lost], doc['selection']['not_run'])
        r = [r for r in doc['results'] if r['id'] == lost][0]
        self.assertEqual(('fail', 'abc'), (r['status'],
                                           r['idempotent_id']))
        self.assertIn('never reported', r['failure'])

    def test_class_setup_failure_is_one_cause(self):
        fixture = {'id': 'setUpClass (%s)' % fx.CLS, 'status': 'fail',
                   'details': {'traceback': 'Traceback...\ntempest.lib.'
                               'exceptions.TimeoutException: host cmp1 '
                               'never emptied'}}
        recs = results.parse_bytes(fx.make_stream([fixture]))
        tests = [fx.CLS + '.test_a[id-1]', fx.CLS + '.test_b[id-2]']
        doc = document.build(recs, fx.T0, fx.T0, selected=tests,
                             regex='x')
        by_id = {r['id']: r for r in doc['results']}
        self.assertEqual([], doc['selection']['not_run'])
        self.assertEqual(1, doc['counts']['fail'])
        self.assertEqual(2, doc['counts']['not_run'])
        self.assertEqual(2, by_id[fixture['id']]['not_run'])
        for t in tests:
            self.assertEqual('not_run', by_id[t]['status'])
            self.assertIsNone(by_id[t]['failure'])
            self.assertIn('setUpClass of XTest failed', by_id[t]['reason'])
            self.assertIn('never emptied', by_id[t]['reason'])
        self.assertEqual('fail', doc['verdict'])
        root = junit.build(doc)
        self.assertEqual('1', root.get('failures'))
        self.assertEqual('2', root.get('skipped'))
        md = markdown.render(doc)
        self.assertEqual(1, md.count('setUpClass'))

    def test_findings_of_the_document(self):
        doc = sample_doc()
        outcomes = {(f['id'], f['outcome']) for f in doc['findings']}
        self.assertEqual({('blazar-500', 'reproduced'),
                          ('blazar-500', 'not_reproduced')}, outcomes)
        gone = [r for r in junit.build(doc).iter('testcase')
                if r.get('name') == 'test_gone'][0]
        self.assertIsNone(gone.find('failure'))
        self.assertIn('NO LONGER REPRODUCED', gone.find('system-out').text)

    def test_interrupted_run_does_not_invent_failures(self):
        doc = document.build([], fx.T0, fx.T0, selected=['a.B.test_c'],
                             error='interrupted')
        self.assertEqual(0, doc['counts']['total'])
        self.assertEqual(['a.B.test_c'], doc['selection']['not_run'])
        self.assertEqual('error', doc['verdict'])
