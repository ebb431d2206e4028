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

"""`report`: re-derive the reports of one run, or compare two runs.

    cellv2-conformance report --from DIR
    cellv2-conformance report --compare OLD_DIR NEW_DIR [--output-dir D]
                              [--threshold 1.2] [--min-delta 0.1]
                              [--min-samples 1]

``--compare`` writes compare.html, compare.md and compare.json (into
NEW_DIR unless ``--output-dir``), prints a short summary and exits 1 when
the new run regressed (a check newly fails, a finding appeared, a timed
operation got slower beyond the threshold), 0 otherwise, 2 when a report
directory cannot be read.
"""

import argparse
import math
import os
import sys

from cellv2_conformance.cmd import exitcodes
from cellv2_conformance import redact
from cellv2_conformance.report import bundle
from cellv2_conformance.report import compare
from cellv2_conformance.report import compare_render


def _say(msg):
    print(redact.text(msg), flush=True)


def _err(msg):
    print('cellv2-conformance: error: %s' % redact.text(msg),
          file=sys.stderr, flush=True)


def cmd_regenerate(report_dir):
    report_dir = os.path.abspath(report_dir)
    if not os.path.exists(os.path.join(report_dir, bundle.RUN_JSON)):
        _err('%s has no %s: not a report directory of cellv2-conformance' % (
            report_dir, bundle.RUN_JSON))
        return exitcodes.CANNOT_RUN
    try:
        doc = bundle.regenerate(report_dir)
    except ValueError as e:
        _err(str(e))
        return exitcodes.CANNOT_RUN
    for name in ('report.html', 'junit.xml', 'summary.md'):
        _say('wrote %s' % os.path.join(report_dir, name))
    return exitcodes.FAILED if doc.get('verdict') == 'fail' else exitcodes.OK


def cmd_compare(old_dir, new_dir, output_dir=None, threshold=None,
                min_delta=None, min_samples=None):
    try:
        old_doc = compare.load(old_dir)
        new_doc = compare.load(new_dir)
    except compare.CompareError as e:
        _err(str(e))
        return exitcodes.CANNOT_RUN
    out = os.path.abspath(output_dir or (
        new_dir if os.path.isdir(new_dir) else os.path.dirname(new_dir)))
    try:
        os.makedirs(out, exist_ok=True)
        result = compare.compare(
            old_doc, new_doc, old_label=os.path.normpath(old_dir),
            new_label=os.path.normpath(new_dir),
            threshold=threshold or compare.DEFAULT_THRESHOLD,
            min_delta_s=compare.DEFAULT_MIN_DELTA_S if min_delta is None
            else min_delta,
            min_samples=min_samples or compare.DEFAULT_MIN_SAMPLES)
        paths = compare_render.write(out, result)
    except OSError as e:
        _err('cannot write the comparison to %s: %s' % (out, e.strerror))
        return exitcodes.CANNOT_RUN
    for line in compare.summary_lines(result):
        _say(line)
    _say('wrote %s' % ', '.join(paths[n] for n in sorted(paths)))
    return exitcodes.FAILED if result['regressed'] else exitcodes.OK


def cmd_report(args):
    if args.compare:
        return cmd_compare(args.compare[0], args.compare[1],
                           output_dir=args.output_dir,
                           threshold=args.threshold,
                           min_delta=args.min_delta,
                           min_samples=args.min_samples)
    return cmd_regenerate(args.from_dir)


def _ratio(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError('%r is not a number' % text)
    if not (1.0 < value < math.inf):      # NaN too: it never regresses
        raise argparse.ArgumentTypeError(
            'must be a ratio above 1.0 (e.g. 1.2 = 20%% slower), not %s' %
            text)
    return value


def _non_negative(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError('%r is not a %s' % (
                text, kind.__name__))
        if not (0 <= value < math.inf):    # NaN too
            raise argparse.ArgumentTypeError('must be >= 0, not %s' % text)
        return value
    return parse


def add_parsers(sub):
    sp = sub.add_parser(
        'report', help='regenerate the reports of a run, or compare two',
        description='--from DIR: rebuild junit.xml, report.html and '
                    'summary.md from a report directory\'s run.json and '
                    'results.subunit.  --compare OLD_DIR NEW_DIR: compare '
                    'two report directories (newly failing / passing '
                    'checks, findings appeared or gone, checks added or '
                    'removed, p50/p95 of every timed operation per cell) '
                    'and write compare.html, compare.md, compare.json; '
                    'exit 1 when NEW regressed.')
    what = sp.add_mutually_exclusive_group(required=True)
    what.add_argument('--from', dest='from_dir', metavar='DIR',
                      help='report directory to re-derive')
    what.add_argument('--compare', nargs=2, metavar=('OLD_DIR', 'NEW_DIR'),
                      help='two report directories (or run.json files)')
    sp.add_argument('--output-dir', metavar='DIR',
                    help='where --compare writes (default: NEW_DIR)')
    sp.add_argument('--threshold', type=_ratio,
                    default=compare.DEFAULT_THRESHOLD, metavar='RATIO',
                    help='--compare: a p50/p95 regressed when new/old >= '
                         'RATIO (default: %(default)s) ...')
    sp.add_argument('--min-delta', type=_non_negative(float),
                    default=compare.DEFAULT_MIN_DELTA_S, metavar='SECONDS',
                    help='... and new - old >= SECONDS (default: '
                         '%(default)s; smaller changes are noise)')
    sp.add_argument('--min-samples', type=_non_negative(int),
                    default=compare.DEFAULT_MIN_SAMPLES, metavar='N',
                    help='--compare: judge an operation only with >= N '
                         'samples in both runs (default: %(default)s)')
    sp.set_defaults(func=cmd_report)
    return sp
