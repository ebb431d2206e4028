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

"""The one generic waiter: fails fast on an error state, and on timeout
names the object, the goal and the last state (on a fake clock: no real
sleeping)."""

import fixtures
from tempest.lib import exceptions as lib_exc
import testtools

from cellv2_conformance.common import waiters


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Feed:
    """fetch() returning the given states one after another (the last one
    repeats).
    """

    def __init__(self, *states):
        self.states = list(states)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        state = self.states[0] if len(self.states) == 1 else \
            self.states.pop(0)
        if isinstance(state, Exception):
            raise state
        return {'status': state}


class TestWaitFor(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.useFixture(fixtures.MockPatch(
            'cellv2_conformance.common.waiters.time', self.clock))

    def _wait(self, feed, timeout=10, **kw):
        return waiters.wait_for(
            feed, lambda s: s['status'] == 'ACTIVE', 'server abc', 'ACTIVE',
            timeout, interval=1, state_of=lambda s: s['status'], **kw)

    def test_returns_transitions(self):
        history = self._wait(Feed('BUILD', 'BUILD', 'ACTIVE'))
        self.assertEqual(['BUILD', 'ACTIVE'], [h['state'] for h in history])
        self.assertEqual(2.0, history[-1]['elapsed'])

    def test_fails_fast_on_error(self):
        feed = Feed('BUILD', 'ERROR')
        e = self.assertRaises(
            waiters.WaitError, self._wait, feed, timeout=300,
            error=lambda s: s['status'] == 'ERROR')
        self.assertEqual(2, feed.calls)       # no waiting out the timeout
        self.assertEqual([1], self.clock.sleeps)
        text = str(e)
        self.assertIn('server abc', text)
        self.assertIn('ERROR', text)
        self.assertIn('test_fails_fast_on_error', text)   # the caller

    def test_timeout_names_object_goal_and_last_state(self):
        e = self.assertRaises(
            waiters.WaitTimeout, self._wait, Feed('BUILD', 'RESIZE'),
            timeout=5)
        text = str(e)
        self.assertIn('server abc did not reach ACTIVE within 5s', text)
        self.assertIn('last state RESIZE', text)
        self.assertIn('BUILD@+0.0s, RESIZE@+1.0s', text)
        self.assertIn('test_timeout_names_object_goal_and_last_state',
                      text)
        self.assertIsInstance(e, lib_exc.TimeoutException)
        self.assertLessEqual(sum(self.clock.sleeps), 6)

    def test_error_predicate_not_given_waits_to_timeout(self):
        self.assertRaises(waiters.WaitTimeout, self._wait, Feed('ERROR'),
                          timeout=3)

    def test_goal_wins_over_error_in_the_same_poll(self):
        history = self._wait(Feed('ACTIVE'), error=lambda s: True)
        self.assertEqual(['ACTIVE'], [h['state'] for h in history])

    def test_not_found_is_done_only_when_allowed(self):
        history = self._wait(Feed('DELETING', lib_exc.NotFound()),
                             not_found_ok=True)
        self.assertEqual(['DELETING', 'DELETED'],
                         [h['state'] for h in history])
        self.assertRaises(lib_exc.NotFound, self._wait,
                          Feed('DELETING', lib_exc.NotFound()))

    def test_other_fetch_errors_propagate(self):
        self.assertRaises(lib_exc.ServerFault, self._wait,
                          Feed(lib_exc.ServerFault()))
