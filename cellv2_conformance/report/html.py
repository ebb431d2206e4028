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

"""The self-contained HTML report: one file, inline CSS and SVG, no
JavaScript and nothing fetched from the network (it must open offline and
in Zuul's log viewer).

Rendered from the run document plus, when available, the raw timing
samples and request records (for distributions; the document keeps only
aggregates)."""

import datetime

from cellv2_conformance import redact
from cellv2_conformance.report import consistency
from cellv2_conformance.report import recovery
from cellv2_conformance.report import results as results_mod
from cellv2_conformance.report import svg
from cellv2_conformance.timing import aggregate

fmt_s = svg.fmt_s


def esc(s):
    """Redact, then escape: every string reaches the page through here
    (redacting the finished page instead could swallow markup).
    """
    return svg.esc(redact.text(s))


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;
 color:#222;background:#f5f6f8;font-size:14px}
main{max-width:1160px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:26px 0 8px;
 border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:14px 0 6px}
.banner{border-radius:6px;padding:14px 18px;color:#fff;font-size:20px;
 font-weight:600;display:flex;justify-content:space-between;
 align-items:center}
.banner small{font-size:13px;font-weight:400;opacity:.9}
.pass{background:#2e7d32}.fail{background:#c62828}.error{background:#ef6c00}
.empty{background:#616161}
.chips{display:flex;gap:8px;flex-wrap:wrap;margin:10px 0}
.chip{background:#fff;border:1px solid #ddd;border-radius:14px;
 padding:4px 12px}.chip b{font-size:16px}
table{border-collapse:collapse;background:#fff;width:100%;margin:6px 0}
th,td{border:1px solid #e3e3e3;padding:4px 7px;text-align:left;
 vertical-align:top;overflow-wrap:anywhere}
th{background:#eef0f3;font-weight:600;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fbfbfc}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
pre{background:#1e1e1e;color:#eee;padding:10px;overflow-x:auto;
 border-radius:4px;max-height:420px}
details{background:#fff;border:1px solid #e3e3e3;border-radius:4px;
 margin:6px 0;padding:6px 10px}summary{cursor:pointer}
.st{display:inline-block;border-radius:3px;padding:0 6px;color:#fff;
 font-size:12px}
.st-success{background:#43a047}.st-fail{background:#e53935}
.st-skip{background:#9e9e9e}.st-xfail{background:#fb8c00}
.st-uxsuccess{background:#8e24aa}.st-not_reproduced{background:#0288d1}
.st-not_run{background:#bdbdbd;color:#333}
.box{background:#fff;border:1px solid #e3e3e3;border-radius:4px;
 padding:8px;overflow-x:auto}
.muted{color:#777}.legend span{margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;
 margin-right:4px;vertical-align:middle}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.bar{background:#90caf9;height:10px;display:inline-block;border-radius:2px}
nav a{margin-right:12px}
"""

STATUS_LABEL = {'success': 'passed', 'fail': 'failed', 'skip': 'skipped',
                'xfail': 'known finding', 'uxsuccess': 'unexpected success',
                'not_reproduced': 'finding no longer reproduced',
                'not_run': 'not run (class setup failed)'}


def _badge(status):
    return '<span class="st st-%s">%s</span>' % (
        esc(status), esc(STATUS_LABEL.get(status, status)))


def _dt(value):
    return aggregate.parse_time(value)


def _table(headers, rows, numeric=()):
    head = ''.join('<th>%s</th>' % esc(h) for h in headers)
    out = ['<table><tr>%s</tr>' % head]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cls = ' class="n"' if i in numeric else ''
            cells.append('<td%s>%s</td>' % (cls, v))
        out.append('<tr>%s</tr>' % ''.join(cells))
    out.append('</table>')
    return ''.join(out)


def _short_test(r):
    cls = r['class'].rsplit('.', 1)[-1]
    return '%s.%s' % (cls, r['name'])


def _short_id(test_id):
    """``pkg.mod.Class.test_x[id-...]`` -> ``Class.test_x``."""
    return '.'.join(test_id.split('[', 1)[0].rsplit('.', 2)[-2:])


def _clock(value):
    """``2026-01-02T03:04:05.678+00:00`` -> ``03:04:05.68``."""
    t = aggregate.parse_time(value)
    return t.strftime('%H:%M:%S.%f')[:11] if t else '-'


def _clip(text, n):
    text = (text or '').strip()
    return text if len(text) <= n else text[:n - 3] + '...'


class Page:
    def __init__(self, doc, samples=None, requests=None):
        self.doc = doc
        self.samples = samples or []
        self.requests = requests or []
        self.results = doc.get('results') or []
        self.parts = []

    # -- helpers -------------------------------------------------------
    def add(self, s):
        self.parts.append(s)

    def section(self, anchor, title):
        self.add('<h2 id="%s">%s</h2>' % (esc(anchor), esc(title)))

    def origin(self):
        times = [_dt(r['start']) for r in self.results if r.get('start')]
        times += [_dt(w['start']) for w in self.doc.get('faults') or []]
        if self.requests:
            times.append(min((_dt(r.get('at')) for r in self.requests
                              if r.get('at')), default=None))
        times = [t for t in times if t]
        if not times and self.doc.get('started_at'):
            times = [_dt(self.doc['started_at'])]
        return min(times) if times else None

    # -- sections ------------------------------------------------------
    def banner(self):
        d = self.doc
        verdict = d.get('verdict') or 'empty'
        c = d.get('counts') or {}
        text = {'pass': 'PASS: no check failed',
                'fail': 'FAIL: %d check(s) failed' % sum(
                    1 for r in self.results if results_mod.failed(r)),
                'error': 'ERROR: the run did not complete',
                'empty': 'NO RESULTS: no test ran'}.get(verdict, verdict)
        env = d.get('environment') or {}
        what = ('scenario %s' % env['scenario'] if env.get('scenario')
                else 'existing cloud')
        self.add('<div class="banner %s"><span>%s</span><small>%s &middot; '
                 '%s &middot; %s</small></div>' % (
                     esc(verdict), esc(text), esc(what),
                     esc(d.get('started_at') or ''),
                     esc(fmt_s(d.get('duration_s')) if d.get('duration_s')
                         else '')))
        if d.get('error'):
            self.add('<p><b>Error:</b> %s</p>' % esc(d['error']))
        chips = [('total', c.get('total', 0)), ('passed', c.get('success', 0)),
                 ('failed', c.get('fail', 0)), ('skipped', c.get('skip', 0)),
                 ('known findings (xfail)', c.get('xfail', 0)),
                 ('findings no longer reproduced',
                  c.get('not_reproduced', 0)),
                 ('not run (class setup failed)', c.get('not_run', 0)),
                 ('unexpected successes', c.get('uxsuccess', 0))]
        self.add('<div class="chips">%s</div>' % ''.join(
            '<span class="chip"><b>%s</b> %s</span>' % (esc(v), esc(k))
            for k, v in chips))
        h = d.get('harness') or {}
        self.add('<p class="muted">mode <b>%s</b> &middot; %s %s%s &middot; '
                 'started %s &middot; finished %s &middot; schema %s</p>' % (
                     esc(d.get('mode')), esc(h.get('name')),
                     esc(h.get('version') or ''),
                     ' (%s)' % esc(h['git_sha']) if h.get('git_sha') else '',
                     esc(d.get('started_at')), esc(d.get('finished_at')),
                     esc(d.get('schema_version'))))
        sel = d.get('selection') or {}
        if sel.get('selected') is not None:
            missing = len(sel.get('not_run') or [])
            self.add('<p class="muted">%d test(s) selected by <code>%s</code>'
                     '%s</p>' % (sel['selected'], esc(sel.get('regex') or ''),
                                 ('; <b>%d never reported</b>' % missing)
                                 if missing else '; all reported'))
        if h.get('command'):
            self.add('<p class="muted"><code>%s</code></p>' % esc(
                ' '.join(h['command'])))
        self.add('<nav>%s</nav>' % ''.join(
            '<a href="#%s">%s</a>' % (a, t) for a, t in (
                ('findings', 'Findings'), ('failures', 'Failures'),
                ('consistency', 'Consistency'),
                ('cells', 'Cells x operations'), ('latency', 'Latency'),
                ('timeline', 'Timeline'), ('deploy', 'Deploy'),
                ('slowest', 'Slowest'), ('requests', 'Requests'),
                ('environment', 'Environment'), ('tests', 'All tests'))))

    def findings(self):
        self.section('findings', 'Findings (documented behaviour the cloud '
                                 'does not follow)')
        fs = self.doc.get('findings') or []
        if not fs:
            self.add('<p class="muted">No finding was recorded.</p>')
            return
        grouped = {}
        for f in fs:
            key = (f.get('outcome') or 'reproduced', f.get('id'))
            grouped.setdefault(key, []).append(f)
        rows = []
        for (outcome, fid), items in sorted(grouped.items(),
                                            key=lambda i: str(i[0])):
            f = items[0]
            tests = sorted({_short_id(i['test_id'])
                            for i in items if i.get('test_id')})
            cells = sorted({i.get('cell') for i in items if i.get('cell')})
            status = 'xfail' if outcome == 'reproduced' else 'not_reproduced'
            rows.append([_badge(status), '<b>%s</b>' % esc(fid),
                         esc(f.get('summary') or ''),
                         esc(f.get('reference') or '-'),
                         esc(', '.join(cells) or '-'),
                         '<br>'.join(esc(t) for t in tests) or '-',
                         esc(f.get('documented') or '-'),
                         esc(f.get('deviation') or '-'),
                         '<code>%s</code>' % esc(
                             _clip(f.get('observed'), 240)),
                         str(len(items))])
        self.add(_table(['status', 'finding', 'summary', 'reference',
                         'cells', 'tests', 'documented', 'expected '
                         'deviation', 'observed (first)', 'times'], rows,
                        numeric=(9,)))

    def failures(self):
        self.section('failures', 'Failures')
        bad = [r for r in self.results if results_mod.failed(r)]
        if not bad:
            self.add('<p class="muted">No check failed.</p>')
            return
        for i, r in enumerate(bad):
            self.add('<details%s><summary>%s <b>%s</b> <span '
                     'class="muted">%s &middot; %s%s</span><br><code>%s'
                     '</code></summary><p><code>%s</code></p><pre>%s</pre>'
                     '</details>' % (
                         ' open' if i < 3 else '',
                         _badge(r['status']), esc(_short_test(r)),
                         esc(fmt_s(r.get('duration'))),
                         esc(r.get('worker') or ''),
                         ((' &middot; cells ' + esc(', '.join(r['cells'])))
                          if r.get('cells') else '') + (
                             ' &middot; <b>%d test(s) of the class not run'
                             '</b>' % r['not_run'] if r.get('not_run')
                             else ''),
                         esc(_clip(results_mod.headline(r.get('failure')),
                                   220)),
                         esc(r['id']),
                         esc(r.get('failure') or '(no details)')))

    def cells_matrix(self):
        self.section('cells', 'Cells x operations (p50 / p95 of the checks\' '
                              'timed operations)')
        ops = ((self.doc.get('timings') or {}).get('operations') or {})
        matrix = ops.get('per_operation_cell') or {}
        if not matrix:
            self.add('<p class="muted">No timed operation was recorded '
                     '(the checks write them to [cellv2] timings_file).</p>')
            return
        cells = sorted({c for per in matrix.values() for c in per},
                       key=lambda c: (c == '-', c))
        p95s = [s.get('p95') for per in matrix.values() for s in per.values()
                if s.get('p95') is not None]
        vmin, vmax = (min(p95s), max(p95s)) if p95s else (None, None)
        head = ''.join('<th>%s</th>' % esc('(no cell)' if c == '-' else c)
                       for c in cells)
        rows = []
        for op in sorted(matrix):
            tds = []
            for c in cells:
                s = matrix[op].get(c)
                if not s or not s.get('count'):
                    tds.append('<td class="n muted">-</td>')
                    continue
                tds.append('<td class="n" style="background:%s" title="n=%d '
                           'max %s">%s / <b>%s</b> <span class="muted">'
                           'n=%d</span></td>' % (
                               svg.heat(s['p95'], vmin, vmax), s['count'],
                               esc(fmt_s(s.get('max'))),
                               esc(fmt_s(s.get('p50'))),
                               esc(fmt_s(s.get('p95'))), s['count']))
            rows.append('<tr><td>%s</td>%s</tr>' % (esc(op), ''.join(tds)))
        self.add('<table><tr><th>operation</th>%s</tr>%s</table>' % (
            head, ''.join(rows)))
        self.add('<p class="muted">Cell colour: p95 from green (fastest) to '
                 'red (slowest) on a log scale. Samples: %d, failed '
                 'operations: %d.</p>' % (ops.get('count', 0),
                                          ops.get('failed', 0)))

    def latency(self):
        self.section('latency', 'Latency distributions')
        groups = {}
        for s in self.samples:
            if s.get('op') and isinstance(s.get('seconds'), (int, float)):
                groups.setdefault('%s @ %s' % (s['op'], s.get('cell') or '-'),
                                  []).append(s['seconds'])
        if groups:
            self.add('<h3>Timed operations per cell</h3><div class="box">%s'
                     '</div>' % svg.boxplots(sorted(groups.items())))
        per_service = {}
        for r in self.requests:
            if r.get('seconds') is not None:
                per_service.setdefault(r['service'], []).append(r['seconds'])
        if per_service:
            self.add('<h3>API requests per service (tempest client side)'
                     '</h3><div class="box">%s</div>' % svg.boxplots(
                         sorted(per_service.items())))
        hists = []
        if self.requests:
            hists.append(svg.histogram(
                [r['seconds'] for r in self.requests], title='all requests'))
        durs = [r['duration'] for r in self.results
                if r.get('duration') and not r.get('fixture')]
        if durs:
            hists.append(svg.histogram(durs, colour='#43a047',
                                       title='test durations'))
        if hists:
            self.add('<div class="grid">%s</div>' % ''.join(
                '<div class="box">%s</div>' % h for h in hists))
        self.add('<p class="muted">Boxes: p25-p75, black line the median, '
                 'whiskers p5-p95, dots min and max. Hover for numbers.</p>')
        if not (groups or per_service or hists):
            self.add('<p class="muted">No latency data.</p>')

    def timeline(self):
        self.section('timeline', 'Timeline of tests by worker')
        t0 = self.origin()
        timed = [r for r in self.results if r.get('start') and r.get('stop')]
        if not t0 or not timed:
            self.add('<p class="muted">No timed test.</p>')
            return
        lanes = {}
        t_max = 0
        for r in timed:
            a = (_dt(r['start']) - t0).total_seconds()
            b = (_dt(r['stop']) - t0).total_seconds()
            t_max = max(t_max, b)
            lanes.setdefault(r.get('worker') or 'worker-?', []).append((
                a, b, svg.STATUS_COLOURS.get(r['status'], '#000'),
                '%s [%s] %s' % (_short_test(r), r['status'],
                                fmt_s(r.get('duration')))))
        shaded = []
        for n, w in enumerate(self.doc.get('faults') or [], 1):
            a = (_dt(w['start']) - t0).total_seconds()
            b = (_dt(w['end']) - t0).total_seconds() if w.get('end') else t_max
            t_max = max(t_max, b)
            shaded.append((a, b, 'F%d fault %s: %s %s (%s)' % (
                n, w['id'], w.get('target') or '', w.get('action') or '',
                fmt_s(w.get('duration_s'))), 'F%d' % n))
        ordered = sorted(lanes.items(), key=lambda kv: (
            len(kv[0]), kv[0]))
        self.add('<div class="box">%s</div>' % svg.gantt(
            ordered, t_max, shaded=shaded, lane_height=22))
        self.add('<p class="legend muted">%s &middot; time from %s; fault '
                 'windows shaded red.</p>' % (''.join(
                     '<span><i class="sw" style="background:%s"></i>%s'
                     '</span>' % (c, esc(STATUS_LABEL[s]))
                     for s, c in svg.STATUS_COLOURS.items()),
                     esc(t0.isoformat(timespec='seconds'))))
        if self.requests:
            per = {}
            for r in self.requests:
                t = _dt(r.get('at'))
                if t is None or r.get('seconds') is None:
                    continue
                per.setdefault(r['service'], []).append((
                    (t - t0).total_seconds(), r['seconds']))
            series = [(name, svg.PALETTE[i % len(svg.PALETTE)], pts)
                      for i, (name, pts) in enumerate(sorted(per.items()))]
            t_req = max([t_max] + [p[0] for _, _, ps in series for p in ps])
            chart = svg.scatter(series, t_req, shaded=shaded)
            if chart:
                self.add('<h3>API request latency over time</h3>'
                         '<div class="box">%s</div>' % chart)
        self.fault_table()

    def fault_table(self):
        faults = self.doc.get('faults') or []
        if not faults:
            return
        fw = ((self.doc.get('timings') or {}).get('fault_windows') or {})
        self.add('<h3>Fault windows</h3>')
        rows = []
        for n, w in enumerate(faults, 1):
            ops = (fw.get('operations') or {}).get(w['id']) or {}
            reqs = (fw.get('requests') or {}).get(w['id']) or {}
            label = '<b>F%d</b> <span class="muted">%s</span>' % (
                n, esc(w['id']))
            never = ' <b>(never healed)</b>' if w.get('open') else ''
            rows.append([
                label, esc(w.get('target') or '-'),
                esc(w.get('action') or w.get('kind') or '-'),
                esc(w.get('status') or '-') + never,
                esc(_clock(w['start'])), esc(_clock(w.get('end'))),
                esc(fmt_s(w.get('duration_s'))),
                esc(fmt_s(w.get('recovery_s'))),
                esc('%s / %s (n=%s)' % (
                    fmt_s(reqs.get('p50')), fmt_s(reqs.get('p95')),
                    reqs.get('count', 0))),
                esc('%s / %s (n=%s)' % (
                    fmt_s(ops.get('p50')), fmt_s(ops.get('p95')),
                    ops.get('count', 0)))])
        base_r = (fw.get('requests') or {}).get('baseline') or {}
        base_o = (fw.get('operations') or {}).get('baseline') or {}
        rows.append(['<i>baseline (outside all windows)</i>', '', '', '', '',
                     '', '', '', esc('%s / %s (n=%s)' % (
                         fmt_s(base_r.get('p50')), fmt_s(base_r.get('p95')),
                         base_r.get('count', 0))),
                     esc('%s / %s (n=%s)' % (
                         fmt_s(base_o.get('p50')), fmt_s(base_o.get('p95')),
                         base_o.get('count', 0)))])
        self.add(_table(['fault', 'target', 'action', 'status',
                         'start (UTC)', 'healed', 'duration',
                         'heal verified after',
                         'requests p50/p95', 'operations p50/p95'], rows))

    def recovery(self):
        if self.doc.get('recovery'):
            self.section('recovery', 'Recovery (host failures)')
            self.add(recovery.html(self.doc['recovery'], esc))

    def deploy(self):
        self.section('deploy', 'Deployment steps')
        dep = self.doc.get('deploy') or {}
        steps = dep.get('steps') or {}
        if not steps:
            self.add('<p class="muted">No deployment in this run (existing '
                     'cloud, or deploy timings unavailable).</p>')
            return
        items = sorted(steps.items(), key=lambda kv: (
            kv[1].get('start_s', 0), kv[0]))
        t_max = max(s.get('start_s', 0) + s.get('duration_s', 0)
                    for _, s in items)
        lanes = [(name, [(s.get('start_s', 0),
                          s.get('start_s', 0) + s.get('duration_s', 0),
                          '#5c6bc0', '%s: %s from %s' % (
                              name, fmt_s(s.get('duration_s')),
                              fmt_s(s.get('start_s'))))])
                 for name, s in items]
        self.add('<div class="box">%s</div>' % svg.gantt(
            lanes, t_max, lane_height=16))
        self.add('<p class="muted">Total %s; steps run in parallel where '
                 'their dependencies allow.</p>' % esc(fmt_s(
                     dep.get('total_s'))))

    def slowest(self, n=15):
        self.section('slowest', 'Slowest tests')
        timed = sorted((r for r in self.results if r.get('duration')),
                       key=lambda r: r['duration'], reverse=True)[:n]
        if not timed:
            self.add('<p class="muted">No timed test.</p>')
            return
        top = timed[0]['duration'] or 1
        rows = [[esc(_short_test(r)), _badge(r['status']),
                 esc(r.get('worker') or ''), esc(fmt_s(r['duration'])),
                 '<span class="bar" style="width:%dpx"></span>' % max(
                     int(300 * r['duration'] / top), 1)] for r in timed]
        self.add(_table(['test', 'status', 'worker', 'time', ''], rows,
                        numeric=(3,)))

    def request_table(self, n=40):
        self.section('requests', 'API requests (slowest p95 first)')
        req = (self.doc.get('timings') or {}).get('requests') or {}
        per = req.get('per_request') or {}
        if not per:
            self.add('<p class="muted">No request lines found in '
                     'tempest.log.</p>')
            return
        per_service = req.get('per_service') or {}
        rows = [[esc(name), str(s['count']), esc(fmt_s(s.get('p50'))),
                 esc(fmt_s(s.get('p90'))), esc(fmt_s(s.get('p95'))),
                 esc(fmt_s(s.get('max')))]
                for name, s in per_service.items()]
        self.add('<h3>Per service</h3>')
        self.add(_table(['service', 'count', 'p50', 'p90', 'p95', 'max'],
                        rows, numeric=(1, 2, 3, 4, 5)))
        items = sorted(per.values(), key=lambda s: s.get('p95') or 0,
                       reverse=True)
        rows = [[esc(s['service']), esc(s['method']),
                 '<code>%s</code>' % esc(s['path']), str(s['count']),
                 str(s.get('errors', 0)), esc(fmt_s(s.get('p50'))),
                 esc(fmt_s(s.get('p90'))), esc(fmt_s(s.get('p95'))),
                 esc(fmt_s(s.get('max')))] for s in items[:n]]
        self.add('<h3>Per request (top %d of %d; UUIDs and numbers in paths '
                 'shown as {id})</h3>' % (min(n, len(items)), len(items)))
        self.add(_table(['service', 'method', 'path', 'count', '4xx/5xx',
                         'p50', 'p90', 'p95', 'max'], rows,
                        numeric=(3, 4, 5, 6, 7, 8)))
        self.add('<p class="muted">%d requests; status classes %s.</p>' % (
            req.get('count', 0), esc(', '.join(
                '%s: %s' % kv for kv in (req.get('status_classes') or
                                         {}).items()))))

    def environment(self):
        self.section('environment', 'Environment and topology')
        env = self.doc.get('environment') or {}
        topo = env.get('topology')
        rows = [[esc(k), esc(v)] for k, v in (
            ('scenario', env.get('scenario') or 'existing cloud'),
            ('python', env.get('python')),
            ('platform', env.get('platform')))]
        rows += [[esc(k), esc(v)] for k, v in
                 (env.get('packages') or {}).items()]
        self.add(_table(['item', 'value'], rows))
        if not topo:
            self.add('<p class="muted">No inventory was available.</p>')
            return
        self.add('<h3>Cells</h3>')
        rows = [[esc(c['name']) + (' <i>(disabled)</i>' if c.get('disabled')
                                   else ''),
                 '<code>%s</code>' % esc(c['uuid']),
                 esc(', '.join(c.get('hosts') or [])),
                 esc(', '.join(c.get('reservable_hosts') or []) or '-'),
                 '<code>%s</code>' % esc(c.get('database') or '-'),
                 '<code>%s</code>' % esc(c.get('transport') or '-'),
                 esc(c.get('conductor') or '-')]
                for c in topo.get('cells') or []]
        self.add(_table(['cell', 'uuid', 'hosts', 'Blazar hosts',
                         'database', 'message queue', 'conductor'], rows))
        self.add('<p class="muted">API database <code>%s</code>, cell0 '
                 '<code>%s</code>, API transport <code>%s</code>. Blazar '
                 '%s.</p>' % (
                     esc(topo.get('api_database') or '-'),
                     esc(topo.get('cell0_database') or '-'),
                     esc(topo.get('api_transport') or '-'),
                     'enabled' if (topo.get('blazar') or {}).get('enabled')
                     else 'not enabled'))
        svcs = topo.get('services') or {}
        if svcs:
            self.add('<details><summary>Services (%d)</summary>%s</details>'
                     % (len(svcs), _table(['service', 'url', 'port', 'host'], [
                         [esc(n), esc(s.get('url') or ''),
                          esc(s.get('port') or ''), esc(s.get('host') or '')]
                         for n, s in svcs.items()])))

    def all_tests(self):
        self.section('tests', 'All tests')
        rows = [[_badge(r['status']), esc(r['class']), esc(r['name']),
                 esc(', '.join(r.get('cells') or []) or ''),
                 esc(r.get('worker') or ''), esc(fmt_s(r.get('duration'))),
                 esc(r.get('reason') or r.get('finding') or '')]
                for r in sorted(self.results, key=lambda r: r['id'])]
        self.add('<details><summary>%d tests</summary>%s</details>' % (
            len(rows), _table(['status', 'class', 'test', 'cells', 'worker',
                               'time', 'note'], rows, numeric=(5,))))
        arts = self.doc.get('artifacts') or {}
        if arts:
            self.add('<p class="muted">Files next to this report: %s</p>' %
                     ', '.join('<a href="%s">%s</a>' % (esc(v), esc(k))
                               for k, v in sorted(arts.items())))

    def render(self):
        d = self.doc
        self.banner()
        self.findings()
        self.failures()
        consistency.html_section(self)
        self.cells_matrix()
        self.latency()
        self.timeline()
        self.recovery()
        self.deploy()
        self.slowest()
        self.request_table()
        self.environment()
        self.all_tests()
        title = 'cellv2-conformance: %s %s' % (
            (d.get('verdict') or '').upper(),
            (d.get('environment') or {}).get('scenario') or '')
        body = '\n'.join(self.parts)
        return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width">'
                '<title>%s</title><style>%s</style></head><body><main>'
                '<h1>Nova Cells v2 conformance report</h1>%s'
                '<p class="muted">generated %s by cellv2-conformance</p>'
                '</main></body></html>\n' % (
                    esc(title), CSS, body,
                    esc(datetime.datetime.now(datetime.timezone.utc).isoformat(
                        timespec='seconds'))))


def render(doc, samples=None, requests=None):
    return Page(doc, samples, requests).render()


def write(path, doc, samples=None, requests=None):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(render(doc, samples, requests))
