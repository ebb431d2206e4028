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

"""Per-test results from a subunit v2 stream (what ``tempest run --subunit``
writes).

Each test becomes a plain dict::

    {"id": full test id, "class": "pkg.module.Class", "name": "test_x",
     "idempotent_id": "<uuid>" or None, "status": "success" | "fail" |
     "skip" | "xfail" | "uxsuccess" | "not_reproduced" | "not_run",
     "start"/"stop": ISO UTC,
     "duration": seconds, "worker": "worker-0", "tags": [...],
     "cells": [...], "reason": skip reason, "finding": one line,
     "findings": [finding entries, see common.findings],
     "failure": traceback (redacted, capped)}

Statuses of our own, derived from the stream:

* ``xfail`` with a finding attachment: a known finding reproduced;
* ``not_reproduced``: a finding's documented behaviour was observed
  ("finding no longer reproduced"); ``strict`` says whether it failed the
  test (``[cellv2] strict_findings``), which alone makes it fail the run;
* ``not_run``: a test of a class whose ``setUpClass`` failed (set by
  report.document: the fixture's one failed record names the cause).

Statuses that never reached a verdict (``inprogress``: the worker died) are
reported as ``fail`` with a note, so a crash is never counted as a pass.
"""

import io
import re

from cellv2_conformance.common import findings as findings_mod

import subunit
import testtools

from cellv2_conformance import redact

STATUSES = ('success', 'fail', 'skip', 'xfail', 'uxsuccess',
            'not_reproduced', 'not_run')
FAILED = ('fail', 'uxsuccess')
NOT_REPRODUCED = 'not_reproduced'
NOT_RUN = 'not_run'


def failed(rec):
    """Whether a record fails the run: a failure, an unexpected success,
    or a finding no longer reproduced under strict_findings.
    """
    return rec['status'] in FAILED or (
        rec['status'] == NOT_REPRODUCED and bool(rec.get('strict')))


MAX_DETAIL = 20000

_ID = re.compile(r'^(?P<base>[^\[]+?)(?:\[(?P<attrs>[^\]]*)\])?$')
_FIXTURE = re.compile(r'^(?P<what>setUpClass|tearDownClass|setUpModule|'
                      r'tearDownModule) \((?P<cls>[^)]+)\)$')


def split_id(test_id):
    """``(class, name, attrs)`` of a tempest/testtools test id."""
    m = _FIXTURE.match(test_id)
    if m:
        return m.group('cls'), m.group('what'), []
    m = _ID.match(test_id)
    base = m.group('base') if m else test_id
    attrs = [a.strip() for a in (m.group('attrs') or '').split(',')
             if a.strip()] if m else []
    cls, _, name = base.rpartition('.')
    return cls or base, name or base, attrs


def text_of(content):
    """The text of a testtools Content object (its chunks may be bytes or
    memoryviews).
    """
    try:
        return ''.join(c if isinstance(c, str) else bytes(c).decode(
            'utf-8', 'replace') for c in content.iter_bytes())
    except Exception:
        return ''


def _cap(s, limit=MAX_DETAIL):
    s = redact.text(s)
    if len(s) > limit:
        return s[:limit // 2] + '\n[... %d characters cut ...]\n' % (
            len(s) - limit) + s[-limit // 2:]
    return s


_HEADLINE = re.compile(
    r'^[A-Za-z_][\w.]*(?:Error|Exception|Failure|Timeout|Fault|NotFound|'
    r'Conflict|BadRequest|Forbidden|Unauthorized|Exit|Mismatch)\w*(?::|$)')


def headline(text):
    """The line of a traceback that says what went wrong: the last
    ``SomeError: ...`` line, else the last line.
    """
    lines = [ln.strip() for ln in (text or '').splitlines() if ln.strip()]
    for ln in reversed(lines):
        if _HEADLINE.match(ln):
            return ln
    return lines[-1] if lines else ''


def _cells(tags, attrs):
    out = []
    for t in list(tags) + list(attrs):
        for prefix in ('cell:', 'cell-', 'cell='):
            if t.startswith(prefix) and len(t) > len(prefix):
                out.append(t[len(prefix):])
    return sorted(set(out))


def record(d):
    """The report record of one test dict (testtools.StreamToDict)."""
    return _record(d)


def _record(d):
    test_id = d['id']
    cls, name, attrs = split_id(test_id)
    status = d['status']
    note = None
    if status not in ('success', 'fail', 'skip', 'xfail', 'uxsuccess'):
        note = ('the test never reported a result (status %r): its worker '
                'probably died or the run was interrupted' % status)
        status = 'fail'
    start, stop = (list(d.get('timestamps') or []) + [None, None])[:2]
    tags = sorted(d.get('tags') or ())
    workers = [t for t in tags if t.startswith('worker-')]
    details = {k: text_of(v) for k, v in (d.get('details') or {}).items()}
    rec = {
        'id': redact.text(test_id), 'class': cls, 'name': name,
        'idempotent_id': next((a[3:] for a in attrs if a.startswith('id-')),
                              None),
        'status': status,
        'start': start.isoformat() if start else None,
        'stop': stop.isoformat() if stop else None,
        'duration': round((stop - start).total_seconds(), 3)
        if start and stop else None,
        'worker': workers[0] if workers else None,
        'tags': [t for t in tags if not t.startswith('worker-')],
        'attrs': [a for a in attrs if not a.startswith('id-')],
        'cells': _cells(tags, attrs),
        'fixture': name in ('setUpClass', 'tearDownClass', 'setUpModule',
                            'tearDownModule'),
    }
    if status == 'skip':
        rec['reason'] = _cap(details.get('reason', ''), 2000)
    entries = findings_mod.entries(details)
    if entries:
        rec['findings'] = entries
        rec['finding'] = _cap('; '.join(_finding_line(e) for e in entries),
                              2000)
        outcomes = {e.get('outcome') for e in entries}
        if status == 'success' and NOT_REPRODUCED in outcomes:
            rec['status'] = status = NOT_REPRODUCED
            rec['strict'] = False
        elif status == 'fail' and any(
                e.get('outcome') == NOT_REPRODUCED and e.get('strict')
                for e in entries):
            # strict_findings turned the documented behaviour into this
            # failure (check() raises at once, nothing ran after it).
            rec['status'] = status = NOT_REPRODUCED
            rec['strict'] = True
    text = (details.get('traceback') or details.get('reason') or
            # e.g. subunit's own "Parser Error" on a truncated stream
            next((v for k, v in sorted(details.items())
                  if 'error' in k.lower() and v.strip()), ''))
    if note:
        text = note + ('\n' + text if text else '')
    if status in ('fail', 'xfail', 'uxsuccess', NOT_REPRODUCED) and text:
        rec['failure'] = _cap(text)
    return rec


def _finding_line(entry):
    if 'id' not in entry:           # plain text of an older run
        return entry.get('text', '')
    word = {'reproduced': 'reproduced',
            NOT_REPRODUCED: 'no longer reproduced'}.get(
                entry.get('outcome'), entry.get('outcome'))
    return '%s (%s): %s; observed %s' % (
        entry['id'], word, entry.get('summary'), entry.get('observed'))


def not_reported(test_id):
    """The record of a selected test the stream never mentions."""
    cls, name, attrs = split_id(test_id)
    return {
        'id': redact.text(test_id), 'class': cls, 'name': name,
        'idempotent_id': next((a[3:] for a in attrs if a.startswith('id-')),
                              None),
        'status': 'fail', 'start': None, 'stop': None, 'duration': None,
        'worker': None, 'tags': [], 'cells': [],
        'attrs': [a for a in attrs if not a.startswith('id-')],
        'fixture': False,
        'failure': 'selected for the run but never reported: its worker '
                   'died, or it was lost from the subunit stream',
    }


def parse_bytes(data):
    """Test records of a subunit v2 byte string, in stream order.  Bytes
    that are not subunit (stray prints) are ignored.
    """
    out = []
    source = io.BytesIO(data)
    case = subunit.ByteStreamToStreamResult(source, non_subunit_name='stdout')
    sink = testtools.StreamToDict(lambda d: out.append(d))
    sink.startTestRun()
    try:
        case.run(sink)
    finally:
        sink.stopTestRun()
    # 'exists' events (test enumeration) are not results.
    return [_record(d) for d in out
            if d.get('id') and d.get('status') != 'exists']


def parse_file(path):
    with open(path, 'rb') as f:
        return parse_bytes(f.read())


def counts(results):
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r['status']] = out.get(r['status'], 0) + 1
    out['total'] = len(results)
    return out


def verdict(results):
    """'pass' when nothing failed (skips, known findings, findings no
    longer reproduced without strict_findings and tests not run because
    of a failed class setup, which is itself a failure, are not),
    'fail' otherwise, 'empty' when no test ran.
    """
    if not results:
        return 'empty'
    if any(failed(r) for r in results):
        return 'fail'
    return 'pass'
