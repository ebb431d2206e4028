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

"""Findings: where the cloud deviates from its own documentation, stated
exactly.

A check always asserts the *documented* behaviour.  Where a known upstream
deviation exists, the check declares it once, as a :class:`Finding` naming
both the documented observation and the exact deviation it expects::

    CAPACITY_500 = findings.Finding(
        'blazar-capacity-500',
        'a request beyond free capacity is refused with HTTP 500 '
        '(NotEnoughHostsAvailable), not 409 Conflict',
        documented=findings.http(409),
        deviation=findings.http(500, 'Not enough hosts available'),
        reference='LP#1298919')
    ...
    findings.check(self, CAPACITY_500, observed)

``check`` compares what the test observed with both:

* the **deviation** -> the finding is recorded and the test ends as an
  expected failure (``xfail``): a *known finding*, visible and counted;
* the **documented** behaviour -> *finding no longer reproduced*: the test
  goes on and passes, reported with its own status; with
  ``[cellv2] strict_findings = true`` it fails instead;
* **anything else** -> a plain failure naming the finding, the documented
  and the expected observation and what was seen: a new deviation is a
  regression, never absorbed into the known finding.

How a finding reaches the report: one subunit attachment per finding
(``finding``, ``finding-2``, ... text/plain holding JSON) on the test's
own result; ``report.results`` reads it.  Nothing else (no side file).
"""

import json
import re
import sys

from testtools import content
from testtools import testcase

from cellv2_conformance import redact

REPRODUCED = 'reproduced'
NOT_REPRODUCED = 'not_reproduced'
DETAIL = 'finding'


class Expect:
    """One expected observation: a description a reader understands and a
    predicate on the observed value.
    """

    def __init__(self, description, predicate):
        self.description = description
        self.predicate = predicate

    def __call__(self, observed):
        try:
            return bool(self.predicate(observed))
        except Exception:       # a predicate that cannot judge: no match
            return False

    def __repr__(self):
        return self.description


def equals(value, description=None):
    return Expect(description or repr(value), lambda o: o == value)


def one_of(values, description=None):
    values = tuple(values)
    return Expect(description or 'one of %s' % (
        ', '.join(repr(v) for v in values)), lambda o: o in values)


def satisfies(description, predicate):
    return Expect(description, predicate)


class Status(int):
    """An HTTP status that also carries the error message of the answer
    (``Status(500, 'Not enough hosts available')``).  Compares as an int,
    so ``assertEqual(400, status)`` keeps working.
    """

    def __new__(cls, code, message=None):
        obj = super().__new__(cls, int(code))
        obj.message = message
        return obj

    def __repr__(self):
        if self.message:
            return 'HTTP %d %r' % (int(self), _clip(self.message, 200))
        return 'HTTP %d' % int(self)

    __str__ = __repr__


def http(status, message=None):
    """HTTP ``status``; with ``message`` (a regular expression searched in
    the answer's error message) also the reason the service gave.
    """
    desc = 'HTTP %d' % status
    if message:
        desc += ' with a message matching %r' % message
    pattern = re.compile(message) if message else None

    def match(observed):
        if int(observed) != status:
            return False
        if pattern is None:
            return True
        return bool(pattern.search(getattr(observed, 'message', None) or ''))
    return Expect(desc, match)


def status_message(exc):
    """The error message of a tempest RestClientException (Blazar answers
    ``{"error_code", "error_message", "error_name"}``; nova, keystone and
    placement nest it one level down).
    """
    body = getattr(exc, 'resp_body', None)
    if isinstance(body, dict):
        if isinstance(body.get('error_message'), str):
            return body['error_message']
        for v in body.values():
            if isinstance(v, dict) and isinstance(v.get('message'), str):
                return v['message']
        if isinstance(body.get('message'), str):
            return body['message']
    if isinstance(body, (str, bytes)):
        return body.decode('utf-8', 'replace') if isinstance(
            body, bytes) else body
    return str(exc)


class Finding:
    """A known deviation: ``documented`` and ``deviation`` are
    :class:`Expect` (or plain values, compared with ``==``).
    """

    def __init__(self, finding_id, summary, documented, deviation,
                 reference=None):
        self.id = finding_id
        self.summary = summary
        self.documented = _expect(documented)
        self.deviation = _expect(deviation)
        self.reference = reference

    def __repr__(self):
        return 'Finding(%s)' % self.id


def _expect(value):
    return value if isinstance(value, Expect) else equals(value)


def _clip(text, n):
    text = str(text)
    return text if len(text) <= n else text[:n - 3] + '...'


def _strict():
    from tempest import config
    return bool(config.CONF.cellv2.strict_findings)


def _attach(test, entry):
    details = test.getDetails()
    name = DETAIL
    n = 1
    while name in details:
        n += 1
        name = '%s-%d' % (DETAIL, n)
    test.addDetail(name, content.text_content(json.dumps(entry)))


def check(test, finding, observed, cell=None, strict=None):
    """Judge ``observed`` against ``finding`` (see the module docstring).
    Returns the outcome (``not_reproduced``) when the test goes on; raises
    otherwise.
    """
    documented = finding.documented(observed)
    deviation = finding.deviation(observed)
    seen = redact.text(_clip(repr(observed), 1000))
    if documented and deviation:
        raise ValueError('finding %s: documented (%s) and deviation (%s) '
                         'both match %s' % (finding.id, finding.documented,
                                            finding.deviation, seen))
    if not (documented or deviation):
        raise test.failureException(
            '%s: observed %s; documented: %s; the known finding %s '
            'expects %s; this is neither (a new deviation)' % (
                test.id(), seen, finding.documented, finding.id,
                finding.deviation))
    strict = _strict() if strict is None else strict
    entry = {'id': finding.id, 'summary': finding.summary,
             'reference': finding.reference, 'cell': cell,
             'outcome': REPRODUCED if deviation else NOT_REPRODUCED,
             'documented': repr(finding.documented),
             'deviation': repr(finding.deviation),
             'observed': seen, 'strict': bool(strict)}
    _attach(test, entry)
    if deviation:
        try:
            raise test.failureException(
                'known finding %s reproduced: observed %s (documented: '
                '%s)' % (finding.id, seen, finding.documented))
        except test.failureException:
            raise testcase._ExpectedFailure(sys.exc_info())
    if strict:
        raise test.failureException(
            'finding %s no longer reproduced: observed the documented %s '
            '([cellv2] strict_findings = true makes this a failure; remove '
            'or update the finding)' % (finding.id, seen))
    return NOT_REPRODUCED


def entries(details):
    """The finding entries of a test's details ({name: text}), in order.
    Plain-text details of older runs become ``{'text': ...}``.
    """
    out = []
    names = sorted((k for k in details if k == DETAIL or
                    re.match(r'^%s-\d+$' % DETAIL, k)),
                   key=lambda k: int(k.rsplit('-', 1)[1]) if '-' in k else 1)
    for name in names:
        text = details[name]
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        out.append(entry if isinstance(entry, dict) else {'text': text})
    return out
