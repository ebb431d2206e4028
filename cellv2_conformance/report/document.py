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

"""The run document (``run.json``): one versioned, diffable JSON summary of
a run, from which JUnit, HTML and Markdown are derived.

Top-level keys (schema_version 1.x; additions bump the minor version)::

    schema_version, harness {name, version, git_sha, command},
    started_at, finished_at, duration_s (UTC, RFC 3339),
    mode ("run" | "validate" | "audit"), verdict ("pass" | "fail" | "empty" |
    "error"), error (one line, when the run could not complete),
    counts {success, fail, skip, xfail, uxsuccess, not_reproduced,
    not_run, total},
    environment {scenario, python, packages, topology},
    deploy {total_s, steps {name: {start_s, duration_s}}},
    results [per test, see report.results],
    timings {requests, operations, fault_windows},
    faults [windows], findings [records], artifacts {name: file},
    consistency {consistent, count, cells, families [{family, compares,
    status, count, records [{family, object, cell, stores, problem,
    repair}]}], timings, nova_status} (1.1, when the cloud was audited)
    recovery {failures, leases, instances_moved, per_cell} (1.2; only when
    the run failed hosts: see report.recovery)

Nothing secret goes in: endpoints are written without their user
information and every string passes through :mod:`cellv2_conformance.redact`.
"""

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import urllib.parse

from cellv2_conformance import redact
from cellv2_conformance.report import recovery as recovery_mod
from cellv2_conformance.report import results as results_mod
from cellv2_conformance.timing import aggregate
from cellv2_conformance.timing import requests as requests_mod

SCHEMA_VERSION = '1.2'
PACKAGES = ('cellv2-conformance', 'tempest', 'nova', 'blazar', 'placement',
            'keystone', 'glance', 'neutron', 'python-subunit')


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(dt):
    return dt.isoformat(timespec='seconds') if dt else None


def endpoint(url):
    """``mysql+pymysql://u:pw@h:3306/db?x=1`` -> ``mysql+pymysql://h:3306/db``
    (no user, password or query).
    """
    if not url:
        return None
    try:
        u = urllib.parse.urlsplit(str(url))
        host = u.hostname or ''
        port = ':%d' % u.port if u.port else ''
    except ValueError:
        return redact.text(url)
    return '%s://%s%s%s' % (u.scheme, host, port, u.path)


def topology(inv):
    """Cells, hosts, DB/MQ endpoints and service ports of an inventory,
    without credentials.
    """
    if inv is None:
        return None
    cells = []
    for c in inv.cells:
        conductor = (c.services or {}).get('conductor') or {}
        cells.append({
            'name': c.name, 'uuid': c.uuid, 'disabled': bool(c.disabled),
            'hosts': list(c.hosts),
            'reservable_hosts': list(c.reservable_hosts or []),
            'database': endpoint(c.database),
            'transport': endpoint(c.transport),
            'mq_vhost': c.vhost,
            'db_server': {k: c.db_server.get(k) for k in
                          ('host', 'port', 'dedicated') if k in c.db_server},
            'conductor': conductor.get('host') or conductor.get('process'),
        })
    services = {}
    for name, svc in sorted(inv.services.items()):
        if isinstance(svc, dict):
            services[name] = {k: (endpoint(svc[k]) if k == 'url' else svc[k])
                              for k in ('url', 'port', 'host') if svc.get(k)}
    return {
        'source': inv.data.get('source'),
        'name': inv.data.get('name'),
        'api_database': endpoint(inv.api.get('database')),
        'api_transport': endpoint(inv.api.get('transport')),
        'cell0_database': endpoint(inv.cell0.get('database')),
        'cells': cells,
        'services': services,
        'blazar': {'enabled': bool(inv.blazar.get('enabled')),
                   'reservable_hosts': list(
                       inv.blazar.get('reservable_hosts') or [])},
    }


def packages():
    out = {}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def git_sha():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(
            ['git', '-C', here, 'rev-parse', '--short', 'HEAD'],
            capture_output=True, text=True, timeout=5,
            check=True).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


FINDING_KEYS = ('id', 'outcome', 'summary', 'reference', 'cell', 'test_id',
                'documented', 'deviation', 'observed', 'strict', 'at')


def findings(results):
    """Every finding a check judged, from the attachments its subunit
    result carries (``outcome``: ``reproduced`` or ``not_reproduced``).
    """
    out = []
    for r in results:
        for f in r.get('findings') or []:
            if 'id' not in f:
                continue
            f = dict(f, test_id=r['id'], at=r.get('stop'))
            out.append({k: redact.text(f.get(k)) if isinstance(f.get(k), str)
                        else f.get(k) for k in FINDING_KEYS})
    return out


def _not_run_by_class_setup(not_run, results):
    """Split the never-reported tests ``not_run`` into those of a class
    whose setUpClass skipped (skip records), whose setUpClass failed
    (``not_run`` records naming the class and its cause; the fixture's own
    failed record is the one failure) and the lost ones.
    """
    fixtures = {}
    for r in results:
        if r.get('fixture') and r['name'] == 'setUpClass' and \
                r['status'] in ('skip', 'fail'):
            fixtures[r['class']] = r
    explained, lost = [], []
    for t in not_run:
        rec = results_mod.not_reported(t)
        fixture = fixtures.get(t.split('[')[0].rsplit('.', 1)[0])
        if fixture is None:
            lost.append(rec)
            continue
        rec['failure'] = None
        if fixture['status'] == 'skip':
            rec['status'] = 'skip'
            rec['reason'] = fixture.get('reason') or \
                fixture.get('failure') or 'skipped in setUpClass'
        else:
            rec['status'] = results_mod.NOT_RUN
            rec['reason'] = 'not run: setUpClass of %s failed: %s' % (
                fixture['class'].rsplit('.', 1)[-1],
                results_mod.headline(fixture.get('failure')) or
                'see its failed record')
            rec['cause'] = fixture['id']
            fixture['not_run'] = fixture.get('not_run', 0) + 1
        explained.append(rec)
    return explained, lost


def _cells_by_test_id(samples):
    out = {}
    for s in samples:
        if s.get('test_id') and s.get('cell'):
            out.setdefault(s['test_id'], set()).add(s['cell'])
    return out


def _sample_cells(by_id, result):
    """Cells named by the timing samples of ``result``: its own samples
    (``test_id`` = full id or id without ``[attrs]``) first, else the
    class-level ones (``test_id`` = class name, e.g. from setUpClass).
    """
    rid = result['id']
    own = by_id.get(rid, set()) | by_id.get(rid.split('[', 1)[0], set())
    if own:
        return sorted(own)
    cls = result.get('class') or ''
    return sorted(by_id.get(cls, set()) |
                  by_id.get(cls.rsplit('.', 1)[-1], set()))


def build(results, started_at, finished_at, mode='run', scenario=None,
          inventory=None, deploy_timings=None, timing_samples=None,
          fault_events=None, request_records=None,
          command=None, error=None, artifacts=None, selected=None,
          regex=None):
    """Assemble the run document from parsed inputs (all optional but the
    results list).  ``selected`` is the list of test ids tempest selected
    before the run: those never reported are failures (a dead worker must
    not look like a shorter suite) unless the run was interrupted.
    """
    timing_samples = timing_samples or []
    not_run = []
    if selected is not None:
        reported = {r['id'] for r in results}
        not_run = [t for t in selected if t not in reported]
        # A class whose setUpClass skipped or failed reports one
        # 'setUpClass (Class)' record instead of its tests: those are
        # skipped, or not run because of that one failure - not lost.
        explained, lost = _not_run_by_class_setup(not_run, results)
        results = results + explained
        not_run = [r['id'] for r in lost]
        if error != 'interrupted':
            results = results + lost
    request_records = request_records or []
    windows = aggregate.fault_windows(fault_events or [],
                                      run_end=finished_at)
    # Cells of a test: subunit tags first, else the cells its samples name.
    by_id = _cells_by_test_id(timing_samples)
    for r in results:
        if not r.get('cells'):
            r['cells'] = _sample_cells(by_id, r)
    verdict = results_mod.verdict(results)
    if error and verdict != 'fail':
        verdict = 'error'
    timings = {
        'requests': requests_mod.aggregate(request_records),
        'operations': aggregate.operations(timing_samples),
        'fault_windows': {
            'operations': aggregate.by_fault_window(timing_samples, windows),
            'requests': aggregate.by_fault_window(request_records, windows),
        } if windows else {},
    }
    deploy = None
    if deploy_timings:
        deploy = {'total_s': deploy_timings.get('total_s'),
                  'steps': deploy_timings.get('steps') or {}}
    doc = {
        'schema_version': SCHEMA_VERSION,
        'harness': {'name': 'cellv2-conformance',
                    'version': packages().get('cellv2-conformance'),
                    'git_sha': git_sha(),
                    'command': redact.argv(command) if command else None},
        'mode': mode,
        'started_at': iso(started_at), 'finished_at': iso(finished_at),
        'duration_s': round((finished_at - started_at).total_seconds(), 1)
        if started_at and finished_at else None,
        'verdict': verdict,
        'error': redact.text(error) if error else None,
        'counts': results_mod.counts(results),
        'selection': {'regex': regex,
                      'selected': len(selected) if selected is not None
                      else None,
                      'not_run': not_run},
        'environment': {
            'scenario': scenario,
            'python': platform.python_version(),
            'platform': platform.platform(terse=True),
            'packages': packages(),
            'topology': topology(inventory),
        },
        'deploy': deploy,
        'results': results,
        'timings': timings,
        'faults': windows,
        'findings': findings(results),
        'artifacts': artifacts or {},
    }
    recovery = recovery_mod.summarize(timing_samples)
    if recovery:
        doc['recovery'] = recovery
    return redact.data(doc)


def write(path, doc):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(doc, f, indent=1, sort_keys=False, default=str)
        f.write('\n')
    os.replace(tmp, path)


def load(path):
    with open(path, encoding='utf-8') as f:
        doc = json.load(f)
    major = str(doc.get('schema_version', '0')).split('.')[0]
    if major != SCHEMA_VERSION.split('.')[0]:
        raise ValueError('%s: run document schema %s is not supported '
                         '(this harness writes %s)' % (
                             path, doc.get('schema_version'),
                             SCHEMA_VERSION))
    return doc
