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

"""Pre-upgrade consistency audit: every cross-reference nova, placement
and Blazar keep between their stores, checked both ways over ALL records,
set-based (a few queries per store), strictly read-only.

    result = audit.run(inventory)            # audit.AuditError: exit 2
    for rec in result.records: print(rec.line())

Each inconsistency is a :class:`records.Record`: family, object (uuid or
host), cell, the two stores that disagree and how, and the repair command
an operator would run (printed, never run).

Legitimate transient states (BUILD, in-progress migrations, cross-cell
hidden copies) are not reported; what is seen once is re-read once more
and only what both readings show is reported (``confirm``).
"""

import gc
import time

from cellv2_conformance.audit import blazar_rules
from cellv2_conformance.audit import cell_rules
from cellv2_conformance.audit import external
from cellv2_conformance.audit import index
from cellv2_conformance.audit import nova_rules
from cellv2_conformance.audit import placement_api
from cellv2_conformance.audit import placement_rules
from cellv2_conformance.audit import records
from cellv2_conformance.audit import snapshot

FAMILIES = records.FAMILIES
Record = records.Record


class AuditError(RuntimeError):
    """The audit could not judge the cloud (a store unreachable, a bad
    inventory): exit 2 with this one message.
    """


class Result:
    def __init__(self, findings, status_results, timings, cells):
        self.records = findings.records
        self.skipped = findings.skipped
        self.status_results = status_results
        self.timings = timings
        self.cells = cells

    @property
    def consistent(self):
        return not self.records

    def by_family(self):
        out = {}
        for r in self.records:
            out.setdefault(r.family, []).append(r)
        return out

    def to_dict(self):
        """The ``consistency`` section of a run document."""
        fams = []
        by = self.by_family()
        for name, what in FAMILIES.items():
            recs = by.get(name, [])
            fams.append({'family': name, 'compares': what,
                         'status': 'skipped' if name in self.skipped and
                         not recs else
                         ('inconsistent' if recs else 'consistent'),
                         'skipped': self.skipped.get(name),
                         'count': len(recs),
                         'records': [r.to_dict() for r in recs]})
        return {'consistent': self.consistent, 'count': len(self.records),
                'cells': self.cells, 'families': fams,
                'timings': self.timings,
                'nova_status': [{'check': n, 'result': r, 'details': d}
                                for n, r, d in self.status_results]}


def judge(snap, inv, families=None):
    """Apply the database rules to one snapshot -> records.Findings."""
    out = records.Findings()
    ix = index.Index(snap)
    want = set(families or FAMILIES)

    def on(name):
        return name in want

    if on('instance-mappings'):
        nova_rules.instance_mappings(ix, out)
    if on('request-specs'):
        nova_rules.request_specs(ix, out)
    if on('host-mappings'):
        nova_rules.host_mappings(ix, out)
    if on('instance-hosts'):
        nova_rules.instance_hosts(ix, out)
    if on('migrations'):
        nova_rules.migrations(ix, out)
    if on('cell-mappings'):
        cell_rules.cell_mappings(ix, inv, out)
    if on('schema-versions'):
        cell_rules.schema_versions(ix, out)
    pl = None
    if snap.placement is not None:
        pl = placement_rules.Placement(snap.placement)
        if on('placement-allocations'):
            placement_rules.allocations(ix, pl, out)
        if on('placement-providers'):
            placement_rules.providers(ix, pl, out)
        if on('placement-aggregates'):
            placement_rules.aggregates(ix, pl, out)
    else:
        for f in ('placement-allocations', 'placement-providers',
                  'placement-aggregates'):
            out.skip(f, 'the inventory names no placement database '
                        '(placement.readonly_database) and no tempest.conf '
                        'was given for the placement API')
    blazar_families = ('blazar-hosts', 'blazar-freepool',
                       'blazar-aggregates')
    if snap.blazar is not None:
        pool = inv.blazar.get('freepool') or 'freepool'
        if on('blazar-hosts'):
            blazar_rules.hosts(ix, snap.blazar, pl, out)
        if on('blazar-freepool'):
            blazar_rules.freepool(ix, snap.blazar, pool, out)
        if on('blazar-aggregates'):
            blazar_rules.aggregates(ix, snap.blazar, pool, out)
    else:
        for f in blazar_families:
            out.skip(f, 'Blazar is not enabled or the inventory names no '
                        'Blazar database (blazar.readonly_database)')
    return out, ix


def _take(inv, tempest_conf=None):
    def from_api():
        try:
            return placement_api.read(tempest_conf)
        except placement_api.PlacementAPIError as e:
            raise snapshot.StoreError('placement API: %s' % e)
    try:
        return snapshot.take(inv, placement_api=from_api if tempest_conf
                             is not None else None)
    except snapshot.StoreError as e:
        raise AuditError('cannot audit: %s' % e)


def run(inv, families=None, confirm=True, with_status=True, with_mq=True,
        tempest_conf=None):
    """Audit the cloud of inventory ``inv``; returns a :class:`Result`.

    ``tempest_conf``: a parsed tempest.conf (configparser) whose admin
    reads placement through its API when the inventory names no placement
    database.

    ``confirm``: re-read every store once more when the first reading
    found something and keep only the records both readings show (a
    server deleted between two queries is not an inconsistency).
    """
    want = set(families or FAMILIES)
    t0 = time.monotonic()
    # Millions of small tuples and no cycles: the cyclic collector would
    # only rescan them again and again (a third of the time at 100k).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        snap = _take(inv, tempest_conf)
        t_read = time.monotonic() - t0
        found, ix = judge(snap, inv, want)
        t_judge = time.monotonic() - t0 - t_read
        cells = [s.name for s in snap.sources]
        del snap
        if confirm and found.records:
            again, ix = judge(_take(inv, tempest_conf), inv, want)
            keys = {r.key for r in again.records}
            found.records = [r for r in found.records if r.key in keys]
    finally:
        if was_enabled:
            gc.enable()
    status = []
    if with_mq and 'message-queue' in want:
        external.message_queue(ix, inv, found)
    elif 'message-queue' in want:
        found.skip('message-queue', 'RabbitMQ inspection not asked for')
    if with_status and 'nova-status' in want:
        status = external.nova_status(inv, found, ix)
    elif 'nova-status' in want:
        found.skip('nova-status', 'nova-status not asked for')
    for name in FAMILIES:
        if name not in want:
            found.skip(name, 'not selected')
    timings = {'read_s': round(t_read, 2), 'judge_s': round(t_judge, 2),
               'total_s': round(time.monotonic() - t0, 2)}
    return Result(found, status, timings, cells)
