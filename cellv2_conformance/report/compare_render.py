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

"""``compare.html`` (self-contained, same look as report.html: inline CSS,
no JavaScript, nothing fetched) and ``compare.md`` of a comparison made by
:mod:`cellv2_conformance.report.compare`."""

import datetime
import json
import os

from cellv2_conformance import redact
from cellv2_conformance.report import compare
from cellv2_conformance.report import html as html_mod
from cellv2_conformance.report.svg import fmt_s

esc = html_mod.esc

CSS = html_mod.CSS + """
.worse{color:#c62828;font-weight:600}.better{color:#2e7d32;font-weight:600}
.pair{display:flex;gap:10px}.pair>div{flex:1}
.side{background:#fff;border:1px solid #e3e3e3;border-radius:4px;
 padding:8px 12px}
.side h3{margin:0 0 4px}
.old-bar{background:#b0bec5;height:8px;display:block;border-radius:2px;
 margin:2px 0}
.new-bar{height:8px;display:block;border-radius:2px;margin:2px 0}
nav{margin:10px 0}
"""

SECTIONS = (('regressions', 'Regressions'), ('checks', 'Checks'),
            ('findings', 'Findings'), ('timings', 'Timings'),
            ('environment', 'Versions'))


def _ratio(row):
    return 'x%.2f' % row['ratio'] if row['ratio'] is not None else 'new'


def _status(status):
    if status is None:
        return '<span class="muted">absent</span>'
    return html_mod._badge(status)


class ComparePage:
    def __init__(self, result):
        self.r = result
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def section(self, anchor, title):
        self.add('<h2 id="%s">%s</h2>' % (esc(anchor), esc(title)))

    def banner(self):
        r = self.r
        c, f, t = r['checks'], r['findings'], r['timings']
        if r['regressed']:
            text = 'REGRESSED: %d reason(s)' % len(r['regressions'])
        else:
            text = 'NO REGRESSION'
        self.add('<div class="banner %s"><span>%s</span><small>%s &rarr; '
                 '%s</small></div>' % (
                     'fail' if r['regressed'] else 'pass', esc(text),
                     esc(r['old']['label']), esc(r['new']['label'])))
        chips = [('newly failing', len(c['newly_failing'])),
                 ('newly passing', len(c['newly_passing'])),
                 ('still failing', len(c['still_failing'])),
                 ('checks added', len(c['added'])),
                 ('checks removed', len(c['removed'])),
                 ('findings appeared', len(f['appeared'])),
                 ('findings gone', len(f['gone'])),
                 ('slower', len(t['regressions'])),
                 ('faster', len(t['improvements']))]
        self.add('<div class="chips">%s</div>' % ''.join(
            '<span class="chip"><b>%s</b> %s</span>' % (esc(v), esc(k))
            for k, v in chips))
        self.add('<div class="pair">%s</div>' % ''.join(
            self._side(s, name) for s, name in ((r['old'], 'Old'),
                                                (r['new'], 'New'))))
        self.add('<nav>%s</nav>' % ''.join(
            '<a href="#%s">%s</a>' % (a, esc(t)) for a, t in SECTIONS))

    def _side(self, s, name):
        c = s['counts']
        return ('<div class="side"><h3>%s: <span class="st st-%s">%s</span>'
                '</h3><code>%s</code><br>%s %s &middot; %s cell(s) %s<br>'
                'started %s &middot; %s<br>%d tests: %d passed, %d failed, '
                '%d skipped, %d known findings%s</div>' % (
                    esc(name), 'success' if s['verdict'] == 'pass'
                    else 'fail', esc(s['verdict'] or '?'), esc(s['label']),
                    esc(s['mode'] or ''),
                    esc(s['scenario'] or 'existing cloud'),
                    len(s['cells']), esc(', '.join(s['cells'])),
                    esc(s['started_at'] or '-'),
                    esc(fmt_s(s['duration_s'])), c.get('total', 0),
                    c.get('success', 0), c.get('fail', 0), c.get('skip', 0),
                    c.get('xfail', 0),
                    ('<br><b>error:</b> %s' % esc(s['error']))
                    if s['error'] else ''))

    def regressions(self):
        self.section('regressions', 'Regressions')
        if not self.r['regressions']:
            self.add('<p class="muted">Nothing regressed: no check newly '
                     'fails, no finding appeared, no timed operation got '
                     'slower beyond the threshold.</p>')
            return
        self.add('<ul>%s</ul>' % ''.join(
            '<li class="worse">%s</li>' % esc(line)
            for line in self.r['regressions']))

    def _check_table(self, title, entries, open_=False):
        if not entries:
            return
        rows = [['<b>%s</b><br><span class="muted">%s</span>' % (
            esc(e['short']), esc(e['idempotent_id'] or e['id'])),
            _status(e['old']), _status(e['new']),
            esc(', '.join(e['cells']) or '-'),
            '<code>%s</code>' % esc(e['detail'][:240]) if e['detail']
            else ''] for e in entries]
        self.add('<details%s><summary><b>%s</b> (%d)</summary>%s'
                 '</details>' % (' open' if open_ else '', esc(title),
                                 len(entries), html_mod._table(
                                     ['check', 'old', 'new', 'cells',
                                      'detail'], rows)))

    def checks(self):
        self.section('checks', 'Checks')
        c = self.r['checks']
        self._check_table('Newly failing', c['newly_failing'], True)
        self._check_table('Newly passing', c['newly_passing'], True)
        self._check_table('Still failing', c['still_failing'])
        self._check_table('Newly skipped', c['newly_skipped'])
        self._check_table('Other status changes', c['other_changes'])
        self._check_table('Added (not in the old run)', c['added'])
        self._check_table('Removed (not in the new run)', c['removed'])
        self.add('<p class="muted">%d check(s) unchanged. Checks are '
                 'matched by idempotent id.</p>' % c['unchanged'])

    def findings(self):
        self.section('findings', 'Findings (documented behaviour the cloud '
                                 'does not follow)')
        f = self.r['findings']
        if not (f['appeared'] or f['gone'] or f['kept']):
            self.add('<p class="muted">No finding in either run.</p>')
            return
        rows = []
        for what, cls, items in (('appeared', 'worse', f['appeared']),
                                 ('gone', 'better', f['gone']),
                                 ('kept', '', f['kept'])):
            for i in items:
                rows.append(['<span class="%s">%s</span>' % (cls, what),
                             '<b>%s</b>' % esc(i['id']),
                             esc(i['cell'] or '-'), esc(i['summary'] or ''),
                             esc(i['reference'] or '-'),
                             esc(', '.join(i['tests']) or '-')])
        self.add(html_mod._table(['change', 'finding', 'cell', 'summary',
                                  'reference', 'tests'], rows))

    def timings(self):
        t = self.r['timings']
        self.section('timings', 'Timed operations per cell (p50 / p95)')
        self.add('<p class="muted">A regression: new / old &ge; x%g and '
                 'new &minus; old &ge; %gs, with at least %d sample(s) on '
                 'both sides.</p>' % (t['threshold'], t['min_delta_s'],
                                      t['min_samples']))
        if not t['rows']:
            self.add('<p class="muted">No operation was timed in the same '
                     'cell by both runs.</p>')
        else:
            top = max(max(r['old'], r['new']) for r in t['rows']) or 1
            rows = []
            order = {'regression': 0, 'improvement': 1}
            for r in sorted(t['rows'], key=lambda r: (
                    order.get(r['verdict'], 2), r['operation'], r['cell'],
                    r['stat'])):
                cls = {'regression': 'worse',
                       'improvement': 'better'}.get(r['verdict'], 'muted')
                colour = {'regression': '#e53935',
                          'improvement': '#43a047'}.get(r['verdict'],
                                                        '#90caf9')
                bars = ('<span class="old-bar" style="width:%dpx" title="old '
                        '%s"></span><span class="new-bar" style="width:%dpx;'
                        'background:%s" title="new %s"></span>' % (
                            max(int(220 * r['old'] / top), 1),
                            esc(fmt_s(r['old'])),
                            max(int(220 * r['new'] / top), 1), colour,
                            esc(fmt_s(r['new']))))
                rows.append([esc(r['operation']),
                             esc(compare.cell_label(r['cell'])),
                             esc(r['stat']), esc(fmt_s(r['old'])),
                             esc(fmt_s(r['new'])),
                             '<span class="%s">%+.3fs</span>' % (
                                 cls, r['delta_s']),
                             '<span class="%s">%s</span>' % (
                                 cls, esc(_ratio(r))),
                             '%s / %s' % (r['old_count'], r['new_count']),
                             '<span class="%s">%s</span>' % (
                                 cls, esc(r['verdict'])), bars])
            self.add(html_mod._table(
                ['operation', 'cell', 'stat', 'old', 'new', 'delta',
                 'ratio', 'n old / new', 'verdict', 'old (grey) / new'],
                rows, numeric=(3, 4, 5, 6, 7)))
        for key, title in (('only_old', 'Timed only in the old run'),
                           ('only_new', 'Timed only in the new run')):
            if t[key]:
                self.add('<p class="muted">%s: %s</p>' % (
                    esc(title), esc(', '.join(
                        '%s @ %s' % (i['operation'],
                                     compare.cell_label(i['cell']))
                        for i in t[key]))))

    def environment(self):
        self.section('environment', 'Versions')
        o, n = self.r['old'], self.r['new']
        names = sorted(set(o['packages']) | set(n['packages']))
        rows = [[esc(p), esc(o['packages'].get(p, '-')),
                 esc(n['packages'].get(p, '-')),
                 '<b>yes</b>' if o['packages'].get(p) !=
                 n['packages'].get(p) else ''] for p in names]

        def harness(side):
            return esc('%s %s' % (side['version'] or '',
                                  side['git_sha'] or ''))
        rows.insert(0, ['harness', harness(o), harness(n), ''])
        rows.insert(1, ['selection regex', '<code>%s</code>' % esc(
            o['regex'] or '-'), '<code>%s</code>' % esc(n['regex'] or '-'),
            ''])
        self.add(html_mod._table(['', 'old', 'new', 'changed'], rows))

    def render(self):
        self.banner()
        self.regressions()
        self.checks()
        self.findings()
        self.timings()
        self.environment()
        title = 'cellv2-conformance compare: %s' % (
            'REGRESSED' if self.r['regressed'] else 'no regression')
        return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width">'
                '<title>%s</title><style>%s</style></head><body><main>'
                '<h1>Nova Cells v2 conformance: run comparison</h1>%s'
                '<p class="muted">generated %s by cellv2-conformance report '
                '--compare</p></main></body></html>\n' % (
                    esc(title), CSS, '\n'.join(self.parts),
                    esc(datetime.datetime.now(datetime.timezone.utc)
                        .isoformat(timespec='seconds'))))


def render_html(result):
    return ComparePage(result).render()


def render_markdown(result, max_items=15):
    r = result
    c, f, t = r['checks'], r['findings'], r['timings']
    o, n = r['old'], r['new']
    lines = ['# cellv2-conformance compare: %s' % (
        'REGRESSED' if r['regressed'] else 'no regression'), '',
        '| | old | new |', '|---|---|---|',
        '| report | `%s` | `%s` |' % (o['label'], n['label']),
        '| scenario | %s | %s |' % (o['scenario'] or 'existing cloud',
                                    n['scenario'] or 'existing cloud'),
        '| verdict | %s | %s |' % (o['verdict'], n['verdict']),
        '| started | %s | %s |' % (o['started_at'], n['started_at']),
        '| tests (passed/failed/skipped) | %d (%d/%d/%d) | %d (%d/%d/%d) |'
        % tuple(s['counts'].get(k, 0) for s in (o, n)
                for k in ('total', 'success', 'fail', 'skip'))]
    if r['regressions']:
        lines += ['', '## Regressions', '']
        lines += ['- %s' % x for x in r['regressions'][:max_items]]
        if len(r['regressions']) > max_items:
            lines.append('- ... and %d more (see compare.html)' % (
                len(r['regressions']) - max_items))
    for key, title in (('newly_passing', 'Newly passing'),
                       ('newly_skipped', 'Newly skipped'),
                       ('added', 'Checks added'),
                       ('removed', 'Checks removed')):
        if c[key]:
            lines += ['', '## %s (%d)' % (title, len(c[key])), '']
            lines += ['- `%s`: %s -> %s' % (e['short'], e['old'] or 'absent',
                                            e['new'] or 'absent')
                      for e in c[key][:max_items]]
            if len(c[key]) > max_items:
                lines.append('- ... and %d more' % (len(c[key]) - max_items))
    if f['gone']:
        lines += ['', '## Findings gone', '']
        lines += ['- **%s**%s: %s' % (i['id'], ' (%s)' % i['cell']
                                      if i['cell'] else '', i['summary'])
                  for i in f['gone']]
    changed = t['regressions'] + t['improvements']
    if changed:
        lines += ['', '## Timing changes (threshold x%g and %gs)' % (
            t['threshold'], t['min_delta_s']), '',
            '| operation | cell | stat | old | new | ratio | verdict |',
            '|---|---|---|---:|---:|---:|---|']
        for row in changed:
            lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
                row['operation'], compare.cell_label(row['cell']),
                row['stat'],
                fmt_s(row['old']), fmt_s(row['new']), _ratio(row),
                row['verdict']))
    lines += ['', '%d check(s) unchanged; %d p50/p95 comparison(s).' % (
        c['unchanged'], len(t['rows'])), '']
    return redact.text('\n'.join(lines))


def write(output_dir, result):
    """compare.html, compare.md and compare.json in ``output_dir``;
    returns their paths.
    """
    paths = {}
    for name, text in (('compare.html', render_html(result)),
                       ('compare.md', render_markdown(result)),
                       ('compare.json', json.dumps(
                           redact.data(result), indent=1, default=str) +
                        '\n')):
        path = os.path.join(output_dir, name)
        with open(path, 'w', encoding='utf-8') as fh:
            fh.write(text)
        paths[name] = path
    return paths
