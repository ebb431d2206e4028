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

"""The Consistency section of every report (HTML, summary.md, JUnit):
the audit's records grouped by family and cell.

The section reads ``doc['consistency']`` (see ``audit.Result.to_dict``):
``run``/``validate``/``audit`` write ``consistency.json`` into the report
directory and :func:`report.bundle.build` puts it in the run document.
"""

import html
import xml.etree.ElementTree as ET

FILE = 'consistency.json'


def _section(doc):
    return doc.get('consistency') or None


def _grouped(fam):
    """[(cell, [records])] of one family, cells in name order."""
    by_cell = {}
    for r in fam.get('records') or []:
        by_cell.setdefault(r.get('cell') or '-', []).append(r)
    return sorted(by_cell.items())


def headline(cons):
    if cons.get('error'):
        return 'not audited: %s' % cons['error']
    if cons.get('consistent'):
        fams = cons.get('families') or []
        skipped = sum(1 for f in fams if f.get('status') == 'skipped')
        return 'consistent: %d famil%s checked%s over cell0 and %d cell(s)' \
            % (len(fams) - skipped, 'y' if len(fams) - skipped == 1 else
               'ies', ' (%d skipped)' % skipped if skipped else '',
               max(0, len(cons.get('cells') or []) - 1))
    return '%d inconsistenc%s in %d famil%s' % (
        cons.get('count', 0), 'y' if cons.get('count') == 1 else 'ies',
        sum(1 for f in cons.get('families') or [] if f.get('count')),
        'y' if sum(1 for f in cons.get('families') or []
                   if f.get('count')) == 1 else 'ies')


# -- summary.md ----------------------------------------------------------
def markdown(doc, max_items=20):
    cons = _section(doc)
    if cons is None:
        return []
    lines = ['', '## Consistency', '', headline(cons) + '.']
    for fam in cons.get('families') or []:
        if not fam.get('count'):
            continue
        lines += ['', '### %s (%d): %s' % (
            fam['family'], fam['count'], fam.get('compares') or '')]
        shown = 0
        for cell, recs in _grouped(fam):
            for r in recs:
                if shown >= max_items:
                    break
                shown += 1
                lines.append('- cell `%s`, `%s`: %s; repair: `%s`' % (
                    cell, r['object'], r['problem'], r['repair']))
        if fam['count'] > shown:
            lines.append('- ... and %d more (see report.html)' % (
                fam['count'] - shown))
    return lines


# -- report.html ---------------------------------------------------------
def html_section(page):
    cons = _section(page.doc)
    if cons is None:
        return
    esc = html.escape
    page.section('consistency', 'Consistency (cross-store audit)')
    page.add('<p>%s</p>' % esc(headline(cons)))
    rows = []
    for fam in cons.get('families') or []:
        rows.append('<tr><td><b>%s</b></td><td>%s</td><td>%s</td>'
                    '<td class="n">%d</td></tr>' % (
                        esc(fam['family']), esc(fam.get('compares') or ''),
                        esc(fam.get('status') + (
                            ': ' + fam['skipped'] if fam.get('skipped')
                            else '')), fam.get('count', 0)))
    page.add('<table><tr><th>family</th><th>compares</th><th>status</th>'
             '<th>records</th></tr>%s</table>' % ''.join(rows))
    for fam in cons.get('families') or []:
        if not fam.get('count'):
            continue
        for cell, recs in _grouped(fam):
            body = ''.join(
                '<tr><td><code>%s</code></td><td>%s</td><td>%s</td>'
                '<td><code>%s</code></td></tr>' % (
                    esc(r['object']), esc(r['problem']),
                    esc(' vs '.join(r.get('stores') or [])),
                    esc(r['repair'])) for r in recs)
            page.add('<details open><summary><b>%s</b> &middot; cell %s '
                     '&middot; %d record(s)</summary><table><tr><th>object'
                     '</th><th>problem</th><th>stores</th><th>repair '
                     '(printed, never run)</th></tr>%s</table></details>' % (
                         esc(fam['family']), esc(cell), len(recs), body))


# -- junit.xml -----------------------------------------------------------
def junit_suite(root, doc):
    """A ``consistency`` testsuite: one testcase per family."""
    cons = _section(doc)
    if cons is None:
        return
    fams = cons.get('families') or []
    failed = sum(1 for f in fams if f.get('count'))
    skipped = sum(1 for f in fams if f.get('status') == 'skipped')
    suite = ET.SubElement(root, 'testsuite', {
        'name': 'consistency', 'tests': str(len(fams)),
        'failures': str(failed), 'errors': '1' if cons.get('error') else '0',
        'skipped': str(skipped), 'time': '%.3f' % (
            (cons.get('timings') or {}).get('total_s') or 0)})
    if cons.get('error'):
        tc = ET.SubElement(suite, 'testcase', {'classname': 'consistency',
                                               'name': 'audit'})
        ET.SubElement(tc, 'error', {'message': cons['error'][:300]})
    for fam in fams:
        tc = ET.SubElement(suite, 'testcase', {
            'classname': 'consistency', 'name': fam['family'],
            'time': '0'})
        if fam.get('count'):
            el = ET.SubElement(tc, 'failure', {
                'type': 'Inconsistency',
                'message': '%d record(s): %s' % (fam['count'],
                                                 fam.get('compares'))})
            el.text = '\n'.join(
                'cell %s: %s: %s [%s]; repair: %s' % (
                    cell, r['object'], r['problem'],
                    ' vs '.join(r.get('stores') or []), r['repair'])
                for cell, recs in _grouped(fam) for r in recs)
        elif fam.get('status') == 'skipped':
            ET.SubElement(tc, 'skipped', {'message': fam.get('skipped') or
                                          'skipped'})
    for attr in ('tests', 'failures', 'skipped'):
        root.set(attr, str(int(root.get(attr, '0')) + int(suite.get(attr))))
