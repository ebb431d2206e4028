"""The fault journal: ``<workdir>/faults.jsonl`` (``faults_journal``).

Append-only JSON lines; every line is the full record of one fault at one
moment, so the last line of an id is its current state and the file as a
whole is the fault timeline a report can draw.  Writers take an exclusive
``flock`` on ``<journal>.lock``, which also serialises healing: the harness,
the watchdog and ``fault heal-all`` never heal the same fault at once.

A record::

    {"id", "target", "action", "status", "inventory", "ttl", "expires_at",
     "owner": {"pid", "create_time"}, "watchdog": {"pid", "create_time"},
     "injected_at", "verified_at", "healed_at", "heal_verified_at",
     "healed_by", "evidence": [...], "undo": {...}, "error"}

Times are UTC ISO 8601.  No secrets: targets are names from the inventory,
evidence strings go through :func:`cellv2_conformance.redact.text`.
"""

import contextlib
import datetime
import fcntl
import json
import os

from cellv2_conformance import redact

# A fault in one of these states may still be in effect: heal-all heals it.
OPEN = ('injecting', 'active', 'healing', 'heal-failed')
CLOSED = ('healed', 'abandoned')


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


class Journal:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.lock_path = self.path + '.lock'

    @contextlib.contextmanager
    def locked(self):
        """Exclusive lock over the journal (held while healing)."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _lines(self):
        try:
            with open(self.path, encoding='utf-8') as f:
                for line in f:
                    line = line.strip()
                    if not line:
                        continue
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue      # a torn last line of a killed writer
        except FileNotFoundError:
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
        """Append the record's current state (caller may hold the lock)."""
        rec = dict(record)
        rec['evidence'] = [redact.text(e) for e in rec.get('evidence', [])]
        if rec.get('error'):
            rec['error'] = redact.text(rec['error'])
        rec['written_at'] = now()
        line = json.dumps(rec, sort_keys=True) + '\n'
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                     0o600)
        try:
            os.write(fd, line.encode('utf-8'))
        finally:
            os.close(fd)
        return rec
