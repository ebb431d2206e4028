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

"""A cell whose message queue is cut (vhost permissions revoked)."""

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import findings
from cellv2_conformance.common import waiters
from cellv2_conformance.tests.serial import test_down_cell_base as base

CONF = config.CONF

# Seconds the cut is held while a boot into the cell is watched (an
# observation window through the waiter, not a sleep: it ends early if the
# server leaves BUILD).
CUT_OBSERVATION = 30

# The conductor's build cast to the compute cannot reach the cut vhost;
# nothing retries it or puts the instance in ERROR, so the server stays
# where schedule_and_build_instances left it: BUILD, task_state
# "scheduling" (nova/conductor/manager.py).
BOOT_STUCK_IN_BUILD = findings.Finding(
    'mq-cut-boot-stuck-in-build',
    'a boot whose build cast cannot reach the cell\'s message queue stays '
    'in BUILD/scheduling for good: not ERROR, not retried after the queue '
    'is back; its instance and placement allocation stay until deleted',
    documented=findings.satisfies(
        'ACTIVE or ERROR', lambda s: s.split('/')[0] in ('ACTIVE', 'ERROR')),
    deviation=findings.equals(
        'BUILD/scheduling', 'still BUILD/scheduling a build timeout after '
        'the queue was restored'),
    reference='nova/conductor/manager.py schedule_and_build_instances')


@decorators.serial
class CellMessageQueueCutTest(base.CellFaultTestBase):
    """What a boot does when the target cell's message queue is cut.

    The cell user's permissions on the cell's RabbitMQ vhost are revoked
    and its connections closed (management API), so the cell conductor and
    computes cannot reach their queue while the API, the scheduler and the
    cell database are fine.  A boot pinned (2.74 ``host``) to that cell is
    then accepted, scheduled and written to the cell database, but the
    build cast to the compute cannot be delivered.  Expected (server status
    docs: BUILD is transient, a failed build ends in ERROR): the server
    leaves BUILD, to ACTIVE once the queue is back or to ERROR.  The cut
    is held for an observation window long enough for the conductor's cast
    attempt (a heal within a second of the boot can race it and hide the
    problem).  Also checked: after healing, a new boot into the cell
    becomes ACTIVE.
    """

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.host = cls.ordinary_host(cls.down_cell)

    def _cut(self):
        return self.inject('cell(%s).mq:revoke' % self.down_cell.name)

    def _boot_during_cut(self):
        """Cut the queue, boot pinned to the cell, heal; return the
        server's ``status/task_state`` once it left BUILD, or a build
        timeout after the heal.
        """
        record = self._cut()
        server = self.boot(self.host, cleanup=self.addCleanup, wait=False,
                           prefix='mqcut')
        # Hold the cut while watching the boot, long enough for the
        # conductor to have tried its build cast (about a second after
        # scheduling): the server must not become ACTIVE meanwhile.
        try:
            during = self.wait_status_in(server['id'], ('ACTIVE', 'ERROR'),
                                         timeout=CUT_OBSERVATION)
            during = during[-1]['state']
        except waiters.WaitTimeout:
            during = 'BUILD'
        self.assertNotEqual('ACTIVE', during.split('/')[0],
                            'server %s became ACTIVE although the queue of '
                            'cell %s was cut' % (server['id'],
                                                 self.down_cell.name))
        self.heal(record)
        try:
            history = self.wait_status_in(server['id'], ('ACTIVE', 'ERROR'))
            return history[-1]['state']
        except waiters.WaitTimeout:
            final = self.show(server['id'])
            return '%s/%s' % (final['status'],
                              final.get('OS-EXT-STS:task_state'))

    @decorators.idempotent_id('5abf42ae-480c-447b-be93-2667a7d3e308')
    def test_boot_into_cut_cell_leaves_build(self):
        """A boot pinned to a cell whose queue is cut still ends."""
        final = self._boot_during_cut()
        findings.check(self, BOOT_STUCK_IN_BUILD, final,
                       cell=self.down_cell.name)

    @decorators.idempotent_id('0a15fa90-269c-4fe5-93ed-a1523e230765')
    def test_boot_into_cell_after_queue_healed(self):
        """After the queue is restored, a boot into the cell is ACTIVE."""
        record = self._cut()
        self.heal(record)
        server = self.boot(self.host, cleanup=self.addCleanup,
                           prefix='mqhealed')
        self.assertEqual('ACTIVE', server['status'])
        self.assertEqual(self.host, server['OS-EXT-SRV-ATTR:host'])

    def wait_status_in(self, server_id, statuses, timeout=None):
        return waiters.wait_for(
            lambda: self.show(server_id), lambda s: s['status'] in statuses,
            'server %s' % server_id, '/'.join(statuses),
            timeout or CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda s: '%s/%s' % (s['status'],
                                          s.get('OS-EXT-STS:task_state')))
