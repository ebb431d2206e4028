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
