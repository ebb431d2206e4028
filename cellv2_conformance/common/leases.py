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

"""Lease waiting, watching and Blazar's date model.

Blazar speaks naive UTC dates with minute granularity (``"%Y-%m-%d %H:%M"``;
``"now"`` is truncated to the minute) and answers with
``YYYY-MM-DDTHH:MM:SS.ffffff``.  Its event loop ticks every 10 s, so a lease
starts and ends some seconds after its scheduled minute; the helpers here
measure that lag instead of assuming punctuality.

* :func:`wait_for_lease` - the lease waiter (on :func:`waiters.wait_for`):
  fails fast on ERROR, returns every transition with a UTC timestamp.
* :class:`LeaseWatcher` - polls a lease in the background from creation to
  a terminal state, recording every transition (lease status, reservation
  and event statuses), so several short leases can overlap in time while
  the checks run one after another and assert on what was recorded.
"""

import datetime
import threading

from tempest.lib import exceptions as lib_exc

from cellv2_conformance.common import waiters

DATE_FORMAT = '%Y-%m-%d %H:%M'
STABLE = ('PENDING', 'ACTIVE', 'TERMINATED', 'ERROR')
TRANSITIONAL = ('CREATING', 'STARTING', 'UPDATING', 'TERMINATING',
                'DELETING')
TERMINAL = ('TERMINATED', 'ERROR')


# -- dates ---------------------------------------------------------------

def utcnow():
    """Naive UTC now (Blazar's clock model has no timezone)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def minute(dt):
    """``dt`` truncated to the whole minute."""
    return dt.replace(second=0, microsecond=0)


def fmt(dt):
    """A Blazar request date: whole UTC minute, ``%Y-%m-%d %H:%M``."""
    return dt.strftime(DATE_FORMAT)


def minutes_after(dt, n):
    return minute(dt) + datetime.timedelta(minutes=n)


def parse(value):
    """Parse a Blazar response date (``2030-01-01T10:00:00.000000`` or
    ``2030-01-01 10:00:00``) to a naive UTC datetime.
    """
    value = value.replace('T', ' ')
    for f in ('%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S', DATE_FORMAT):
        try:
            return datetime.datetime.strptime(value, f)
        except ValueError:
            continue
    raise ValueError('not a Blazar date: %r' % value)


def far_window(slot, days=1, years_ahead=3):
    """A whole-day window far in the future, unique per ``slot``.

    Checks that must not compete for hosts pass distinct slots, so far
    future leases never overlap one another (Blazar's window borders are
    inclusive: leases that merely touch do overlap).
    """
    base = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    start = base + datetime.timedelta(days=365 * years_ahead + 3 * slot)
    return fmt(start), fmt(start + datetime.timedelta(days=days))


# -- configuration ---------------------------------------------------------

def _conf():
    from tempest import config
    return config.CONF.reservation


def interval():
    return _conf().lease_interval


def timeout():
    return _conf().lease_timeout


# -- waiting ----------------------------------------------------------------

def _state(lease):
    return lease['status']


def wait_for_lease(client, lease_id, goal, timeout_s=None, interval_s=None):
    """Wait until the lease status is in ``goal`` (a status or a tuple).

    ERROR is a hard failure unless it is the goal.  Returns the list of
    transitions (``{'state', 'at', 'elapsed'}``).
    """
    goals = (goal,) if isinstance(goal, str) else tuple(goal)
    return waiters.wait_for(
        lambda: client.show_lease(lease_id)['lease'],
        lambda lease: lease['status'] in goals,
        'lease %s' % lease_id, '/'.join(goals),
        timeout_s or timeout(), interval=interval_s or interval(),
        error=lambda lease: lease['status'] == 'ERROR',
        state_of=_state)


def wait_for_lease_deleted(client, lease_id, timeout_s=None):
    """Wait until GET answers 404 (only after a DELETE we issued)."""
    return waiters.wait_for(
        lambda: client.show_lease(lease_id)['lease'],
        lambda lease: False, 'lease %s' % lease_id, 'deleted',
        timeout_s or timeout(), interval=min(interval(), 1.0),
        state_of=_state, not_found_ok=True)


def delete_lease_and_wait(client, lease_id):
    """Cleanup helper: wait out a transitional status (Blazar refuses a
    delete then), delete, and wait until the lease is gone.  NotFound at any
    point means done.
    """
    try:
        waiters.wait_for(
            lambda: client.show_lease(lease_id)['lease'],
            lambda lease: lease['status'] in STABLE,
            'lease %s' % lease_id, 'a stable status', timeout(),
            interval=interval(), state_of=_state, not_found_ok=True)
        client.delete_lease(lease_id)
    except lib_exc.NotFound:
        return
    wait_for_lease_deleted(client, lease_id)


def delete_leases_and_wait(client_factory, lease_ids):
    """Delete several leases concurrently (each thread with its own client
    from ``client_factory()``) and wait until all are gone; re-raises the
    first failure after every deletion was attempted.
    """
    import concurrent.futures
    if not lease_ids:
        return
    with concurrent.futures.ThreadPoolExecutor(len(lease_ids)) as pool:
        futures = [pool.submit(delete_lease_and_wait, client_factory(), i)
                   for i in lease_ids]
        errors = [f.exception() for f in futures if f.exception()]
    if errors:
        raise errors[0]


# -- watching ----------------------------------------------------------------

def signature(lease):
    """What the watcher records: lease status, reservation statuses and
    event statuses by type.
    """
    return {
        'status': lease['status'],
        'reservations': tuple(sorted(r['status']
                                     for r in lease['reservations'])),
        'events': dict(sorted((e['event_type'], e['status'])
                              for e in lease['events'])),
    }


class LeaseWatcher:
    """Background recorder of one lease's transitions.

    ``history`` is a list of ``{'at': datetime (naive UTC), 'status',
    'reservations', 'events', 'lease'}``, one entry per observed change.
    ``on_status[status]`` callbacks run once, in the watcher thread, the
    first time that status is seen; their results (or exceptions) are kept
    in ``hook_results[status]``.
    """

    def __init__(self, client, lease, name=None, on_status=None):
        self.client = client
        self.lease_id = lease['id']
        self.name = name or lease['name']
        self.created = lease
        self.history = []
        self.on_status = dict(on_status or {})
        self.hook_results = {}
        self.error = None
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name='lease-watcher-%s' % self.name,
            daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=30)

    # the recording fetch -------------------------------------------------
    def _fetch(self):
        if self._stop.is_set():
            raise _Stopped()
        lease = self.client.show_lease(self.lease_id)['lease']
        sig = signature(lease)
        with self._lock:
            last = self.history[-1] if self.history else None
            if last is None or {k: last[k] for k in sig} != sig:
                self.history.append(dict(sig, at=utcnow(), lease=lease))
        hook = self.on_status.pop(lease['status'], None)
        if hook is not None:
            try:
                self.hook_results[lease['status']] = ('ok', hook(lease))
            except Exception as e:  # recorded, asserted on by the check
                self.hook_results[lease['status']] = ('error', e)
        return lease

    def _run(self):
        try:
            waiters.wait_for(
                self._fetch, lambda lease: lease['status'] in TERMINAL,
                'lease %s (%s)' % (self.lease_id, self.name),
                '/'.join(TERMINAL), timeout(), interval=interval(),
                state_of=_state, not_found_ok=True)
        except _Stopped:
            pass
        except Exception as e:
            self.error = e
        finally:
            self.finished.set()

    # queries -----------------------------------------------------------------
    def statuses(self):
        """Distinct lease statuses in the order observed."""
        out = []
        with self._lock:
            for h in self.history:
                if not out or out[-1] != h['status']:
                    out.append(h['status'])
        return out

    def first(self, status):
        """The first history entry with that lease status, or None."""
        with self._lock:
            for h in self.history:
                if h['status'] == status:
                    return h
        return None

    def latest(self):
        with self._lock:
            return self.history[-1] if self.history else None

    def wait_for_status(self, status, timeout_s=None):
        """Wait until the watcher has seen ``status`` (or any of a tuple);
        fails fast if the lease went to ERROR or the watcher stopped
        without seeing it.
        """
        goals = (status,) if isinstance(status, str) else tuple(status)

        def seen(_):
            return any(self.first(s) for s in goals)

        def failed(_):
            return (self.first('ERROR') is not None and 'ERROR' not in goals
                    ) or (self.finished.is_set() and not seen(None))

        waiters.wait_for(
            lambda: self.latest(), seen,
            'lease %s (%s) as recorded' % (self.lease_id, self.name),
            '/'.join(goals), timeout_s or timeout(), interval=0.5,
            error=failed,
            state_of=lambda h: h['status'] if h else 'none yet')
        for s in goals:
            if self.first(s):
                return self.first(s)

    def describe(self):
        """Printable transition log for failure messages."""
        with self._lock:
            return '; '.join('%s %s res=%s ev=%s' % (
                h['at'].strftime('%H:%M:%S.%f')[:-3], h['status'],
                ','.join(h['reservations']),
                ','.join('%s=%s' % kv for kv in h['events'].items()))
                for h in self.history)


class _Stopped(Exception):
    pass
