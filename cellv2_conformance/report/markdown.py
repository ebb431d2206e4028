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

"""``summary.md``: a short Markdown digest for Zuul's build page or a
Gerrit comment (verdict, counts, findings, failures, slowest operations)."""

from cellv2_conformance import redact
from cellv2_conformance.report import consistency
from cellv2_conformance.report import recovery
from cellv2_conformance.report import results as results_mod
from cellv2_conformance.report.svg import fmt_s

ICON = {'pass': 'PASS', 'fail': 'FAIL', 'error': 'ERROR',
        'empty': 'NO RESULTS'}


def _short(rec):
    if rec.get('fixture'):
        return '%s.%s' % (rec['class'].rsplit('.', 1)[-1], rec['name'])
    base = rec['id'].split('[', 1)[0]
    return '.'.join(base.rsplit('.', 2)[-2:])


def render(doc, max_items=10):
    c = doc.get('counts') or {}
    env = doc.get('environment') or {}
    lines = ['# cellv2-conformance: %s' % ICON.get(doc.get('verdict'),
                                                   doc.get('verdict')), '']
    lines.append('%s, %s, %s to %s (%s).' % (
        doc.get('mode'), env.get('scenario') or 'existing cloud',
        doc.get('started_at'), doc.get('finished_at'),
        fmt_s(doc.get('duration_s'))))
    if doc.get('error'):
        lines += ['', '**Error:** %s' % doc['error']]
    sel = doc.get('selection') or {}
    if sel.get('not_run'):
        lines += ['', '**%d of %d selected test(s) never reported.**' % (
            len(sel['not_run']), sel.get('selected') or 0)]
    lines += ['', '| total | passed | failed | skipped | known findings '
                  '(xfail) | findings no longer reproduced | not run '
                  '(class setup failed) | unexpected successes |',
              '|---:|---:|---:|---:|---:|---:|---:|---:|',
              '| %d | %d | %d | %d | %d | %d | %d | %d |' % (
                  c.get('total', 0), c.get('success', 0), c.get('fail', 0),
                  c.get('skip', 0), c.get('xfail', 0),
                  c.get('not_reproduced', 0), c.get('not_run', 0),
                  c.get('uxsuccess', 0))]
    bad = [r for r in doc.get('results') or [] if results_mod.failed(r)]
    if bad:
        lines += ['', '## Failed checks', '']
        for r in bad[:max_items]:
            head = results_mod.headline(r.get('failure'))
            status = r['status']
            if r.get('not_run'):
                status += ', %d test(s) of the class not run' % r['not_run']
            lines.append('- `%s` (%s)%s' % (
                _short(r), status, ': ' + head[:200] if head else ''))
        if len(bad) > max_items:
            lines.append('- ... and %d more (see report.html)' % (
                len(bad) - max_items))
    findings = {}
    gone = {}
    for f in doc.get('findings') or []:
        if f.get('outcome') == 'not_reproduced':
            gone.setdefault(f.get('id'), f)
        else:
            findings.setdefault(f.get('id'), f)
    if findings:
        lines += ['', '## Findings (documented behaviour not followed)', '']
        for fid, f in sorted(findings.items(), key=lambda i: str(i[0])):
            lines.append('- **%s**: %s%s' % (
                fid, f.get('summary'),
                ' (%s)' % f['reference'] if f.get('reference') else ''))
    if gone:
        lines += ['', '## Findings no longer reproduced (the cloud behaved '
                  'as documented)', '']
        for fid, f in sorted(gone.items(), key=lambda i: str(i[0])):
            lines.append('- **%s**: observed %s (documented: %s)' % (
                fid, f.get('observed'), f.get('documented')))
    ops = ((doc.get('timings') or {}).get('operations') or {}).get(
        'per_operation') or {}
    if ops:
        lines += ['', '## Timed operations', '',
                  '| operation | n | p50 | p95 | max |',
                  '|---|---:|---:|---:|---:|']
        slowest = sorted(ops.items(), key=lambda i: -(i[1].get('p95') or 0))
        for op, s in slowest[:max_items]:
            lines.append('| %s | %d | %s | %s | %s |' % (
                op, s['count'], fmt_s(s.get('p50')), fmt_s(s.get('p95')),
                fmt_s(s.get('max'))))
    lines += consistency.markdown(doc)
    lines += recovery.markdown(doc.get('recovery'))
    if doc.get('faults'):
        lines += ['', '%d fault window(s) injected; see report.html.' %
                  len(doc['faults'])]
    lines += ['', 'Full report: `report.html`; machine-readable: `run.json`, '
                  '`junit.xml`, `results.subunit`.', '']
    return redact.text('\n'.join(lines))


def write(path, doc):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(render(doc))
