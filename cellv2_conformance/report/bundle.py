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

"""A report directory: gather a run's raw files (redacted) and derive the
documents from them.

Layout::

    run.json            versioned run document (report.document)
    results.subunit     raw subunit v2 stream from tempest
    junit.xml           one testcase per check (report.junit)
    report.html         self-contained HTML (report.html)
    summary.md          short Markdown for Zuul (report.markdown)
    tempest.log, tempest-stderr.log, timings.jsonl, faults.jsonl,
    deploy-timings.json   copies, every line redacted

Findings travel inside results.subunit (an attachment on each judged
check's result, see common.findings); there is no findings side file.

A live run and ``cellv2-conformance report --from DIR`` take the same
path: ``build()`` reads the raw files of the directory into the run
document, ``render()`` writes run.json and derives junit.xml, summary.md
and report.html from it.
"""

import json
import os

import subunit
import testtools

from cellv2_conformance import redact
from cellv2_conformance.report import consistency
from cellv2_conformance.report import document
from cellv2_conformance.report import html as html_mod
from cellv2_conformance.report import junit
from cellv2_conformance.report import markdown
from cellv2_conformance.report import results as results_mod
from cellv2_conformance.timing import aggregate
from cellv2_conformance.timing import requests as requests_mod

RUN_JSON = 'run.json'
SUBUNIT = 'results.subunit'
SELECTED = 'selected-tests.txt'
COPIES = ('tempest.log', 'tempest-stderr.log', 'timings.jsonl',
          'faults.jsonl', 'deploy-timings.json', consistency.FILE)


def copy_redacted(src, dst, offset=0):
    """Copy text file ``src`` (from byte ``offset``) to ``dst`` with every
    line redacted.  Returns True when something was copied.
    """
    try:
        with open(src, 'rb') as f:
            f.seek(offset)
            data = f.read()
    except (FileNotFoundError, IsADirectoryError):
        return False
    text = data.decode('utf-8', 'replace')
    with open(dst, 'w', encoding='utf-8') as out:
        for line in text.splitlines(keepends=True):
            out.write(redact.text(line))
    return True


class _RedactingStream(testtools.StreamResult):
    """Re-emit a subunit v2 stream with every text attachment (tracebacks,
    captured logs, stray output) and test id redacted.
    """

    def __init__(self, out):
        super().__init__()
        self.out = out

    def status(self, test_id=None, test_status=None, test_tags=None,
               runnable=True, file_name=None, file_bytes=None, eof=False,
               mime_type=None, route_code=None, timestamp=None):
        if file_bytes and (not mime_type or mime_type.startswith('text')):
            file_bytes = redact.text(bytes(file_bytes).decode(
                'utf-8', 'replace')).encode('utf-8')
        self.out.status(test_id=redact.text(test_id), test_status=test_status,
                        test_tags=test_tags, runnable=runnable,
                        file_name=file_name, file_bytes=file_bytes, eof=eof,
                        mime_type=mime_type, route_code=route_code,
                        timestamp=timestamp)


def redact_stream(src, dst):
    """Copy subunit v2 stream ``src`` to ``dst`` with secrets masked (the
    packets are re-encoded: bytes cannot be replaced in place, every packet
    carries a CRC).
    """
    with open(src, 'rb') as fin, open(dst, 'wb') as fout:
        sink = _RedactingStream(subunit.StreamResultToBytes(fout))
        sink.startTestRun()
        try:
            subunit.ByteStreamToStreamResult(
                fin, non_subunit_name='stdout').run(sink)
        finally:
            sink.stopTestRun()


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def artifacts(report_dir):
    names = ('report.html', 'junit.xml', 'summary.md', SUBUNIT,
             RUN_JSON, SELECTED) + COPIES
    return {n: n for n in names
            if os.path.exists(os.path.join(report_dir, n))}


def services_of(doc):
    topo = (doc.get('environment') or {}).get('topology') or {}
    return topo.get('services') or {}


def _jsonl(report_dir, name):
    return aggregate.read_jsonl(os.path.join(report_dir, name))[0]


def _requests(report_dir, services):
    log = os.path.join(report_dir, 'tempest.log')
    return (requests_mod.parse_file(log, services)
            if os.path.exists(log) else [])


def selected_tests(report_dir):
    """Test ids tempest selected before the run, or None if not listed."""
    try:
        with open(os.path.join(report_dir, SELECTED),
                  encoding='utf-8') as f:
            return [ln.strip() for ln in f if ln.strip()]
    except FileNotFoundError:
        return None


def build(report_dir, started, finished, mode, scenario=None,
          inventory=None, topology=None, error=None, command=None,
          regex=None):
    """The run document from the raw files in ``report_dir``.  The
    topology comes from ``inventory`` (a live run) or is given as already
    built (regeneration from an old run.json).
    """
    path = os.path.join(report_dir, SUBUNIT)
    results = results_mod.parse_file(path) if os.path.exists(path) else []
    services = (inventory.services if inventory is not None
                else (topology or {}).get('services') or {})
    doc = document.build(
        results, started, finished, mode=mode, scenario=scenario,
        inventory=inventory,
        deploy_timings=load_json(os.path.join(report_dir,
                                              'deploy-timings.json')),
        timing_samples=_jsonl(report_dir, 'timings.jsonl'),
        fault_events=_jsonl(report_dir, 'faults.jsonl'),
        request_records=_requests(report_dir, services),
        command=command, error=error, selected=selected_tests(report_dir),
        regex=regex)
    if inventory is None and topology is not None:
        doc['environment']['topology'] = topology
    _with_consistency(doc, report_dir)
    return doc


def _with_consistency(doc, report_dir):
    """The audit's records (consistency.json), when the run audited;
    an ``audit`` run's verdict is the audit's.
    """
    cons = load_json(os.path.join(report_dir, consistency.FILE))
    if cons is None:
        return
    doc['consistency'] = redact.data(cons)
    if doc.get('mode') == 'audit':
        doc['verdict'] = ('error' if cons.get('error') else
                          'pass' if cons.get('consistent') else 'fail')


def render(report_dir, doc):
    """Write run.json, junit.xml, summary.md and report.html."""
    run_json = os.path.join(report_dir, RUN_JSON)
    document.write(run_json, doc)
    junit.write(os.path.join(report_dir, 'junit.xml'), doc)
    markdown.write(os.path.join(report_dir, 'summary.md'), doc)
    html_mod.write(os.path.join(report_dir, 'report.html'), doc,
                   samples=_jsonl(report_dir, 'timings.jsonl'),
                   requests=_requests(report_dir, services_of(doc)))
    doc['artifacts'] = artifacts(report_dir)
    document.write(run_json, doc)
    return doc


def regenerate(report_dir):
    """Rebuild every derived file of a report directory from its raw files,
    keeping the original run's times, environment, harness and error.
    """
    old = document.load(os.path.join(report_dir, RUN_JSON))
    env = old.get('environment') or {}
    doc = build(report_dir, aggregate.parse_time(old.get('started_at')),
                aggregate.parse_time(old.get('finished_at')),
                old.get('mode') or 'run', scenario=env.get('scenario'),
                topology=env.get('topology'), error=old.get('error'),
                regex=(old.get('selection') or {}).get('regex'))
    doc['environment'] = env
    doc['harness'] = old.get('harness') or doc['harness']
    return render(report_dir, doc)


def load_json(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
