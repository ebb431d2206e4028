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

"""Aggregate the checks' timing samples per operation, per cell and per
fault window.

Inputs are the JSON-lines files written during a run:

* ``[cellv2] timings_file`` (see :mod:`.recorder`): ``{"op", "seconds",
  "cell", "test_id", "at", "ok", ...}`` per measured block;
* the faults journal (``<workdir>/faults.jsonl``, see
  :mod:`cellv2_conformance.faults.journal`): full records of one fault per
  line (``injected_at``, ``verified_at``, ``healed_at``,
  ``heal_verified_at``, ``status``), the last line of an id being its
  current state.  Lines with a lifecycle ``event`` and ``at`` are accepted
  too.  Lines of one ``id`` fold into a window ``[injected, healed]``; a
  fault never healed stays open to the end of the run.

Samples are measurements, never verdicts: nothing here fails a check.
"""

import datetime
import json

from cellv2_conformance.timing import stats

_START_EVENTS = ('inject', 'injected', 'start', 'started', 'begin')
_END_EVENTS = ('clear', 'cleared', 'heal', 'healed', 'end', 'ended',
               'recovered', 'restored', 'stop', 'stopped')


def read_jsonl(path):
    """Records of a JSON-lines file; unreadable lines are counted, not
    fatal (a test killed mid-write leaves half a line).
    """
    out, bad = [], 0
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(rec, dict):
                    out.append(rec)
                else:
                    bad += 1
    except FileNotFoundError:
        return [], 0
    return out, bad


def parse_time(value):
    """An aware UTC datetime from an ISO string or an epoch number."""
    if value is None or value == '':
        return None
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    try:
        dt = datetime.datetime.fromisoformat(str(value).replace('Z',
                                                                '+00:00'))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)


def operations(samples):
    """Summaries per operation, per cell and per (operation, cell)."""
    def secs(s):
        v = s.get('seconds')
        return v if isinstance(v, (int, float)) else None

    per_op_cell = {}
    for (op, cell), summ in stats.group(
            samples, lambda s: (s.get('op'), s.get('cell') or '-')
            if s.get('op') else None, secs).items():
        per_op_cell.setdefault(op, {})[cell] = summ
    return {
        'count': len(samples),
        'failed': sum(1 for s in samples if s.get('ok') is False),
        'per_operation': stats.group(samples, lambda s: s.get('op'), secs),
        'per_cell': stats.group(samples, lambda s: s.get('cell') or '-',
                                secs),
        'per_operation_cell': per_op_cell,
    }


def fault_windows(events, run_end=None):
    """Fold journal events into windows ``{id, start, end, target, action,
    events}`` sorted by start (``end`` None when never cleared and no
    ``run_end`` given).
    """
    windows = {}
    order = []
    for i, ev in enumerate(events):
        fid = str(ev.get('id') or ev.get('fault_id') or ev.get('fault') or
                  'fault-%d' % i)
        w = windows.get(fid)
        if w is None:
            w = windows[fid] = {'id': fid, 'start': None, 'end': None,
                                'target': None, 'action': None, 'events': []}
            order.append(fid)
        for key in ('status', 'healed_by', 'error'):
            if key in ev:
                w[key] = ev[key]      # the latest line wins
        for key in ('verified_at', 'heal_verified_at'):
            if ev.get(key):
                w[key] = ev[key]
        for key in ('target', 'action', 'kind', 'cell', 'service'):
            if ev.get(key) and not w.get(key):
                w[key] = ev[key] if isinstance(ev[key], str) else json.dumps(
                    ev[key], sort_keys=True)
        start = parse_time(ev.get('injected_at') or ev.get('started_at') or
                           ev.get('start'))
        end = parse_time(ev.get('cleared_at') or ev.get('healed_at') or
                         ev.get('ended_at') or ev.get('end'))
        name = str(ev.get('event') or ev.get('phase') or ev.get('status') or
                   '').lower()
        at = parse_time(ev.get('at') or ev.get('time') or
                        ev.get('timestamp'))
        if at is not None and name:
            w['events'].append({'event': name, 'at': at.isoformat()})
            if any(name.startswith(s) for s in _START_EVENTS):
                start = start or at
            elif any(name.startswith(s) for s in _END_EVENTS):
                end = end or at
        if start and (w['start'] is None or start < w['start']):
            w['start'] = start
        if end and (w['end'] is None or end > w['end']):
            w['end'] = end
    out = []
    for fid in order:
        w = windows[fid]
        if w['start'] is None:
            continue
        w['open'] = w['end'] is None
        if w['end'] is None and run_end is not None:
            w['end'] = run_end
        w['duration_s'] = (round((w['end'] - w['start']).total_seconds(), 3)
                           if w['end'] else None)
        healed_ok = parse_time(w.get('heal_verified_at'))
        w['recovery_s'] = (round((healed_ok - w['end']).total_seconds(), 3)
                           if healed_ok and w['end'] and not w['open']
                           else None)
        w['start'] = w['start'].isoformat()
        w['end'] = w['end'].isoformat() if w['end'] else None
        out.append(w)
    out.sort(key=lambda w: w['start'])
    return out


def by_fault_window(samples, windows, at=lambda s: s.get('at'),
                    value=lambda s: s.get('seconds')):
    """Summaries of samples inside each window and of those outside all
    windows (the baseline), keyed by window id and ``'baseline'``.
    """
    spans = [(w['id'], parse_time(w['start']), parse_time(w['end']))
             for w in windows]
    buckets = {w['id']: [] for w in windows}
    baseline = []
    for s in samples:
        t = parse_time(at(s))
        v = value(s)
        if t is None or not isinstance(v, (int, float)):
            continue
        hit = False
        for fid, start, end in spans:
            if start <= t and (end is None or t <= end):
                buckets[fid].append(v)
                hit = True
        if not hit:
            baseline.append(v)
    out = {'baseline': stats.summary(baseline)}
    for fid, vals in buckets.items():
        out[fid] = stats.summary(vals)
    return out
