"""Visible findings: where the cloud behaves against its own documentation.

A check always asserts the *documented* behaviour.  When a known deviation is
expected (e.g. Blazar answers 500 for "not enough hosts" where a 409 is
meant), wrap the assertion::

    with findings.nonconformance(self, 'blazar-capacity-500',
                                 'capacity refusal is HTTP 500, not 409',
                                 reference='LP#1298919'):
        self.assertEqual(409, status)

* If the assertion fails, the finding (id, summary, observed error, test id,
  UTC time) is appended to the findings file and the test is reported as an
  **expected failure** (``xfail`` in subunit/JUnit/HTML): visible, counted,
  never a silent pass.
* If it passes, the test is reported as an **unexpected success**, so the
  day the cloud is fixed the report says so.
"""

import contextlib
import datetime
import sys

import testtools
from testtools import testcase

from cellv2_conformance.common import jsonl
from cellv2_conformance import redact


def findings_file():
    return jsonl.configured_path('findings_file', 'CELLV2_FINDINGS_FILE')


def record(finding_id, summary, observed, test_id=None, reference=None,
           cell=None):
    entry = {
        'id': finding_id, 'summary': summary,
        'observed': redact.text(str(observed))[:2000],
        'test_id': test_id, 'reference': reference, 'cell': cell,
        'at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    jsonl.append(findings_file(), entry)
    return entry


@contextlib.contextmanager
def nonconformance(test, finding_id, summary, reference=None, cell=None):
    try:
        yield
    except testtools.TestCase.failureException as e:
        record(finding_id, summary, e, test_id=test.id(),
               reference=reference, cell=cell)
        test.addDetail('finding', testtools.content.text_content(
            '%s: %s (%s)' % (finding_id, summary, reference or '-')))
        raise testcase._ExpectedFailure(sys.exc_info())
    else:
        raise testcase._UnexpectedSuccess(
            'finding %s no longer reproduces: %s' % (finding_id, summary))
