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

"""Compare two runs: what a pre-upgrade user asks (before vs after, last
night vs tonight).

``compare(old_doc, new_doc)`` takes two run documents (``run.json``, see
:mod:`cellv2_conformance.report.document`) and returns a comparison::

    {"old": side, "new": side,            # who was compared
     "checks": {"newly_failing", "newly_passing", "still_failing",
                "newly_skipped", "other_changes", "added", "removed",
                "unchanged"},
     "findings": {"appeared", "gone", "kept"},
     "timings": {"threshold", "min_delta_s", "min_samples", "rows",
                 "regressions", "improvements", "only_old", "only_new"},
     "regressions": [one line per reason], "regressed": bool}

Checks are matched by their tempest idempotent id (stable across renames),
else by test id.  A check regressed when it fails now and did not before
(including a check that is new and fails); a finding regressed when a
(finding, cell) pair appears; a timed operation regressed when its p50 or
p95 in one cell grew by at least ``threshold`` times AND by at least
``min_delta_s`` seconds (so a 2 ms operation doubling is noise, not a
regression), with at least ``min_samples`` samples on both sides.
"""

import math
import os

from cellv2_conformance.report import document
from cellv2_conformance.report import results as results_mod

FAILED = results_mod.FAILED
PASSED = ('success', 'xfail', 'not_reproduced')
STATS = ('p50', 'p95')
DEFAULT_THRESHOLD = 1.2
DEFAULT_MIN_DELTA_S = 0.1
DEFAULT_MIN_SAMPLES = 1


class CompareError(ValueError):
    """A report directory cannot be read (exit code 2)."""


def load(path):
    """The run document of a report directory (or of a run.json path)."""
    target = path
    if os.path.isdir(path):
        target = os.path.join(path, 'run.json')
    if not os.path.exists(target):
        raise CompareError('%s: no run.json (not a cellv2-conformance '
                           'report directory)' % path)
    try:
        doc = document.load(target)
    except ValueError as e:     # JSON syntax or unsupported schema
        raise CompareError('%s: unreadable run document: %s' % (target, e))
    except OSError as e:
        raise CompareError('%s: cannot read: %s' % (target, e.strerror))
    if not isinstance(doc, dict) or not isinstance(
            doc.get('results', []), list):
        raise CompareError('%s: not a run document (no results list)' %
                           target)
    return doc


def short_id(test_id):
    """``pkg.mod.Class.test_x[id-...]`` -> ``Class.test_x``."""
    base = test_id.split('[', 1)[0]
    return '.'.join(base.rsplit('.', 2)[-2:])


def _key(result):
    return result.get('idempotent_id') or result['id']


def _side(doc, label):
    env = doc.get('environment') or {}
    topo = env.get('topology') or {}
    return {'label': label, 'mode': doc.get('mode'),
            'scenario': env.get('scenario'),
            'cells': [c.get('name') for c in topo.get('cells') or []],
            'verdict': doc.get('verdict'), 'error': doc.get('error'),
            'started_at': doc.get('started_at'),
            'duration_s': doc.get('duration_s'),
            'counts': doc.get('counts') or {},
            'regex': (doc.get('selection') or {}).get('regex'),
            'version': (doc.get('harness') or {}).get('version'),
            'git_sha': (doc.get('harness') or {}).get('git_sha'),
            'packages': env.get('packages') or {}}


def _entry(old, new):
    r = new or old
    return {'id': r['id'], 'short': short_id(r['id']),
            'idempotent_id': r.get('idempotent_id'),
            'old': old['status'] if old else None,
            'new': new['status'] if new else None,
            'cells': (new or {}).get('cells') or (old or {}).get('cells') or
            [],
            'detail': results_mod.headline((new or {}).get('failure'))
            if new and results_mod.failed(new) else
            ((new or {}).get('reason') or '')}


def compare_checks(old_results, new_results):
    old = {_key(r): r for r in old_results}
    new = {_key(r): r for r in new_results}
    out = {k: [] for k in ('newly_failing', 'newly_passing', 'still_failing',
                           'newly_skipped', 'other_changes', 'added',
                           'removed')}
    unchanged = 0
    for key in sorted(set(old) | set(new), key=lambda k: (
            (new.get(k) or old.get(k))['id'])):
        a, b = old.get(key), new.get(key)
        e = _entry(a, b)
        if a is None:
            out['added'].append(e)
            if results_mod.failed(b):
                out['newly_failing'].append(e)
            continue
        if b is None:
            out['removed'].append(e)
            continue
        sa, sb = a['status'], b['status']
        fa, fb = results_mod.failed(a), results_mod.failed(b)
        if fb and not fa:
            out['newly_failing'].append(e)
        elif fa and fb:
            out['still_failing'].append(e)
        elif fa and sb in PASSED:
            out['newly_passing'].append(e)
        elif sa != sb and sb == 'skip':
            out['newly_skipped'].append(e)
        elif sa != sb:
            out['other_changes'].append(e)
        else:
            unchanged += 1
    out['unchanged'] = unchanged
    return out


def _finding_pairs(findings):
    pairs = {}
    for f in findings or []:
        if f.get('outcome') == 'not_reproduced':
            continue        # the cloud behaved as documented: not kept
        key = (str(f.get('id')), f.get('cell') or '-')
        rec = pairs.setdefault(key, {
            'id': f.get('id'), 'cell': f.get('cell'),
            'summary': f.get('summary'), 'reference': f.get('reference'),
            'observed': f.get('observed'), 'tests': set(), 'times': 0})
        rec['times'] += 1
        if f.get('test_id'):
            rec['tests'].add(short_id(f['test_id']))
    for rec in pairs.values():
        rec['tests'] = sorted(rec['tests'])
    return pairs


def compare_findings(old_findings, new_findings):
    old, new = _finding_pairs(old_findings), _finding_pairs(new_findings)
    return {'appeared': [new[k] for k in sorted(set(new) - set(old))],
            'gone': [old[k] for k in sorted(set(old) - set(new))],
            'kept': [new[k] for k in sorted(set(new) & set(old))]}


def _per_op_cell(doc):
    ops = ((doc.get('timings') or {}).get('operations') or {})
    return ops.get('per_operation_cell') or {}


def compare_timings(old_doc, new_doc, threshold=DEFAULT_THRESHOLD,
                    min_delta_s=DEFAULT_MIN_DELTA_S,
                    min_samples=DEFAULT_MIN_SAMPLES):
    old, new = _per_op_cell(old_doc), _per_op_cell(new_doc)
    pairs_old = {(op, c) for op, per in old.items() for c in per}
    pairs_new = {(op, c) for op, per in new.items() for c in per}
    rows, regressions, improvements = [], [], []
    for op, cell in sorted(pairs_old & pairs_new):
        a, b = old[op][cell], new[op][cell]
        enough = min(a.get('count') or 0, b.get('count') or 0) >= \
            min_samples
        for stat in STATS:
            va, vb = a.get(stat), b.get(stat)
            if va is None or vb is None:
                continue
            delta = vb - va
            ratio = (vb / va) if va > 0 else (float('inf') if vb > 0
                                              else 1.0)
            verdict = 'same'
            if not enough:
                verdict = 'too few samples'
            elif ratio >= threshold and delta >= min_delta_s:
                verdict = 'regression'
            elif ratio <= 1.0 / threshold and -delta >= min_delta_s:
                verdict = 'improvement'
            row = {'operation': op, 'cell': cell, 'stat': stat,
                   'old': va, 'new': vb, 'delta_s': round(delta, 4),
                   'ratio': round(ratio, 3) if ratio != float('inf')
                   else None,
                   'old_count': a.get('count'), 'new_count': b.get('count'),
                   'verdict': verdict}
            rows.append(row)
            if verdict == 'regression':
                regressions.append(row)
            elif verdict == 'improvement':
                improvements.append(row)
    return {'threshold': threshold, 'min_delta_s': min_delta_s,
            'min_samples': min_samples, 'rows': rows,
            'regressions': regressions, 'improvements': improvements,
            'only_old': [{'operation': op, 'cell': c} for op, c in
                         sorted(pairs_old - pairs_new)],
            'only_new': [{'operation': op, 'cell': c} for op, c in
                         sorted(pairs_new - pairs_old)]}


def cell_label(cell):
    return '(no cell)' if cell in (None, '-') else cell


def regressions(result):
    """One line per reason the new run is worse than the old one."""
    out = []
    for e in result['checks']['newly_failing']:
        out.append('check %s %s: %s -> %s%s' % (
            e['short'], 'is new and fails' if e['old'] is None
            else 'newly fails', e['old'] or 'absent', e['new'],
            (' (%s)' % e['detail'][:160]) if e['detail'] else ''))
    for f in result['findings']['appeared']:
        out.append('finding %s appeared%s: %s' % (
            f['id'], ' in cell %s' % f['cell'] if f['cell'] else '',
            f['summary'] or ''))
    for r in result['timings']['regressions']:
        out.append('%s in %s: %s %.3fs -> %.3fs (x%s, +%.3fs)' % (
            r['operation'], cell_label(r['cell']), r['stat'], r['old'],
            r['new'], r['ratio'] if r['ratio'] is not None else 'inf',
            r['delta_s']))
    new, old = result['new'], result['old']
    if new['verdict'] in ('error', 'empty') and \
            old['verdict'] not in ('error', 'empty'):
        out.append('the new run did not complete (%s%s)' % (
            new['verdict'], ': %s' % new['error'] if new['error'] else ''))
    return out


def compare(old_doc, new_doc, old_label='old', new_label='new',
            threshold=DEFAULT_THRESHOLD, min_delta_s=DEFAULT_MIN_DELTA_S,
            min_samples=DEFAULT_MIN_SAMPLES):
    # (written so that NaN fails too: every comparison with it is false,
    # so nothing could ever regress)
    if not (1.0 < threshold < math.inf):
        raise ValueError('threshold must be > 1.0 (a ratio, e.g. 1.2), '
                         'not %s' % threshold)
    if not (0 <= min_delta_s < math.inf):
        raise ValueError('min_delta_s must be >= 0, not %s' % min_delta_s)
    result = {
        'old': _side(old_doc, old_label),
        'new': _side(new_doc, new_label),
        'checks': compare_checks(old_doc.get('results') or [],
                                 new_doc.get('results') or []),
        'findings': compare_findings(old_doc.get('findings'),
                                     new_doc.get('findings')),
        'timings': compare_timings(old_doc, new_doc, threshold,
                                   min_delta_s, min_samples),
    }
    result['regressions'] = regressions(result)
    result['regressed'] = bool(result['regressions'])
    return result


def summary_lines(result):
    """A few lines for the terminal."""
    c, f, t = result['checks'], result['findings'], result['timings']
    o, n = result['old'], result['new']

    def side(s):
        return '%s (%s, %s, %s)' % (s['label'], s['scenario'] or
                                    'existing cloud', s['verdict'],
                                    s['started_at'])
    lines = ['compared %s -> %s' % (side(o), side(n)),
             'checks: %d newly failing, %d newly passing, %d still failing,'
             ' %d newly skipped, %d other changes, %d added, %d removed, '
             '%d unchanged' % (
                 len(c['newly_failing']), len(c['newly_passing']),
                 len(c['still_failing']), len(c['newly_skipped']),
                 len(c['other_changes']), len(c['added']),
                 len(c['removed']), c['unchanged']),
             'findings: %d appeared, %d gone, %d kept' % (
                 len(f['appeared']), len(f['gone']), len(f['kept'])),
             'timings: %d regression(s), %d improvement(s) over %d p50/p95 '
             'comparisons (threshold x%g and +%gs, >= %d sample(s))' % (
                 len(t['regressions']), len(t['improvements']),
                 len(t['rows']), t['threshold'], t['min_delta_s'],
                 t['min_samples'])]
    if result['regressed']:
        lines.append('REGRESSED:')
        lines += ['  - %s' % r for r in result['regressions'][:10]]
        if len(result['regressions']) > 10:
            lines.append('  - ... and %d more' % (
                len(result['regressions']) - 10))
    else:
        lines.append('no regression')
    return lines
