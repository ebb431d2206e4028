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

"""The fault journal: ``<workdir>/faults.jsonl`` (``faults_journal``).

Append-only JSON lines; every line is the full record of one fault at one
moment, so the last line of an id is its current state and the file as a
whole is the fault timeline a report can draw.  Every write happens under
the lock ``.state.lock`` next to the journal -- for a deployment the very
lock that guards its ``state.json`` -- which also serialises injecting and
healing: the harness, the watchdog and ``fault heal-all`` never act on the
same fault at once, and a fault healed (closed) is never written back open
by a writer holding an older copy (:class:`RecordClosed`).

Lines that are not a JSON object with a string ``id`` (a torn last line of
a killed writer, a hand edit) are skipped, never fatal.

A record::

    {"id", "target", "action", "status", "inventory", "ttl", "expires_at",
     "owner": {"pid", "create_time"}, "watchdog": {"pid", "create_time"},
     "injected_at", "verified_at", "healed_at", "heal_verified_at",
     "healed_by", "evidence": [...], "undo": {...}, "error"}

Times are UTC ISO 8601.  No secrets: targets are names from the inventory,
evidence strings go through :func:`cellv2_conformance.redact.text`.
"""

import datetime
import json
import os

from cellv2_conformance.common import filelock
from cellv2_conformance.deploy.process import STATE_LOCK
from cellv2_conformance import redact

# A fault in one of these states may still be in effect: heal-all heals it.
OPEN = ('injecting', 'active', 'healing', 'heal-failed')
CLOSED = ('healed', 'abandoned')


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class RecordClosed(RuntimeError):
    """A write would reopen a fault that is already closed."""

    def __init__(self, record):
        super().__init__('fault %s is already %s (by %s)' % (
            record['id'], record.get('status'), record.get('healed_by')))
        self.record = record


class Journal:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.lock_path = os.path.join(os.path.dirname(self.path), STATE_LOCK)

    def locked(self):
        """The exclusive lock over the journal (and the deployment's
        state); nests within one thread.
        """
        if not os.path.isdir(os.path.dirname(self.path)):
            raise FileNotFoundError(
                'no directory %s for the fault journal' %
                os.path.dirname(self.path))
        return filelock.locked(self.lock_path)

    def _lines(self):
        try:
            with open(self.path, encoding='utf-8') as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue      # a torn last line of a killed writer
                    if isinstance(rec, dict) and isinstance(
                            rec.get('id'), str):
                        yield rec
        except (FileNotFoundError, NotADirectoryError):
            return

    def history(self, fault_id=None):
        return [r for r in self._lines()
                if fault_id is None or r.get('id') == fault_id]

    def records(self):
        """{id: latest record}, in injection order."""
        out = {}
        for r in self._lines():
            out[r['id']] = r
        return out

    def get(self, fault_id):
        rec = self.records().get(fault_id)
        if rec is None:
            raise KeyError('no fault %s in journal %s' % (fault_id,
                                                          self.path))
        return rec

    def open_faults(self):
        return [r for r in self.records().values()
                if r.get('status') in OPEN]

    def write(self, record):
        """Append the record's current state, under the lock.

        Raises :class:`RecordClosed` (and writes nothing) when the fault is
        already closed and ``record`` would reopen it.
        """
        rec = dict(record)
        rec['evidence'] = [redact.text(e) for e in rec.get('evidence', [])]
        if rec.get('error'):
            rec['error'] = redact.text(rec['error'])
        with self.locked():
            current = self.records().get(rec['id'])
            if current and current.get('status') in CLOSED and \
                    rec.get('status') not in CLOSED:
                raise RecordClosed(current)
            rec['written_at'] = now()
            line = json.dumps(rec, sort_keys=True) + '\n'
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                         0o600)
            try:
                os.write(fd, line.encode('utf-8'))
            finally:
                os.close(fd)
        return rec

    def update(self, fault_id, **changes):
        """Merge ``changes`` into the latest record of an open fault."""
        with self.locked():
            rec = self.get(fault_id)
            if rec.get('status') in CLOSED:
                return rec
            rec.update(changes)
            return self.write(rec)
