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

"""`cellv2-conformance audit`: the pre-upgrade consistency audit of an
existing cloud, read-only (see doc/source/audit.rst).

Exit codes: 0 consistent, 1 inconsistencies found, 2 could not audit (bad
inventory, unreachable store), 130 interrupted.
"""

import json
import os
import sys

from cellv2_conformance.cmd import exitcodes
from cellv2_conformance import redact
from cellv2_conformance.report import consistency as consistency_report
from cellv2_conformance.report import document


def _say(msg):
    print(redact.text(msg), flush=True)


def _err(msg):
    print('cellv2-conformance: error: %s' % redact.text(msg),
          file=sys.stderr, flush=True)


def write_section(report_dir, section):
    """Write consistency.json (the report's Consistency section)."""
    path = os.path.join(report_dir, consistency_report.FILE)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(redact.data(section), f, indent=1, default=str)
        f.write('\n')
    return path


def audit_into_report(report_dir, inv, out=_say, tempest_conf=None):
    """Audit the cloud of ``inv`` for a run/validate report; never raises
    (an audit that cannot run is recorded in the section).
    ``tempest_conf`` (parsed): its admin reads placement through the API
    when the inventory names no placement database.
    """
    from cellv2_conformance import audit
    try:
        result = audit.run(inv, tempest_conf=tempest_conf)
        section = result.to_dict()
        out('consistency audit: %s' % consistency_report.headline(section))
    except audit.AuditError as e:
        section = {'consistent': None, 'error': str(e), 'families': [],
                   'count': 0, 'cells': []}
        out('consistency audit: %s' % e)
    except Exception as e:      # a harness bug must not lose the run
        section = {'consistent': None, 'error': 'internal error: %s: %s' % (
            type(e).__name__, e), 'families': [], 'count': 0, 'cells': []}
        out('consistency audit failed: %s' % section['error'])
    write_section(report_dir, section)
    return section


def _print(result):
    by = result.by_family()
    for name in result.to_dict()['families']:
        fam = name['family']
        recs = by.get(fam, [])
        if recs:
            _say('%-22s %d INCONSISTENT' % (fam, len(recs)))
            for r in recs:
                _say('  - %s' % r.line())
        elif fam in result.skipped:
            _say('%-22s skipped: %s' % (fam, result.skipped[fam]))
        else:
            _say('%-22s ok' % fam)
    for name, res, details in result.status_results:
        _say('nova-status: %s: %s%s' % (name, res, (' (%s)' % details)
                                        if details else ''))


def cmd_audit(args):
    from cellv2_conformance import audit
    from cellv2_conformance import inventory as inventory_mod
    started = document.utcnow()
    unknown = set(args.family or ()) - set(audit.FAMILIES)
    if unknown:     # a command-line usage error, like argparse's choices
        _err('unknown famil%s %s (known: %s)' % (
            'y' if len(unknown) == 1 else 'ies',
            ', '.join(sorted(unknown)), ', '.join(audit.FAMILIES)))
        return exitcodes.USAGE
    try:
        inv = inventory_mod.load(args.inventory)
        conf = None
        if args.tempest_conf:
            from cellv2_conformance.cmd import run as run_cmd
            conf = run_cmd.read_conf(args.tempest_conf)
        _say('auditing %d cell(s) of %s (read-only)' % (len(inv.cells),
                                                        inv.path))
        result = audit.run(inv, families=args.family,
                           with_status=not args.no_nova_status,
                           tempest_conf=conf)
    except (inventory_mod.InventoryError, audit.AuditError) as e:
        _err(str(e))
        return exitcodes.CANNOT_RUN
    except Exception as e:
        from cellv2_conformance.cmd import run as run_cmd
        if isinstance(e, run_cmd.SetupError):
            _err(str(e))
            return exitcodes.CANNOT_RUN
        raise
    _print(result)
    section = result.to_dict()
    if args.json:
        print(json.dumps(redact.data(section), indent=1, default=str))
    if args.report_dir:
        from cellv2_conformance.cmd import run as run_cmd
        report_dir = os.path.abspath(args.report_dir)
        os.makedirs(report_dir, exist_ok=True)
        write_section(report_dir, section)
        run_cmd.write_reports(report_dir, started, 'audit', inv=inv,
                              command=sys.argv)
        _say('report: %s' % os.path.join(report_dir, 'report.html'))
    _say('%s (%s s: read %s s, judge %s s)' % (
        consistency_report.headline(section).upper()
        if not result.consistent else consistency_report.headline(section),
        result.timings['total_s'], result.timings['read_s'],
        result.timings['judge_s']))
    return exitcodes.OK if result.consistent else exitcodes.FAILED


def add_parsers(sub):
    sp = sub.add_parser(
        'audit', help='pre-upgrade consistency audit (read-only)',
        description='Cross-check every record of the API DB, each cell DB, '
                    'placement, Blazar, RabbitMQ and the cell '
                    'configuration, both ways, read-only; print every '
                    'inconsistency with the command that repairs it '
                    '(never run). Exit 0: consistent; 1: inconsistencies; '
                    '2: could not audit.')
    sp.add_argument('--inventory', required=True,
                    help='cells inventory (read-only database URLs are '
                         'used when given)')
    sp.add_argument('--tempest-conf',
                    help='tempest.conf of the cloud: its admin reads '
                         'placement through the API when the inventory '
                         'names no placement database')
    sp.add_argument('--report-dir', help='also write run.json, '
                    'junit.xml, report.html, summary.md there')
    sp.add_argument('--family', action='append',
                    help='audit only this family (repeatable)')
    sp.add_argument('--no-nova-status', action='store_true',
                    help='do not run `nova-status upgrade check`')
    sp.add_argument('--json', action='store_true',
                    help='print the records as JSON too')
    sp.set_defaults(func=cmd_audit)
