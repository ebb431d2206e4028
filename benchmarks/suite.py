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

"""Benchmark the conformance suite on a local scenario (JSON output).

Runs `cellv2-conformance run` (deploy, suite, teardown) and derives from its
run.json: deploy time, suite wall time (first test start to last test stop),
per-suite wall time (Cells v2 checks vs reservation checks), per-class
durations, the slowest checks, and the per-operation / per-cell timing
aggregates recorded by the checks.  Figures only; nothing is asserted.

    python benchmarks/suite.py --scenario multi-cell \\
        --output benchmarks/results/suite-multi-cell.json
    python benchmarks/suite.py --regex 'cellv2_conformance.*reservation' \\
        --output benchmarks/results/suite-multi-cell-reservation.json
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import _output  # noqa: E402  (benchmarks/, beside this script)


def _ts(s):
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))


def wall(results):
    spans = [(_ts(r['start']), _ts(r['stop'])) for r in results
             if r.get('start') and r.get('stop')]
    if not spans:
        return None
    return round((max(b for _, b in spans) - min(a for a, _ in spans))
                 .total_seconds(), 1)


def summarise(doc):
    res = [r for r in doc['results'] if r.get('status') != 'exists']
    reservation = [r for r in res if 'reservation' in r['id']]
    cells = [r for r in res if 'reservation' not in r['id']]
    classes = {}
    for r in res:
        c = r.get('class') or r['id'].rsplit('.', 1)[0]
        classes[c] = round(classes.get(c, 0) + (r.get('duration') or 0), 2)
    slow = sorted(res, key=lambda r: -(r.get('duration') or 0))[:10]
    return {
        'verdict': doc.get('verdict'), 'counts': doc.get('counts'),
        'deploy_s': (doc.get('deploy') or {}).get('total_s'),
        'run_duration_s': doc.get('duration_s'),
        'suite_wall_s': wall(res),
        'cells_suite_wall_s': wall(cells),
        'reservation_suite_wall_s': wall(reservation),
        'class_duration_s': dict(sorted(classes.items(),
                                        key=lambda x: -x[1])),
        'slowest': [{'id': r['id'], 'duration_s': r.get('duration')}
                    for r in slow],
        'operations': (doc.get('timings') or {}).get('operations'),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scenario', default='multi-cell')
    ap.add_argument('--concurrency', type=int, default=2)
    ap.add_argument('--regex', default='cellv2_conformance',
                    help='tempest selection (e.g. only the reservation '
                         'checks: cellv2_conformance.*reservation)')
    ap.add_argument('--from-report', help='summarise an existing report dir '
                    'instead of running')
    ap.add_argument('--output', default='-')
    args = ap.parse_args()
    if args.from_report:
        report = args.from_report
        elapsed = None
    else:
        tmp = tempfile.mkdtemp(prefix='bench-suite-')
        report = os.path.join(tmp, 'reports')
        t0 = time.monotonic()
        subprocess.run([sys.executable, '-m', 'cellv2_conformance.cmd.main',
                        'run', '--scenario', args.scenario, '--workdir',
                        os.path.join(tmp, 'cloud'), '--report-dir', report,
                        '--concurrency', str(args.concurrency),
                        '--regex', args.regex])
        elapsed = round(time.monotonic() - t0, 1)
    with open(os.path.join(report, 'run.json')) as f:
        doc = json.load(f)
    out = {'benchmark': 'suite', 'scenario': args.scenario,
           'concurrency': args.concurrency, 'regex': args.regex,
           'machine_cpus': os.cpu_count(),
           'end_to_end_s': elapsed, 'report_dir': report}
    out.update(summarise(doc))
    _output.write(out, args.output)
    return 0


if __name__ == '__main__':
    sys.exit(main())
