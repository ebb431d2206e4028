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


def inject(inv, spec, ttl=DEFAULT_TTL, parent_pid='self', watchdog=True,
           verify_timeout=VERIFY_TIMEOUT):
    """Inject a fault; return its journal record once its effect is
    verified.  On any failure the fault is healed before raising.

    :param parent_pid: the process whose death heals the fault ('self' =
        this process; None = TTL only, for the CLI).
    """
    target, action = parse_spec(spec)
    executor = targets.parse(inv, target)
    executor.check_action(action)
    if ttl is None or ttl <= 0:
        raise FaultError('a fault needs a positive TTL (seconds)')
    jr = journal_for(inv)
    parent = _owner(os.getpid() if parent_pid == 'self' else parent_pid) \
        if parent_pid else None
    record = {
        'id': 'f-%s' % uuid.uuid4().hex[:12], 'target': executor.target,
        'action': action, 'kind': executor.kind,
        'cell': executor.cell.name if executor.cell else None,
        'status': 'injecting', 'inventory': os.path.abspath(inv.path),
        'workdir': inv.workdir, 'ttl': ttl,
        'created_at': journal_mod.now(), 'expires_at': time.time() + ttl,
        'owner': parent, 'evidence': [], 'injected_at': None,
        'verified_at': None, 'healed_at': None, 'heal_verified_at': None,
    }
    busy = [r for r in jr.open_faults() if r['target'] == executor.target]
    if busy:
        raise FaultError('target %s already has open fault(s) %s; heal them '
                         'first (cellv2-conformance fault heal-all)' % (
                             executor.target,
                             ', '.join(r['id'] for r in busy)))
    executor.prepare(action, record)
    jr.write(record)
    try:
        if watchdog:
            record['watchdog'] = _spawn_watchdog(jr, record, parent)
            jr.write(record)
        executor.inject(action, record)
        record['injected_at'] = journal_mod.now()
        jr.write(record)
        record['evidence'] += executor.verify(action, record,
                                              verify_timeout)
        record['verified_at'] = journal_mod.now()
        record['status'] = 'active'
        jr.write(record)
        return record
    except BaseException as e:
        record['error'] = 'injection failed: %s: %s' % (
            type(e).__name__, redact.text(e))
        jr.write(record)
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


def heal(fault_id, journal=None, inv=None, by='harness',
         timeout=HEAL_TIMEOUT):
    """Heal one fault (idempotent); return its final record.

    Raises FaultError when the recovery cannot be verified; the fault then
    stays open (``heal-failed``) for ``heal-all``/the watchdog to retry.
    """
    if journal is None:
        if inv is None:
            raise FaultError('heal(): pass the journal or the inventory')
        journal = journal_for(inv)
    with journal.locked():
        record = journal.get(fault_id)
        if record['status'] in journal_mod.CLOSED:
            return record
        inv = inv or _load_inventory(record)
        executor = targets.parse(inv, record['target'])
        if executor.procs.cloud_is_down():
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
            record['evidence'] = list(record.get('evidence') or []) + \
                executor.verify_healed(record['action'], record, timeout)
        except Exception as e:
            record.update(status='heal-failed', error='heal by %s failed: '
                          '%s: %s' % (by, type(e).__name__, redact.text(e)))
            journal.write(record)
            raise FaultError('fault %s (%s %s) not healed: %s' % (
                fault_id, record['target'], record['action'],
                record['error']))
        record.update(status='healed', healed_by=by, error=None,
                      heal_verified_at=journal_mod.now())
        return journal.write(record)


def heal_all(workdir, by='heal-all', out=None):
    """Heal every fault still open in ``<workdir>/faults.jsonl``.

    Returns the list of records healed (or attempted); errors are reported
    through ``out`` and in the records, never raised, so ``down`` goes on.
    """
    path = os.path.join(os.path.abspath(workdir), 'faults.jsonl')
    jr = journal_mod.Journal(path)
    results = []
    for rec in jr.open_faults():
        try:
            results.append(heal(rec['id'], journal=jr, by=by))
        except (FaultError, inventory_mod.InventoryError, OSError) as e:
            if out:
                out('fault %s (%s %s): %s' % (rec['id'], rec['target'],
                                              rec['action'],
                                              redact.text(e)))
            results.append(jr.get(rec['id']))
    return results


def list_faults(workdir):
    path = os.path.join(os.path.abspath(workdir), 'faults.jsonl')
    return list(journal_mod.Journal(path).records().values())


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
