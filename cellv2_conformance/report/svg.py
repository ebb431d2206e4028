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

"""Hand-written inline SVG charts for the self-contained HTML report: a
Gantt timeline, horizontal box plots and a histogram.  No JavaScript, no
external resources; every label is escaped.  Tooltips are SVG ``<title>``
elements (the browser shows them on hover)."""

import html
import math

FONT = 'font-family="system-ui,sans-serif" font-size="11"'
STATUS_COLOURS = {'success': '#43a047', 'fail': '#e53935', 'skip': '#9e9e9e',
                  'xfail': '#fb8c00', 'uxsuccess': '#8e24aa',
                  'not_reproduced': '#0288d1', 'not_run': '#bdbdbd'}
PALETTE = ('#1e88e5', '#43a047', '#fb8c00', '#8e24aa', '#00897b', '#e53935',
           '#6d4c41', '#3949ab', '#c0ca33', '#d81b60', '#546e7a', '#00acc1')


def esc(s):
    return html.escape(str(s), quote=True)


def _nice_step(span, target=8):
    if span <= 0:
        return 1
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def fmt_s(v):
    if v is None:
        return '-'
    if v == 0:
        return '0s'
    if v >= 100:
        return '%.0fs' % v
    if v >= 10:
        return '%.1fs' % v
    if v >= 1:
        return '%.2fs' % v
    return '%.0fms' % (v * 1000) if v >= 0.01 else '%.1fms' % (v * 1000)


_TIME_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
               1800, 3600, 7200, 14400)


def _time_step(span, target=10):
    for s in _TIME_STEPS:
        if span / s <= target:
            return s
    return _TIME_STEPS[-1] * math.ceil(span / target / _TIME_STEPS[-1])


def _time_axis(x0, width, t_max, y_top, y_bottom, parts):
    step = _time_step(t_max)
    t = 0.0
    while t <= t_max + 1e-9:
        x = x0 + width * t / t_max
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" '
                     'stroke="#e0e0e0"/>' % (x, y_top, x, y_bottom))
        parts.append('<text x="%.1f" y="%d" text-anchor="middle" '
                     'fill="#555">%s</text>' % (x, y_bottom + 13,
                                                esc(_tick(t, step))))
        t += step


def _tick(t, step):
    if t == 0:
        return '0'
    if step >= 3600:
        return '%gh' % (t / 3600)
    if step >= 60:
        return '%gm' % (t / 60)
    if step < 1:
        return '%.1fs' % t
    return '%ds' % t


def gantt(lanes, t_max, shaded=(), width=1100, lane_height=18,
          label_width=170, bar_min=1.5):
    """``lanes`` = ``[(label, [(start_s, end_s, colour, tooltip), ...])]``
    with times in seconds from the origin; ``shaded`` =
    ``[(start_s, end_s, label)]`` drawn behind the bars (fault windows).
    """
    t_max = max(t_max or 0, 1e-3)
    plot_w = width - label_width - 10
    top = 18 if shaded else 4
    height = top + lane_height * len(lanes) + 24
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
             'height="%d" viewBox="0 0 %d %d" %s role="img">' % (
                 width, height, width, height, FONT)]
    bottom = top + lane_height * len(lanes)
    _time_axis(label_width, plot_w, t_max, top, bottom, parts)
    free_x = 0
    for window in shaded:
        start, end, label = window[:3]
        tag = window[3] if len(window) > 3 else label[:40]
        x = label_width + plot_w * max(start, 0) / t_max
        w = max(plot_w * (min(end, t_max) - max(start, 0)) / t_max, 2)
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                     'fill="#ef5350" fill-opacity="0.13" stroke="#e53935" '
                     'stroke-dasharray="3,2"><title>%s</title></rect>' % (
                         x, top - 14, w, bottom - top + 14, esc(label)))
        if x >= free_x:          # no overlapping labels; hover shows all
            parts.append('<text x="%.1f" y="%d" fill="#c62828">%s</text>'
                         % (x + 2, top - 4, esc(tag)))
            free_x = x + 7 * len(tag) + 8
    for i, (label, bars) in enumerate(lanes):
        y = top + i * lane_height
        if i % 2:
            parts.append('<rect x="0" y="%d" width="%d" height="%d" '
                         'fill="#000" fill-opacity="0.03"/>' % (
                             y, width, lane_height))
        parts.append('<text x="%d" y="%d" text-anchor="end" fill="#333">'
                     '%s</text>' % (label_width - 6, y + lane_height * 0.7,
                                    esc(label[:30])))
        for start, end, colour, tip in bars:
            x = label_width + plot_w * max(start, 0) / t_max
            w = max(plot_w * (end - start) / t_max, bar_min)
            parts.append('<rect x="%.1f" y="%.1f" width="%.1f" '
                         'height="%.1f" fill="%s" stroke="#fff" '
                         'stroke-width="0.4"><title>%s</title></rect>' % (
                             x, y + 2, w, lane_height - 4, colour,
                             esc(tip)))
    parts.append('</svg>')
    return ''.join(parts)


def _quartiles(values):
    from cellv2_conformance.timing import stats
    v = sorted(values)
    return {q: stats.percentile(v, q) for q in (0, 5, 25, 50, 75, 95, 100)}


def boxplots(groups, width=1100, row_height=22, label_width=330,
             unit='s'):
    """Horizontal box plots: ``groups`` = ``[(label, [seconds, ...])]``.
    Box = p25..p75, line = median, whiskers p5..p95, dots min/max; log
    scale when the values span more than two decades.
    """
    groups = [(lbl, [v for v in vals if v is not None and v >= 0])
              for lbl, vals in groups]
    groups = [(lbl, vals) for lbl, vals in groups if vals]
    if not groups:
        return ''
    lo = min(min(v) for _, v in groups)
    hi = max(max(v) for _, v in groups)
    log = lo > 0 and hi / max(lo, 1e-9) > 100
    plot_w = width - label_width - 120
    if log:
        llo = math.floor(math.log10(max(lo, 1e-4)))
        lhi = math.ceil(math.log10(hi))
        lhi = lhi if lhi > llo else llo + 1

        def xpos(v):
            v = max(v, 10 ** llo)
            return label_width + plot_w * (math.log10(v) - llo) / (lhi - llo)
        ticks = [10 ** e for e in range(llo, lhi + 1)]
    else:
        hi = hi if hi > 0 else 1

        def xpos(v):
            return label_width + plot_w * v / hi
        step = _nice_step(hi, 6)
        ticks = [i * step for i in range(int(hi / step) + 1)]
    height = row_height * len(groups) + 30
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
             'height="%d" viewBox="0 0 %d %d" %s role="img">' % (
                 width, height, width, height, FONT)]
    bottom = row_height * len(groups) + 4
    for t in ticks:
        x = xpos(t)
        parts.append('<line x1="%.1f" y1="4" x2="%.1f" y2="%d" '
                     'stroke="#e0e0e0"/><text x="%.1f" y="%d" '
                     'text-anchor="middle" fill="#555">%s</text>' % (
                         x, x, bottom, x, bottom + 13, esc(fmt_s(t))))
    if log:
        parts.append('<text x="%d" y="%d" text-anchor="end" fill="#777">'
                     'log scale</text>' % (width - 4, bottom + 13))
    for i, (label, vals) in enumerate(groups):
        q = _quartiles(vals)
        y = 4 + i * row_height
        mid = y + row_height / 2
        colour = PALETTE[i % len(PALETTE)]
        tip = '%s: n=%d min %s p25 %s p50 %s p75 %s p95 %s max %s' % (
            label, len(vals), fmt_s(q[0]), fmt_s(q[25]), fmt_s(q[50]),
            fmt_s(q[75]), fmt_s(q[95]), fmt_s(q[100]))
        parts.append('<g><title>%s</title>' % esc(tip))
        parts.append('<text x="%d" y="%.1f" text-anchor="end" fill="#333">'
                     '%s</text>' % (label_width - 6, mid + 4,
                                    esc(label[:55])))
        parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                     'stroke="%s"/>' % (xpos(q[5]), mid, xpos(q[95]), mid,
                                        colour))
        x25, x75 = xpos(q[25]), xpos(q[75])
        parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                     'fill="%s" fill-opacity="0.35" stroke="%s"/>' % (
                         x25, y + 4, max(x75 - x25, 1.5), row_height - 8,
                         colour, colour))
        parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                     'stroke="#000" stroke-width="2"/>' % (
                         xpos(q[50]), y + 3, xpos(q[50]),
                         y + row_height - 3))
        for k in (0, 100):
            parts.append('<circle cx="%.1f" cy="%.1f" r="2" fill="%s"/>' % (
                xpos(q[k]), mid, colour))
        parts.append('<text x="%d" y="%.1f" fill="#555">n=%d p95 %s'
                     '</text></g>' % (width - 112, mid + 4, len(vals),
                                      esc(fmt_s(q[95]))))
    parts.append('</svg>')
    return ''.join(parts)


def histogram(values, width=540, height=190, bins=30, colour='#1e88e5',
              title=''):
    """Latency histogram with logarithmic bins (latencies span decades)."""
    vals = [v for v in values if v is not None and v > 0]
    if not vals:
        return ''
    lo, hi = min(vals), max(vals)
    llo = math.log10(lo)
    lhi = math.log10(hi) if hi > lo else llo + 1
    n = max(min(bins, len(vals)), 1)
    counts = [0] * n
    for v in vals:
        i = int((math.log10(v) - llo) / (lhi - llo) * n)
        counts[min(max(i, 0), n - 1)] += 1
    left, bottom_pad, top = 36, 30, 18
    plot_w, plot_h = width - left - 8, height - bottom_pad - top
    cmax = max(counts)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
             'height="%d" viewBox="0 0 %d %d" %s role="img">' % (
                 width, height, width, height, FONT)]
    if title:
        parts.append('<text x="%d" y="12" fill="#333" font-weight="bold">'
                     '%s (n=%d)</text>' % (left, esc(title), len(vals)))
    bw = plot_w / n
    for i, c in enumerate(counts):
        if not c:
            continue
        h = plot_h * c / cmax
        a = 10 ** (llo + (lhi - llo) * i / n)
        b = 10 ** (llo + (lhi - llo) * (i + 1) / n)
        parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" '
                     'fill="%s"><title>%s - %s: %d</title></rect>' % (
                         left + i * bw, top + plot_h - h, max(bw - 1, 1), h,
                         colour, esc(fmt_s(a)), esc(fmt_s(b)), c))
    yb = top + plot_h
    parts.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#999"/>' % (
        left, yb, left + plot_w, yb))
    parts.append('<text x="%d" y="%d" text-anchor="end" fill="#555">%d'
                 '</text>' % (left - 4, top + 8, cmax))
    for k in range(5):
        lv = llo + (lhi - llo) * k / 4
        x = left + plot_w * k / 4
        anchor = {0: 'start', 4: 'end'}.get(k, 'middle')
        parts.append('<text x="%.1f" y="%d" text-anchor="%s" '
                     'fill="#555">%s</text>' % (x, yb + 14, anchor,
                                                esc(fmt_s(10 ** lv))))
    parts.append('<text x="%d" y="%d" text-anchor="end" fill="#777">'
                 'log bins</text>' % (width - 8, yb + 27))
    parts.append('</svg>')
    return ''.join(parts)


def scatter(series, t_max, shaded=(), width=1100, height=220,
            label_width=170):
    """Latency over time: ``series`` = ``[(name, colour, [(t_s, secs)])]``
    on a log y axis, with ``shaded`` windows as in :func:`gantt`.
    """
    pts = [p for _, _, ps in series for p in ps if p[1] and p[1] > 0]
    if not pts:
        return ''
    t_max = max(t_max or 0, 1e-3)
    lo = math.floor(math.log10(min(p[1] for p in pts)))
    hi = math.ceil(math.log10(max(p[1] for p in pts)))
    hi = hi if hi > lo else lo + 1
    top, bottom_pad = 8, 22
    plot_w = width - label_width - 10
    plot_h = height - top - bottom_pad
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
             'height="%d" viewBox="0 0 %d %d" %s role="img">' % (
                 width, height, width, height, FONT)]
    yb = top + plot_h
    _time_axis(label_width, plot_w, t_max, top, yb, parts)
    for e in range(lo, hi + 1):
        y = yb - plot_h * (e - lo) / (hi - lo)
        parts.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" '
                     'stroke="#eee"/><text x="%d" y="%.1f" '
                     'text-anchor="end" fill="#555">%s</text>' % (
                         label_width, y, width - 10, y, label_width - 4,
                         y + 4, esc(fmt_s(10 ** e))))
    for window in shaded:
        start, end, label = window[:3]
        x = label_width + plot_w * max(start, 0) / t_max
        w = max(plot_w * (min(end, t_max) - max(start, 0)) / t_max, 2)
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                     'fill="#ef5350" fill-opacity="0.13"><title>%s</title>'
                     '</rect>' % (x, top, w, plot_h, esc(label)))
    legend_y = top + 10
    for name, colour, ps in series:
        for t, v in ps:
            if not v or v <= 0:
                continue
            x = label_width + plot_w * t / t_max
            y = yb - plot_h * (math.log10(v) - lo) / (hi - lo)
            parts.append('<circle cx="%.1f" cy="%.1f" r="1.8" fill="%s" '
                         'fill-opacity="0.6"/>' % (x, y, colour))
        parts.append('<circle cx="10" cy="%d" r="4" fill="%s"/><text x="18" '
                     'y="%d" fill="#333">%s (%d)</text>' % (
                         legend_y - 4, colour, legend_y, esc(name[:18]),
                         len(ps)))
        legend_y += 14
    parts.append('</svg>')
    return ''.join(parts)


def heat(value, vmin, vmax):
    """Background colour for a heat-map cell: green (fast) to red (slow),
    on a log scale.
    """
    if value is None or vmax is None or vmin is None:
        return '#fafafa'
    if vmax <= vmin:
        f = 0.0
    else:
        a = math.log10(max(value, 1e-4))
        lo = math.log10(max(vmin, 1e-4))
        hi = math.log10(max(vmax, 1e-4))
        f = 0.0 if hi <= lo else min(max((a - lo) / (hi - lo), 0), 1)
    hue = 120 * (1 - f)
    return 'hsl(%d,70%%,82%%)' % hue
