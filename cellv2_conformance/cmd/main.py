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

"""The ``cellv2-conformance`` command line."""

import argparse
import os
import sys

from cellv2_conformance.cmd import exitcodes
from cellv2_conformance.cmd import shell
from cellv2_conformance import errors
from cellv2_conformance import redact

DEFAULT_WORKDIR = os.environ.get('CELLV2_WORKDIR', os.path.join(
    os.getcwd(), 'work', 'cloud'))


def _err(msg):
    print('cellv2-conformance: error: %s' % redact.text(msg), file=sys.stderr)


def cmd_deploy(args):
    from cellv2_conformance.cmd.run import _sigterm_as_interrupt
    from cellv2_conformance.deploy import deployer
    from cellv2_conformance import scenario
    sc = scenario.load(args.scenario)
    d = deployer.Deployer(sc, args.workdir)
    with _sigterm_as_interrupt():      # SIGTERM tears down like Ctrl-C
        inv = d.deploy()
    print('inventory: %s' % inv)
    print('tempest.conf: %s' % d.state.data['tempest_conf'])
    return 0


def cmd_down(args):
    from cellv2_conformance.cmd import down
    return down.down(args.workdir, keep=args.keep)


def cmd_status(args):
    from cellv2_conformance.cmd import fault as fault_cmd
    from cellv2_conformance.deploy import status
    rc = status.show(args.workdir, as_json=args.json)
    if not args.json and fault_cmd.print_open(args.workdir, out=print):
        rc = rc or 1
    return rc


def cmd_logs(args):
    from cellv2_conformance.deploy import status
    return status.logs(args.workdir, args.service, args.lines)


def cmd_scenarios(args):
    from cellv2_conformance import scenario
    for name in scenario.bundled_names():
        sc = scenario.load(name)
        print('%-12s %s' % (name, sc.description))
    return 0


def cmd_inventory(args):
    """Write a cells inventory discovered from the API database."""
    from cellv2_conformance.deploy import process
    from cellv2_conformance import inventory
    try:
        url = args.api_db or inventory.nova_conf_api_database(args.nova_conf)
        inv = inventory.discover(url, read_url=args.readonly_db)
    except inventory.InventoryError as e:
        _err(str(e))
        return 2
    if args.nova_conf:
        # The same nova.conf drives the nova-manage checks.
        import shutil
        here = os.path.join(os.path.dirname(sys.executable), 'nova-manage')
        manage = here if os.path.exists(here) else (
            shutil.which('nova-manage') or 'nova-manage')
        inv.data['api']['nova_manage'] = [
            manage] + [a for f in args.nova_conf for a in (
                '--config-file', os.path.abspath(f))]
        try:
            transport = inventory.nova_conf_transport(args.nova_conf)
        except inventory.InventoryError as e:
            _err(str(e))
            return 2
        if transport:
            # the API-level queue, independent of cell_mappings
            inv.data['api']['transport'] = transport
    for c in inv.cells:
        print('%-12s %s  %d host(s)%s' % (c.name, c.uuid, len(c.hosts),
                                          ' (disabled)' if c.disabled
                                          else ''))
    if args.output == '-':
        print(redact.text(inventory.dump(inv)))
    else:
        process.write_private(args.output, inventory.dump(inv))
        print('wrote %s (mode 0600: it holds the cells\' database and '
              'transport URLs)' % args.output)
    return 0


def build_parser():
    p = shell.UsageParser(
        prog='cellv2-conformance',
        description='Deploy real local Nova Cells v2 + Blazar clouds, run '
                    'the conformance suite, inject faults, report timings.',
        epilog=exitcodes.epilog(),
        formatter_class=shell.HelpFormatter)
    shell.add_global_args(p)
    sub = p.add_subparsers(dest='command', required=True,
                           metavar='COMMAND', title='commands')

    def wd(sp):
        sp.add_argument('--workdir', default=DEFAULT_WORKDIR,
                        help='deployment directory (default: %(default)s)')

    sp = sub.add_parser('deploy', help='deploy a scenario locally')
    sp.add_argument('--scenario', default='multi-cell',
                    help='bundled scenario name or path to a YAML file')
    wd(sp)
    sp.set_defaults(func=cmd_deploy)

    sp = sub.add_parser('down', help='stop everything a deploy started')
    sp.add_argument('--keep', action='store_true',
                    help='keep data, configs and logs in the workdir')
    wd(sp)
    sp.set_defaults(func=cmd_down)

    sp = sub.add_parser('status', help='services, pids, ports, RSS, logs')
    sp.add_argument('--json', action='store_true')
    wd(sp)
    sp.set_defaults(func=cmd_status)

    sp = sub.add_parser('logs', help='show the log of one service')
    sp.add_argument('service')
    sp.add_argument('-n', '--lines', type=int, default=50)
    wd(sp)
    sp.set_defaults(func=cmd_logs)

    sp = sub.add_parser(
        'inventory', help='write a cells inventory from an existing cloud',
        description='Discover the cells of an existing cloud from its nova '
                    'API database (cell_mappings, host_mappings; read only) '
                    'and write a cells inventory for `validate` and '
                    '[cellv2] inventory.  Add mq credentials, read-only '
                    'database URLs and services by hand where wanted.')
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument('--api-db', help='nova API database URL')
    src.add_argument('--nova-conf', action='append',
                     help='a nova.conf whose [api_database] connection to '
                          'use; repeat it for a service that runs with '
                          'several config files (read in order, the last '
                          'wins, as --config-file); nova-manage gets them '
                          'all')
    sp.add_argument('--readonly-db', help='read the API database through '
                    'this URL (a SELECT-only account) instead')
    sp.add_argument('--output', required=True,
                    help='file to write (mode 0600), or - for stdout '
                         '(passwords masked)')
    sp.set_defaults(func=cmd_inventory)

    sp = sub.add_parser('scenarios', help='list the bundled scenarios')
    sp.set_defaults(func=cmd_scenarios)

    from cellv2_conformance.cmd import audit as audit_cmd
    from cellv2_conformance.cmd import cleanup as cleanup_cmd
    from cellv2_conformance.cmd import fault as fault_cmd
    from cellv2_conformance.cmd import report as report_cmd
    from cellv2_conformance.cmd import run as run_cmd
    run_cmd.add_parsers(sub, wd)
    report_cmd.add_parsers(sub)
    fault_cmd.add_parsers(sub, wd)
    audit_cmd.add_parsers(sub)
    cleanup_cmd.add_parsers(sub)
    _with_exit_codes(p)
    shell.add_global_args_everywhere(p)
    return p


def _with_exit_codes(parser):
    """Every sub-command's --help ends with the exit code table."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sp in set(action.choices.values()):
                sp.epilog = ((sp.epilog + '\n\n') if sp.epilog else '') + \
                    exitcodes.epilog()
                sp.formatter_class = shell.HelpFormatter
                _with_exit_codes(sp)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)      # usage error: exit 64
    try:
        shell.setup_logging(args)
    except OSError as e:
        _err('cannot open --log-file %s: %s' % (args.log_file, e.strerror))
        return exitcodes.CANNOT_RUN
    shell.LOG.debug('command: %s', ' '.join(redact.argv(
        ['cellv2-conformance'] + list(sys.argv[1:] if argv is None
                                      else argv))))
    try:
        return args.func(args) or 0
    except errors.Interrupted as e:
        _err(str(e))
        return exitcodes.INTERRUPTED
    except errors.CannotRun as e:
        # Bad input or a cloud we cannot work with: one message, exit 2
        # (DeployError, ScenarioError, InventoryError, FaultError, ...).
        shell.log_traceback('%s' % type(e).__name__)
        _err(str(e))
        return exitcodes.CANNOT_RUN
    except OSError as e:
        shell.log_traceback('%s' % type(e).__name__)
        _err('%s%s' % (e.strerror or e, ': %s' % e.filename
                       if e.filename else ''))
        return exitcodes.CANNOT_RUN
    except KeyboardInterrupt:
        _err('interrupted')
        return exitcodes.INTERRUPTED
    except Exception as e:     # a harness bug: one line, --debug for more
        shell.log_traceback('internal error')
        _err('internal error: %s: %s%s' % (
            type(e).__name__, e, '' if shell.debug() else
            ' (run with --debug for the traceback)'))
        return exitcodes.CANNOT_RUN


if __name__ == '__main__':
    sys.exit(main())
