"""A report directory: gather a run's raw files (redacted) and derive the
documents from them.

Layout::

    run.json            versioned run document (report.document)
    results.subunit     raw subunit v2 stream from tempest
    junit.xml           one testcase per check (report.junit)
    report.html         self-contained HTML (report.html)
    summary.md          short Markdown for Zuul (report.markdown)
    tempest.log, tempest-stderr.log, timings.jsonl, findings.jsonl,
    faults.jsonl, deploy-timings.json   copies, every line redacted

``generate(dir)`` rebuilds junit.xml, report.html and summary.md from
``run.json`` (+ ``results.subunit``, ``timings.jsonl``, ``tempest.log``
when present), so ``cellv2-conformance report --from DIR`` and a live run
produce the same files.
"""

import json
import os

from cellv2_conformance import redact
from cellv2_conformance.report import document
from cellv2_conformance.report import html as html_mod
from cellv2_conformance.report import junit
from cellv2_conformance.report import markdown
from cellv2_conformance.report import results as results_mod
from cellv2_conformance.timing import aggregate
from cellv2_conformance.timing import requests as requests_mod

RUN_JSON = 'run.json'
SUBUNIT = 'results.subunit'
COPIES = ('tempest.log', 'tempest-stderr.log', 'timings.jsonl',
          'findings.jsonl', 'faults.jsonl', 'deploy-timings.json')


def copy_redacted(src, dst, offset=0):
    """Copy text file ``src`` (from byte ``offset``) to ``dst`` with every
    line redacted.  Returns True when something was copied."""
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


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def artifacts(report_dir):
    names = ('report.html', 'junit.xml', 'summary.md', SUBUNIT,
             RUN_JSON) + COPIES
    return {n: n for n in names if os.path.exists(os.path.join(report_dir,
                                                                n))}


def services_of(doc):
    topo = (doc.get('environment') or {}).get('topology') or {}
    return topo.get('services') or {}


def raw_inputs(report_dir, doc):
    """Timing samples and request records from the copies in the dir."""
    samples, _ = aggregate.read_jsonl(os.path.join(report_dir,
                                                   'timings.jsonl'))
    log = os.path.join(report_dir, 'tempest.log')
    reqs = (requests_mod.parse_file(log, services_of(doc))
            if os.path.exists(log) else [])
    return samples, reqs


def refresh_results(report_dir, doc):
    """Re-read the subunit stream (the source of truth for results), keep
    the cells already known per test, and recount."""
    path = os.path.join(report_dir, SUBUNIT)
    if not os.path.exists(path):
        return doc
    fresh = results_mod.parse_file(path)
    known = {r['id']: r for r in doc.get('results') or []}
    for r in fresh:
        old = known.get(r['id'])
        if old and old.get('cells') and not r.get('cells'):
            r['cells'] = old['cells']
    doc['results'] = redact.data(fresh)
    doc['counts'] = results_mod.counts(fresh)
    verdict = results_mod.verdict(fresh)
    if doc.get('error') and verdict != 'fail':
        verdict = 'error'
    doc['verdict'] = verdict
    return doc


def generate(report_dir, doc=None):
    """Write junit.xml, report.html and summary.md; returns the document.
    With no ``doc``, read ``run.json`` and refresh results from the subunit
    stream."""
    run_json = os.path.join(report_dir, RUN_JSON)
    if doc is None:
        doc = refresh_results(report_dir, document.load(run_json))
    samples, reqs = raw_inputs(report_dir, doc)
    junit.write(os.path.join(report_dir, 'junit.xml'), doc)
    markdown.write(os.path.join(report_dir, 'summary.md'), doc)
    html_mod.write(os.path.join(report_dir, 'report.html'), doc,
                   samples=samples, requests=reqs)
    doc['artifacts'] = artifacts(report_dir)
    document.write(run_json, doc)
    return doc


def load_json(path):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
