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

"""The fault watchdog: heals one fault even if the harness is killed.

``python -m cellv2_conformance.faults.watchdog --journal J --id X --ttl N
[--parent-pid P --parent-create-time T]``

Started by :func:`cellv2_conformance.faults.inject` in its own session
*before* the fault takes effect.  It watches the journal and

* exits as soon as the fault is closed (healed/abandoned) by anyone,
* heals it when the TTL expires, or when the parent (the process that
  injected it, identified by pid *and* start time) is gone,
* retries a failed heal with a growing pause (at most 30 s), every attempt
  counted in the journal record (``heal-failed``, ``heal_attempts``,
  ``error``); after GIVE_UP_S of failures it records
  ``watchdog_gave_up_at`` and exits: ``fault list`` and ``status`` show
  the fault as needing attention and ``down`` reports it.  Nothing it
  reads (a malformed journal line, a vanished inventory) ends it with a
  traceback.
"""

import argparse
import datetime
import sys
import time

import psutil

GIVE_UP_S = 1800
RECORD_GRACE_S = 20
MAX_PAUSE_S = 30


def _log(msg):
    print('%s %s' % (datetime.datetime.now(datetime.timezone.utc)
                     .isoformat(timespec='seconds'), msg), flush=True)


def parent_alive(pid, create_time=None):
    if not pid:
        return True
    try:
        p = psutil.Process(pid)
        if create_time and abs(p.create_time() - create_time) > 0.5:
            return False
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def reason_to_heal(record, parent_pid, parent_create_time, now=None):
    """Why the watchdog must heal now ('ttl', 'parent-died') or None."""
    now = time.time() if now is None else now
    try:
        expires = float(record.get('expires_at') or 0)
    except (TypeError, ValueError):
        expires = 0       # unreadable: heal now rather than never
    if now >= expires:
        return 'ttl'
    if parent_pid and not parent_alive(parent_pid, parent_create_time):
        return 'parent-died'
    return None


def run(journal_path, fault_id, ttl, parent_pid=None,
        parent_create_time=None, interval=0.5, give_up_s=GIVE_UP_S,
        record_grace_s=RECORD_GRACE_S):
    from cellv2_conformance import faults
    from cellv2_conformance.faults import journal as journal_mod
    jr = journal_mod.Journal(journal_path)
    _log('watching fault %s (ttl %ss, parent %s)' % (fault_id, ttl,
                                                     parent_pid or '-'))
    failures, first_failure = 0, None
    started = time.monotonic()
    while True:
        try:
            record = jr.get(fault_id)
        except KeyError:
            # Started just before inject() writes the record.
            if time.monotonic() - started < record_grace_s:
                time.sleep(interval)
                continue
            _log('fault %s not in %s; exiting' % (fault_id, journal_path))
            return 0
        except Exception as e:    # unreadable for now: look again
            _log('cannot read %s: %s' % (journal_path, e))
            time.sleep(interval)
            continue
        if record.get('status') in journal_mod.CLOSED:
            _log('fault %s is %s (by %s); exiting' % (
                fault_id, record['status'], record.get('healed_by')))
            return 0
        reason = reason_to_heal(record, parent_pid, parent_create_time)
        if not reason:
            time.sleep(interval)
            continue
        _log('healing fault %s (%s %s): %s' % (
            fault_id, record.get('target'), record.get('action'), reason))
        try:
            final = faults.heal(fault_id, journal=jr,
                                by='watchdog:%s' % reason)
            _log('fault %s %s' % (fault_id, final['status']))
            return 0
        except Exception as e:    # keep trying: this is the last line
            failures += 1
            first_failure = first_failure or time.monotonic()
            _log('heal attempt %d failed: %s' % (failures, e))
        if time.monotonic() - first_failure >= give_up_s:
            msg = ('gave up after %d failed heal(s) in %ds; run '
                   '`cellv2-conformance fault heal-all`' % (
                       failures, give_up_s))
            _log(msg)
            try:
                jr.update(fault_id, watchdog_gave_up_at=journal_mod.now())
            except Exception as e:
                _log('could not record that in the journal: %s' % e)
            return 1
        time.sleep(min(MAX_PAUSE_S, 2 ** min(failures, 5)))


def main(argv=None):
    p = argparse.ArgumentParser(prog='cellv2-conformance-fault-watchdog')
    p.add_argument('--journal', required=True)
    p.add_argument('--id', required=True)
    p.add_argument('--ttl', type=float, required=True)
    p.add_argument('--parent-pid', type=int)
    p.add_argument('--parent-create-time', type=float)
    a = p.parse_args(argv)
    try:
        return run(a.journal, a.id, a.ttl, a.parent_pid,
                   a.parent_create_time)
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
