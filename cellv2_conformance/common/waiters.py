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

"""The one generic waiter.

``wait_for`` polls a fetch function until a predicate holds, and

* raises :class:`WaitError` at once when the resource reports an error
  status (no waiting out the timeout on an ERROR),
* raises :class:`WaitTimeout` when the timeout passes,
* logs every observed transition with a UTC timestamp and the elapsed time,
* names the calling test in every message,
* returns the list of transitions so a check can assert on (and time) them.

No check sleeps for a fixed time; everything waits on state through here.
"""

import datetime
import logging
import time

from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc

LOG = logging.getLogger(__name__)


class WaitError(lib_exc.TempestException):
    message = '%(what)s went to error state %(state)s (%(caller)s): %(detail)s'


class WaitTimeout(lib_exc.TimeoutException):
    message = ('%(what)s did not reach %(goal)s within %(timeout)ss '
               '(%(caller)s); last state %(state)s; transitions: %(history)s')


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class Transition(dict):
    """{'state': ..., 'at': datetime (UTC), 'elapsed': seconds}."""


def wait_for(fetch, done, what, goal, timeout, interval=0.5,
             error=None, state_of=None, not_found_ok=False):
    """Poll ``fetch()`` until ``done(obj)``.

    :param fetch: callable returning the current object.
    :param done: predicate on the object.
    :param what: human name of the resource, e.g. 'lease 1f2e...'.
    :param goal: human name of the wanted state, e.g. 'ACTIVE'.
    :param error: predicate on the object that means a hard failure.
    :param state_of: function giving a short state string for logging.
    :param not_found_ok: a NotFound from ``fetch`` means done (only for
        waiting on the deletion of something we deleted).
    """
    caller = test_utils.find_test_caller()
    state_of = state_of or (lambda o: str(o)[:80])
    start = time.monotonic()
    history = []
    last = object()
    while True:
        try:
            obj = fetch()
        except lib_exc.NotFound:
            if not_found_ok:
                history.append(Transition(state='DELETED', at=_now(),
                                          elapsed=time.monotonic() - start))
                LOG.info('%s: %s gone after %.1fs', caller, what,
                         time.monotonic() - start)
                return history
            raise
        state = state_of(obj)
        if state != last:
            t = Transition(state=state, at=_now(),
                           elapsed=round(time.monotonic() - start, 3))
            history.append(t)
            LOG.info('%s: %s -> %s at %s (+%.1fs)', caller, what, state,
                     t['at'].isoformat(), t['elapsed'])
            last = state
        if done(obj):
            return history
        if error is not None and error(obj):
            raise WaitError(what=what, state=state, caller=caller,
                            detail=str(obj)[:500])
        if time.monotonic() - start > timeout:
            raise WaitTimeout(what=what, goal=goal, timeout=timeout,
                              caller=caller, state=state,
                              history=', '.join(
                                  '%s@+%.1fs' % (h['state'], h['elapsed'])
                                  for h in history))
        time.sleep(interval)
