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

"""`fault`: inject, heal and list faults on a deployment.

    cellv2-conformance fault targets  --workdir W
    cellv2-conformance fault inject   --workdir W --target cell2.db \
                                      --action stop [--ttl 300] [--hold]
    cellv2-conformance fault heal     --workdir W --id f-...
    cellv2-conformance fault heal-all --workdir W
    cellv2-conformance fault list     --workdir W [--json]

A fault injected from the CLI lives until ``fault heal``, ``heal-all``,
``down`` or its TTL (the watchdog heals it); with ``--hold`` the command
keeps it until interrupted (Ctrl-C heals; if the command is killed, the
watchdog heals).
"""

import json
import os
import signal
import sys

from cellv2_conformance import redact


HOLD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _out(msg):
    # flushed: `inject --hold` waits after saying the fault is active, and
    # whoever reads its output through a pipe must see that at once
    print(redact.text(msg), flush=True)


def _inventory(args):
    from cellv2_conformance import inventory
    path = args.inventory or os.path.join(os.path.abspath(args.workdir),
                                          'cells-inventory.yaml')
    return inventory.load(path)


def _fail(msg):
    print('cellv2-conformance fault: error: %s' % redact.text(msg),
          file=sys.stderr)
    return 2


def _show(rec):
    from cellv2_conformance import faults
    _out('%s  %-10s %-24s %-8s injected %s healed %s%s' % (
        rec['id'], rec.get('status'), rec.get('target'), rec.get('action'),
        rec.get('injected_at') or '-', rec.get('heal_verified_at') or '-',
        (' by %s' % rec['healed_by']) if rec.get('healed_by') else ''))
    why = faults.attention(rec)
    if why:
        _out('  NEEDS ATTENTION: %s' % why)


def print_open(workdir, out=_out):
    """For `status` and `down`: faults still open, and why they need a
    person.  Returns how many are open.
    """
    from cellv2_conformance import faults
    try:
        recs = [r for r in faults.list_faults(workdir)
                if r.get('status') not in ('healed', 'abandoned')]
    except faults.FaultError:
        return 0
    for rec in recs:
        why = faults.attention(rec) or 'open; its watchdog heals it'
        out('open fault %s: %s %s (%s): %s' % (
            rec['id'], rec.get('target'), rec.get('action'),
            rec.get('status'), why))
    return len(recs)


def cmd_targets(args):
    from cellv2_conformance.faults import targets
    inv = _inventory(args)
    for target, actions in targets.available(inv):
        _out('%-36s %s' % (target, ', '.join(actions)))
    return 0


def cmd_inject(args):
    from cellv2_conformance import faults
    inv = _inventory(args)
    try:
        rec = faults.inject(inv, (args.target, args.action), ttl=args.ttl,
                            parent_pid='self' if args.hold else None,
                            allow_foreign=args.allow_foreign_faults)
    except faults.FaultError as e:
        return _fail(e)
    _out('fault %s: %s %s active (watchdog pid %s heals it at the latest '
         'in %ss)' % (rec['id'], rec['target'], rec['action'],
                      (rec.get('watchdog') or {}).get('pid'), args.ttl))
    for ev in rec['evidence']:
        _out('  evidence: %s' % ev)
    if not args.hold:
        _out('heal with: cellv2-conformance fault heal --workdir %s --id %s'
             % (args.workdir, rec['id']))
        return 0
    # Wait for Ctrl-C/SIGTERM with the signals blocked and taken by
    # sigtimedwait: a Python handler that sets an Event can run while this
    # very thread is inside Event.wait and deadlock on its lock (seen in
    # the fault soak: the command hung instead of healing).
    signal.pthread_sigmask(signal.SIG_BLOCK, HOLD_SIGNALS)
    _out('holding the fault; Ctrl-C (or SIGTERM) heals it')
    try:
        signal.sigtimedwait(HOLD_SIGNALS, args.ttl)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HOLD_SIGNALS)
    final = faults.heal(rec['id'], inv=inv, by='cli')
    _show(final)
    return 0


def cmd_heal(args):
    from cellv2_conformance import faults
    try:
        rec = faults.heal(args.id, journal=faults.journal_in(args.workdir),
                          by='cli')
    except faults.FaultError as e:
        return _fail(e)
    _show(rec)
    for ev in rec.get('evidence') or []:
        _out('  evidence: %s' % ev)
    return 0


def cmd_heal_all(args):
    from cellv2_conformance import faults
    recs = faults.heal_all(args.workdir, by='cli:heal-all', out=_out)
    for rec in recs:
        _show(rec)
    still = [r for r in recs if r['status'] not in ('healed', 'abandoned')]
    if not recs:
        _out('no open faults in %s' % args.workdir)
    return 1 if still else 0


def cmd_list(args):
    from cellv2_conformance import faults
    recs = faults.list_faults(args.workdir)
    if args.json:
        print(json.dumps(redact.data(recs), indent=1, sort_keys=True))
        return 0
    for rec in recs:
        _show(rec)
    if not recs:
        _out('no faults recorded in %s' % args.workdir)
    return 0


class _KnownActions:
    """The actions the fault executors implement, as argparse ``choices``;
    read from :mod:`cellv2_conformance.faults.targets` only when argparse
    looks (the fault machinery is slow to import on every command).
    """

    def _actions(self):
        from cellv2_conformance.faults import targets
        return targets.known_actions()

    def __contains__(self, action):
        return action in self._actions()

    def __iter__(self):
        return iter(self._actions())


def _positive(text):
    import argparse
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError('must be a positive number of '
                                         'seconds, not %r' % text)
    return value


def add_parsers(sub, wd):
    p = sub.add_parser('fault', help='inject, heal and list faults')
    fsub = p.add_subparsers(dest='fault_command', required=True)

    def common(sp):
        wd(sp)
        sp.add_argument('--inventory', help='cells inventory (default: '
                        '<workdir>/cells-inventory.yaml)')

    sp = fsub.add_parser('targets', help='targets and actions available')
    common(sp)
    sp.set_defaults(func=cmd_targets)

    sp = fsub.add_parser('inject', help='inject one fault')
    common(sp)
    sp.add_argument('--target', required=True,
                    help='e.g. cell2.db, cell(cell2).mq, cell(cell2), '
                         'service(nova-scheduler)')
    sp.add_argument('--action', required=True, choices=_KnownActions(),
                    metavar='ACTION',
                    help='one of %(choices)s: stop|freeze (db, processes), '
                         'revoke (mq), disable|disable-restart (cell); '
                         '`fault targets` lists what each target supports')
    sp.add_argument('--ttl', type=_positive, default=300,
                    help='seconds after which the watchdog heals '
                         '(default: %(default)s)')
    sp.add_argument('--allow-foreign-faults', action='store_true',
                    help='allow faults on a cloud this harness did not '
                         'deploy (its inventory must also say '
                         'allow_foreign_faults: true)')
    sp.add_argument('--hold', action='store_true',
                    help='keep the fault until interrupted, then heal')
    sp.set_defaults(func=cmd_inject)

    sp = fsub.add_parser('heal', help='heal one fault')
    wd(sp)
    sp.add_argument('--id', required=True)
    sp.set_defaults(func=cmd_heal)

    sp = fsub.add_parser('heal-all', help='heal every open fault')
    wd(sp)
    sp.set_defaults(func=cmd_heal_all)

    sp = fsub.add_parser('list', help='print the fault journal')
    wd(sp)
    sp.add_argument('--json', action='store_true')
    sp.set_defaults(func=cmd_list)
    return p
