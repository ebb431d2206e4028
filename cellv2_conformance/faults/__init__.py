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

"""Fault injection that always heals.

A fault acts on a target named from the cells inventory (``cell(cell2).db``,
``cell(cell2).mq``, ``cell(cell2).conductor``, ``service(nova-scheduler)``,
``cell(cell2)``; see :mod:`.targets`) and goes through a journal
(``<workdir>/faults.jsonl``)::

    injecting -> active (effect verified by inspection)
              -> healing -> healed (recovery verified by inspection)

* ``injected(inv, spec, ttl=...)`` is the context manager checks use: it
  heals in ``finally``.
* At injection a detached watchdog (:mod:`.watchdog`) is spawned *before*
  the fault takes effect; it heals when the TTL expires or when the
  injecting process dies (even ``kill -9``), and exits once the journal says
  healed.
* ``heal()`` is idempotent: healing means "make the target healthy", so
  healing twice, or healing a fault that never took effect, is harmless.
* ``heal_all(workdir)`` heals everything still open (``fault heal-all`` and
  ``down`` use it).

``spec`` is ``"<target>:<action>"`` (e.g. ``"cell(cell2).db:stop"``), a
``(target, action)`` pair or a dict with those keys.
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid

import psutil

from cellv2_conformance.faults import journal as journal_mod
from cellv2_conformance.faults import targets
from cellv2_conformance.faults.targets import FaultError
from cellv2_conformance import inventory as inventory_mod
from cellv2_conformance import redact

__all__ = ['FaultError', 'inject', 'heal', 'heal_all', 'injected',
           'parse_spec', 'journal_for', 'list_faults']

VERIFY_TIMEOUT = 60
HEAL_TIMEOUT = 120
DEFAULT_TTL = 600

_WATCHDOGS = {}


def parse_spec(spec):
    """(target, action) from a spec string, pair or dict."""
    if isinstance(spec, dict):
        target, action = spec.get('target'), spec.get('action')
    elif isinstance(spec, (tuple, list)) and len(spec) == 2:
        target, action = spec
    elif isinstance(spec, str) and ':' in spec:
        target, _, action = spec.rpartition(':')
    else:
        raise FaultError('fault spec %r: expected "<target>:<action>", e.g. '
                         '"cell(cell2).db:stop"' % (spec,))
    if not target or not action:
        raise FaultError('fault spec %r needs a target and an action' %
                         (spec,))
    return target.strip(), action.strip()


def journal_for(inv):
    path = inv.data.get('faults_journal')
    if not path:
        if not inv.workdir:
            raise FaultError('inventory %s names neither faults_journal nor '
                             'workdir: nowhere to journal faults' % inv.path)
        path = os.path.join(inv.workdir, 'faults.jsonl')
    return journal_mod.Journal(path)


def _load_inventory(record):
    return inventory_mod.load(record['inventory'])


def _owner(pid):
    try:
        return {'pid': pid, 'create_time': psutil.Process(pid).create_time()}
    except psutil.Error:
        return {'pid': pid, 'create_time': None}


def _reap_watchdogs():
    for pid, proc in list(_WATCHDOGS.items()):
        if proc.poll() is not None:
            _WATCHDOGS.pop(pid, None)


def _spawn_watchdog(jr, record, parent):
    """Start the detached watchdog (own session, survives our death)."""
    _reap_watchdogs()
    logdir = os.path.join(os.path.dirname(jr.path), 'logs')
    os.makedirs(logdir, exist_ok=True)
    log_path = os.path.join(logdir, 'fault-watchdog-%s.log' % record['id'])
    argv = [sys.executable, '-m', 'cellv2_conformance.faults.watchdog',
            '--journal', jr.path, '--id', record['id'],
            '--ttl', str(record['ttl'])]
    if parent:
        argv += ['--parent-pid', str(parent['pid'])]
        if parent.get('create_time'):
            argv += ['--parent-create-time', repr(parent['create_time'])]
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['PYTHONPATH'] = os.pathsep.join(p for p in sys.path if p)
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, close_fds=True)
    _WATCHDOGS[proc.pid] = proc
    return {'pid': proc.pid, 'log': log_path,
            'create_time': _owner(proc.pid)['create_time']}


def _refuse_foreign(inv, allow_foreign):
    if targets.deployed_by_us(inv):
        return
    if allow_foreign and inv.data.get('allow_foreign_faults') is True:
        return
    raise FaultError(
        'inventory %s was not written by `cellv2-conformance deploy` for '
        'its workdir: its targets are not processes, vhosts or cells this '
        'harness started. Faults on such a cloud need both '
        '"allow_foreign_faults: true" in the inventory and '
        '--allow-foreign-faults on the command line' % inv.path)


def _busy(jr, resources):
    mine = set(resources)
    return [r for r in jr.open_faults()
            if mine & set(r.get('resources') or ['target:' + r['target']])]


def inject(inv, spec, ttl=DEFAULT_TTL, parent_pid='self', watchdog=True,
           verify_timeout=VERIFY_TIMEOUT, allow_foreign=False):
    """Inject a fault; return its journal record once its effect is
    verified.  On any failure the fault is healed before raising.

    :param parent_pid: the process whose death heals the fault ('self' =
        this process; None = TTL only, for the CLI).
    :param allow_foreign: the caller's half of the opt-in for an inventory
        this harness's deployer did not write (the inventory must say
        ``allow_foreign_faults: true`` too).

    The journal record is written, the effect injected and the record
    marked injected under the journal/state lock; if the watchdog healed
    the fault meanwhile (the TTL expired) the injection stops there and
    nothing is reopened.
    """
    target, action = parse_spec(spec)
    if ttl is None or not isinstance(ttl, (int, float)) or ttl <= 0:
        raise FaultError('a fault needs a positive TTL (seconds)')
    executor = targets.parse(inv, target)
    executor.check_action(action)
    _refuse_foreign(inv, allow_foreign)
    jr = journal_for(inv)
    parent = _owner(os.getpid() if parent_pid == 'self' else parent_pid) \
        if parent_pid else None
    record = {
        'id': 'f-%s' % uuid.uuid4().hex[:12], 'target': executor.target,
        'resources': list(executor.resources),
        'action': action, 'kind': executor.kind,
        'cell': executor.cell.name if executor.cell else None,
        'status': 'injecting', 'inventory': os.path.abspath(inv.path),
        'workdir': inv.workdir, 'ttl': ttl,
        'created_at': journal_mod.now(), 'expires_at': time.time() + ttl,
        'owner': parent, 'evidence': [], 'injected_at': None,
        'verified_at': None, 'healed_at': None, 'heal_verified_at': None,
    }
    with _journal_lock(jr):
        busy = _busy(jr, executor.resources)
        if busy:
            raise FaultError(
                'target %s is already under open fault(s) %s (%s); heal '
                'them first (cellv2-conformance fault heal-all)' % (
                    executor.target, ', '.join(r['id'] for r in busy),
                    ', '.join(sorted({r['target'] for r in busy}))))
        executor.prepare(action, record)
        # The watchdog starts before the record exists (it waits for it):
        # whenever this process dies from here on, someone heals.
        if watchdog:
            record['watchdog'] = _spawn_watchdog(jr, record, parent)
        jr.write(record)
    try:
        with jr.locked():
            current = jr.get(record['id'])
            if current.get('status') in journal_mod.CLOSED:
                raise journal_mod.RecordClosed(current)   # healed already
            executor.inject(action, record)
            record['injected_at'] = journal_mod.now()
            jr.write(record)
        evidence = executor.verify(action, record, verify_timeout)
        with jr.locked():
            record['evidence'] += evidence
            record['verified_at'] = journal_mod.now()
            record['status'] = 'active'
            jr.write(record)      # RecordClosed: healed while verifying
        return record
    except journal_mod.RecordClosed as e:
        record.update(e.record)
        raise FaultError(
            'fault %s (%s %s) was closed by %s before its injection '
            'completed (TTL %ss); nothing is left in effect' % (
                record['id'], executor.target, action,
                e.record.get('healed_by'), ttl))
    except BaseException as e:
        record['error'] = 'injection failed: %s: %s' % (
            type(e).__name__, redact.text(e))
        try:
            jr.write(record)
        except journal_mod.RecordClosed:
            pass
        try:
            heal(record['id'], journal=jr, inv=inv, by='inject-failure')
        except FaultError:
            pass
        if isinstance(e, FaultError):
            raise
        if isinstance(e, Exception):
            raise FaultError('%s %s: %s' % (executor.target, action,
                                            record['error']))
        raise


def _journal_lock(jr):
    try:
        return jr.locked()
    except FileNotFoundError as e:
        raise FaultError(str(e))


def heal(fault_id, journal=None, inv=None, by='harness',
         timeout=HEAL_TIMEOUT, verify=True):
    """Heal one fault (idempotent); return its final record.

    Raises FaultError when the recovery cannot be verified; the fault then
    stays open (``heal-failed``, with the attempt counted) for
    ``heal-all``/the watchdog to retry.  ``verify=False`` (for ``down``,
    which stops everything next) undoes the fault without waiting for the
    recovery to show.

    The undo runs under the journal/state lock; the (possibly long) wait
    for the recovery to show does not, so a heal that is slow to verify
    never holds up ``down``, another fault or the deployment's state.  If
    someone else closed the fault meanwhile, their record stands.
    """
    if journal is None:
        if inv is None:
            raise FaultError('heal(): pass the journal or the inventory')
        journal = journal_for(inv)
    with _journal_lock(journal):
        try:
            record = journal.get(fault_id)
        except KeyError as e:
            raise FaultError(str(e).strip('"'))
        if record['status'] in journal_mod.CLOSED:
            return record
        try:
            inv = inv or _load_inventory(record)
            executor = targets.parse(inv, record['target'])
            down = executor.procs.cloud_is_down()
        except (inventory_mod.InventoryError, FaultError) as e:
            if os.path.exists(record.get('inventory') or ''):
                record.update(status='heal-failed', error='heal by %s: %s' % (
                    by, redact.text(e)))
                journal.write(record)
                raise FaultError('fault %s: %s' % (fault_id, e))
            down = True
        if down:
            record.update(status='abandoned', healed_by=by,
                          error='the deployment is down; nothing to heal')
            return journal.write(record)
        record['status'] = 'healing'
        journal.write(record)
        try:
            executor.heal(record['action'], record)
            record['healed_at'] = record.get('healed_at') or \
                journal_mod.now()
            journal.write(record)
        except Exception as e:
            _heal_failed(journal, record, by, e)
    evidence = []
    if verify:
        try:
            evidence = executor.verify_healed(record['action'], record,
                                              timeout)
        except Exception as e:
            with _journal_lock(journal):
                current = journal.get(fault_id)
                if current.get('status') in journal_mod.CLOSED:
                    return current
                _heal_failed(journal, record, by, e)
    with _journal_lock(journal):
        current = journal.get(fault_id)
        if current.get('status') in journal_mod.CLOSED:
            return current
        record['evidence'] = list(record.get('evidence') or []) + evidence
        record.update(status='healed', healed_by=by, error=None,
                      heal_verified_at=journal_mod.now() if verify else None)
        return journal.write(record)


def _heal_failed(journal, record, by, exc):
    record.update(
        status='heal-failed',
        heal_attempts=int(record.get('heal_attempts') or 0) + 1,
        error='heal by %s failed: %s: %s' % (
            by, type(exc).__name__, redact.text(exc)))
    journal.write(record)
    raise FaultError('fault %s (%s %s) not healed: %s' % (
        record['id'], record['target'], record['action'], record['error']))


def journal_in(workdir):
    """The fault journal of a deployment workdir (which must exist)."""
    workdir = os.path.abspath(workdir)
    if not os.path.isdir(workdir):
        raise FaultError('workdir %s does not exist' % workdir)
    return journal_mod.Journal(os.path.join(workdir, 'faults.jsonl'))


def heal_all(workdir, by='heal-all', out=None, verify=True):
    """Heal every fault still open in ``<workdir>/faults.jsonl``.

    Returns the list of records healed (or attempted); errors are reported
    through ``out`` and in the records, never raised, so ``down`` goes on.
    """
    jr = journal_in(workdir)
    results = []
    for rec in jr.open_faults():
        try:
            results.append(heal(rec['id'], journal=jr, by=by,
                                verify=verify))
        except (FaultError, inventory_mod.InventoryError, OSError) as e:
            if out:
                out('fault %s (%s %s): %s' % (rec['id'], rec['target'],
                                              rec['action'],
                                              redact.text(e)))
            results.append(jr.get(rec['id']))
    return results


def list_faults(workdir):
    return list(journal_in(workdir).records().values())


def attention(record):
    """Why an open fault needs a person, or None: its heal keeps failing,
    or nobody is left to heal it (watchdog and injecting process gone).
    """
    if record.get('status') not in journal_mod.OPEN:
        return None
    if record.get('watchdog_gave_up_at'):
        return 'the watchdog gave up after %s failed heal(s): %s' % (
            record.get('heal_attempts'), record.get('error'))
    from cellv2_conformance.faults import watchdog as watchdog_mod
    wd, owner = record.get('watchdog') or {}, record.get('owner') or {}
    if not watchdog_mod.parent_alive(wd.get('pid') or -1,
                                     wd.get('create_time')) and \
            not (owner and watchdog_mod.parent_alive(
                owner.get('pid') or -1, owner.get('create_time'))):
        return 'no watchdog and no injecting process left to heal it'
    if record.get('status') == 'heal-failed':
        return 'heal failed %s time(s), retrying: %s' % (
            record.get('heal_attempts'), record.get('error'))
    return None


@contextlib.contextmanager
def injected(inv, spec, ttl=DEFAULT_TTL, **kw):
    """``with injected(inv, 'cell(cell2).db:stop', ttl=300) as fault:``

    Yields the journal record; heals (and verifies recovery) on exit.
    """
    record = inject(inv, spec, ttl=ttl, **kw)
    try:
        yield record
    finally:
        final = heal(record['id'], inv=inv, by='harness')
        record.update(final)
