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

"""JUnit XML written from the run document (not with subunit2junitxml,
which exits non-zero on failing streams).

One ``<testcase>`` per check: ``classname`` is the test class, ``name`` the
method with its tempest attributes, ``time`` the wall time.  Skips carry
``<skipped message>``; failures and unexpected successes ``<failure>``; a
known finding (xfail) is a passed testcase with a ``finding`` property and a
``system-out`` note, so CI dashboards count it as passed yet show it; so is
a finding no longer reproduced (``status`` property ``not_reproduced``),
unless ``strict_findings`` made it a ``<failure>``.  A test not run
because its class setup failed is ``<skipped>`` with a message naming the
class and the cause (the setUpClass record is the one failure).
"""

import re
import xml.etree.ElementTree as ET

from cellv2_conformance.report import consistency
from cellv2_conformance.report import results as results_mod

_ILLEGAL = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_EXC = re.compile(r'^(?P<cls>[A-Za-z_][\w.]*(?:Error|Exception|Failure|'
                  r'Timeout|Fault|NotFound|Conflict|BadRequest|Forbidden|'
                  r'Unauthorized|Exit)\w*):', re.M)


def _clean(s):
    return _ILLEGAL.sub('?', s or '')


def _failure_type(text):
    found = _EXC.findall(text or '')
    return found[-1] if found else 'Failure'


def _testcase_name(r):
    attrs = (['id-%s' % r['idempotent_id']] if r.get('idempotent_id')
             else []) + list(r.get('attrs') or [])
    return '%s[%s]' % (r['name'], ','.join(attrs)) if attrs else r['name']


def build(doc):
    results = doc.get('results') or []
    counts = doc.get('counts') or {}
    total_time = sum(r.get('duration') or 0 for r in results)
    failures = sum(1 for r in results if results_mod.failed(r))
    skipped = counts.get('skip', 0) + counts.get('not_run', 0)
    root = ET.Element('testsuites', {
        'name': 'cellv2-conformance', 'tests': str(len(results)),
        'failures': str(failures), 'errors': '0',
        'skipped': str(skipped),
        'time': '%.3f' % total_time})
    suite = ET.SubElement(root, 'testsuite', {
        'name': 'cellv2-conformance', 'tests': str(len(results)),
        'failures': str(failures), 'errors': '0',
        'skipped': str(skipped), 'time': '%.3f' % total_time,
        'timestamp': doc.get('started_at') or ''})
    props = ET.SubElement(suite, 'properties')
    env = doc.get('environment') or {}
    for name, value in (
            ('verdict', doc.get('verdict')), ('mode', doc.get('mode')),
            ('scenario', env.get('scenario')),
            ('harness_version', (doc.get('harness') or {}).get('version')),
            ('expected_failures', counts.get('xfail', 0)),
            ('findings_not_reproduced', counts.get('not_reproduced', 0)),
            ('not_run', counts.get('not_run', 0)),
            ('schema_version', doc.get('schema_version'))):
        if value is not None:
            ET.SubElement(props, 'property', {'name': name,
                                              'value': _clean(str(value))})
    findings = {}
    for f in doc.get('findings') or []:
        findings.setdefault(f.get('test_id'), []).append(f)
    for r in results:
        tc = ET.SubElement(suite, 'testcase', {
            'classname': r['class'], 'name': _testcase_name(r),
            'time': '%.3f' % (r.get('duration') or 0)})
        tprops = []
        if r.get('worker'):
            tprops.append(('worker', r['worker']))
        for cell in r.get('cells') or []:
            tprops.append(('cell', cell))
        if r['status'] in ('xfail', 'uxsuccess', 'not_reproduced',
                           'not_run'):
            tprops.append(('status', r['status']))
        matched = [f for tid, fs in findings.items() if tid and (
            r['id'] == tid or r['id'].startswith(tid + '[')) for f in fs]
        for f in matched:
            tprops.append(('finding', '%s (%s): %s' % (
                f.get('id'), f.get('outcome') or 'reproduced',
                f.get('summary'))))
        if r['status'] in ('xfail', 'not_reproduced') and not matched \
                and r.get('finding'):
            tprops.append(('finding', r['finding']))
        if tprops:
            p = ET.SubElement(tc, 'properties')
            for k, v in tprops:
                ET.SubElement(p, 'property', {'name': k,
                                              'value': _clean(str(v))})
        status = r['status']
        text = r.get('failure') or ''
        if status in ('skip', 'not_run'):
            ET.SubElement(tc, 'skipped', {
                'message': _clean(r.get('reason') or 'skipped')[:1000]})
        elif status == 'not_reproduced':
            lines = ['FINDING NO LONGER REPRODUCED: the cloud behaved as '
                     'documented where a known finding was expected']
            lines += ['finding %s: %s; observed %s (documented: %s)' % (
                f.get('id'), f.get('summary'), f.get('observed'),
                f.get('documented')) for f in matched]
            if r.get('strict'):
                el = ET.SubElement(tc, 'failure', {
                    'type': 'FindingNotReproduced',
                    'message': 'a known finding no longer reproduces and '
                               '[cellv2] strict_findings is true: update '
                               'or remove the finding'})
                el.text = _clean('\n'.join(lines + ['', text]))
            else:
                out = ET.SubElement(tc, 'system-out')
                out.text = _clean('\n'.join(lines))
        elif status == 'fail':
            el = ET.SubElement(tc, 'failure', {
                'type': _failure_type(text),
                'message': _clean(results_mod.headline(text))[:300] or
                'failed'})
            el.text = _clean(text)
        elif status == 'uxsuccess':
            el = ET.SubElement(tc, 'failure', {
                'type': 'UnexpectedSuccess',
                'message': 'a known finding no longer reproduces: update '
                           'the check (the cloud may have been fixed)'})
            el.text = _clean(text)
        elif status == 'xfail':
            out = ET.SubElement(tc, 'system-out')
            lines = ['EXPECTED FAILURE: known finding (non-conformance '
                     'recorded, not a harness failure)']
            lines += ['finding %s: %s (%s)' % (f.get('id'), f.get('summary'),
                                               f.get('reference') or '-')
                      for f in matched]
            if r.get('finding') and not matched:
                lines.append('finding ' + r['finding'])
            if text:
                lines += ['', text]
            out.text = _clean('\n'.join(lines))
    consistency.junit_suite(root, doc)
    ET.indent(root)
    return root


def write(path, doc):
    tree = ET.ElementTree(build(doc))
    tree.write(path, encoding='utf-8', xml_declaration=True)
