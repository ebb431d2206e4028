"""Per-operation, per-cell timing samples written by the checks.

``timed('boot-to-active', cell='cell2')`` measures a block with the monotonic
clock and appends one JSON line to ``[cellv2] timings_file``; the CLI's
report room aggregates them (p50/p95 per operation and per cell).  Samples
are measurements, never assertions: no check fails on a duration.
"""

import contextlib
import datetime
import time

from cellv2_conformance.common import jsonl


def timings_file():
    return jsonl.configured_path('timings_file', 'CELLV2_TIMINGS_FILE')


def record(operation, seconds, cell=None, test_id=None, **attrs):
    path = timings_file()
    entry = {'op': operation, 'seconds': round(seconds, 4), 'cell': cell,
             'test_id': test_id,
             'at': datetime.datetime.now(datetime.timezone.utc).isoformat()}
    entry.update(attrs)
    jsonl.append(path, entry)
    return entry


@contextlib.contextmanager
def timed(operation, cell=None, test_id=None, **attrs):
    t0 = time.monotonic()
    result = {}
    try:
        yield result
    finally:
        record(operation, time.monotonic() - t0, cell=cell, test_id=test_id,
               ok=result.get('ok', True), **attrs)
