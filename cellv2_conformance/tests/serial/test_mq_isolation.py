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

"""A build in one cell uses that cell's vhost and the API vhost only."""

import time

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import servers
from cellv2_conformance.common import waiters
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
# RabbitMQ's management statistics are emitted every few seconds
# (collect_statistics_interval, 5 s by default): counters are waited for.
STATS_TIMEOUT = 60
# Counters unchanged for longer than one statistics interval = quiet: the
# previous classes' deletions (casts to compute.<host>) are all counted.
STATS_QUIET = 6.0
COMPUTE_QUEUE_PREFIXES = ('compute.', 'compute-alt.')


@decorators.serial
class BuildMessageQueueIsolationTest(base.MessageQueueMixin,
                                     base.MultiCellMixin,
                                     base.CellsBaseTest):
    """Per-cell RabbitMQ isolation observed while servers are built.

    Steps, for each cell N in turn:

    1. wait until the publish counters of the compute host queues of every
       cell vhost stop moving (the management statistics lag by a few
       seconds), and snapshot all queues of the cell and API vhosts;
    2. boot a server on an ordinary host ``h`` of cell N (2.74 ``host``);
    3. wait until the management statistics show the build's messages:
       ``compute.h`` on cell N's vhost and the super-conductor and scheduler
       queues on the API vhost have risen;
    4. snapshot again.

    Then: ``compute.h`` on cell N's vhost received the build; the API
    vhost's ``conductor`` and ``scheduler`` queues carried it; and no
    compute host queue (``compute.*``/``compute-alt.*``) on another cell's
    vhost received a single message during the window.  Nova's functional
    tests cannot see this at all (every cell shares one fake bus).

    The class is serial because it reads broker-wide counters: a parallel
    test building in another cell would legitimately move them.  Periodic
    traffic never reaches ``compute.<host>`` queues (computes publish to
    their conductor, not to each other), so the window comparison is exact.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.cells = cls.cells_with_ordinary_host()
        if len(cls.cells) < 2:
            raise cls.skipException('needs 2 cells with an ordinary host')
        cls.mgmt = cls.mq()
        cls.vhosts = {c.name: c.vhost for c in cls.cells}
        cls.vhosts['api'] = cls.api_vhost()
        cls.windows = {}
        for cell in cls.cells:
            cls.windows[cell.name] = cls._window(cell)

    @classmethod
    def _snapshot(cls):
        return {name: {q: c['publish'] for q, c in
                       cls.mgmt.queue_counters(vhost).items()}
                for name, vhost in cls.vhosts.items()}

    @classmethod
    def _quiet_snapshot(cls):
        """A snapshot once the counters stopped moving (late statistics of
        earlier traffic would otherwise land inside the window).
        """
        state = {'snap': None, 'since': None}

        def host_queues(snap):
            return {(v, q): n for v, qs in snap.items() for q, n in
                    qs.items() if q.startswith(COMPUTE_QUEUE_PREFIXES)}

        def fetch():
            snap = cls._snapshot()
            if state['snap'] is None or host_queues(snap) != host_queues(
                    state['snap']):
                state['since'] = time.monotonic()
            state['snap'] = snap
            return time.monotonic() - state['since']

        with recorder.timed('mq-stats-quiesce', test_id=cls.__name__):
            waiters.wait_for(fetch, lambda quiet: quiet >= STATS_QUIET,
                             what='broker publish counters', goal='quiet',
                             timeout=STATS_TIMEOUT, interval=1.0,
                             state_of=lambda quiet: 'moving' if quiet < 1
                             else 'quiet')
        return state['snap']

    @classmethod
    def _window(cls, cell):
        host = cls.ordinary_host(cell)
        target = 'compute.%s' % host
        before = cls._quiet_snapshot()
        with recorder.timed('boot-to-active', cell=cell.name,
                            test_id=cls.__name__, serial=True):
            servers.boot(cls.admin_servers_client, CONF.compute.flavor_ref,
                         CONF.compute.image_ref, cls.addClassResourceCleanup,
                         CONF.cellv2.build_timeout, host=host,
                         interval=CONF.cellv2.build_interval,
                         server_name=servers.name('mq-%s' % cell.name))
        must_rise = [(cell.name, target), ('api', 'conductor'),
                     ('api', 'scheduler')]
        seen = {}

        def fetch():
            seen['after'] = cls._snapshot()
            return seen['after']

        def risen(snap):
            return all(snap[v].get(q, 0) > before[v].get(q, 0)
                       for v, q in must_rise)

        try:
            with recorder.timed('mq-stats-visible', cell=cell.name,
                                test_id=cls.__name__):
                waiters.wait_for(fetch, risen,
                                 what='publish counters %s' % must_rise,
                                 goal='risen', timeout=STATS_TIMEOUT,
                                 interval=1.0,
                                 state_of=lambda s: str(
                                     [s[v].get(q, 0) for v, q in must_rise]))
        except waiters.WaitTimeout:
            pass    # the checks below say which counter did not move
        after = seen['after']
        delta = {v: {q: after[v].get(q, 0) - before[v].get(q, 0)
                     for q in set(after[v]) | set(before[v])}
                 for v in after}
        return {'cell': cell.name, 'host': host, 'target': target,
                'delta': delta}

    @decorators.idempotent_id('dde7149e-b46a-47f7-ac90-1af640be9d12')
    def test_build_published_on_own_cell_host_queue(self):
        for name, w in self.windows.items():
            self.assertGreaterEqual(w['delta'][name].get(w['target'], 0), 1,
                                    '%s on the vhost of %s' % (w['target'],
                                                               name))

    @decorators.idempotent_id('736d9ce5-fbeb-4477-ad6f-6099df48a40d')
    def test_build_went_through_api_vhost(self):
        for name, w in self.windows.items():
            for queue in ('conductor', 'scheduler'):
                self.assertGreaterEqual(w['delta']['api'].get(queue, 0), 1,
                                        'API vhost queue %s during the '
                                        'build in %s' % (queue, name))

    @decorators.idempotent_id('4a22aa13-9d87-4472-aa7c-786519f72f2e')
    def test_other_cells_host_queues_untouched(self):
        problems = []
        for name, w in self.windows.items():
            problems += crosscheck.untouched_host_queues(
                w, {'the vhost of %s' % c.name: w['delta'][c.name]
                    for c in self.cells if c.name != name},
                COMPUTE_QUEUE_PREFIXES)
        self.assertEqual([], problems)

    @decorators.idempotent_id('a96a89b0-9b5e-4221-bf9d-e45b9de5d418')
    def test_own_cell_other_host_queues_untouched(self):
        problems = []
        for name, w in self.windows.items():
            others = {q: d for q, d in w['delta'][name].items()
                      if q not in (w['target'], 'compute-alt.%s' % w['host'])}
            problems += crosscheck.untouched_host_queues(
                w, {'the other hosts\' queues of %s' % name: others},
                COMPUTE_QUEUE_PREFIXES)
        self.assertEqual([], problems)
