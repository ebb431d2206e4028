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

"""Server actions are routed to the server's own cell."""

from tempest import config
from tempest.lib.common.utils import test_utils
from tempest.lib import decorators

from cellv2_conformance.common import naming
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
STATE = ('vm_state', 'power_state', 'task_state', 'locked', 'locked_by')
POWER_RUNNING, POWER_SHUTDOWN = 1, 4


class ActionRoutingTest(base.DatabaseMixin, base.CellsBaseTest):
    """stop/start, reboot, lock/unlock and metadata reach the right cell.

    One server is booted on an ordinary host of every cell.  Each action on
    the server of cell N must change that server's row in cell N's database
    (``vm_state``/``power_state``, ``instance_actions``, ``locked``,
    ``instance_metadata``) and leave the other cells' servers' rows as they
    were.  nova-api finds the cell through ``instance_mappings`` and sends
    the RPC on that cell's transport; a wrong mapping or a cached wrong
    connection would change (or fail to change) another cell's row.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.booted = cls.boot_into_cells(cls.cells_with_ordinary_host(),
                                         name_prefix='act')

    def _target(self, index):
        if index >= len(self.booted):
            self.skipTest('cell #%d: the inventory has only %d cell(s) with '
                          'an ordinary host' % (index + 1, len(self.booted)))
        return self.booted[index]

    def _row(self, cell, server):
        return self.instance_row(cell.name, server['id'])

    def _others(self, index):
        return {s['id']: {k: self._row(c, s)[k] for k in STATE}
                for i, (c, s) in enumerate(self.booted) if i != index}

    def _act(self, index, what, call, status='ACTIVE'):
        cell, server = self._target(index)
        before = self._others(index)
        with recorder.timed('action-%s' % what, cell=cell.name,
                            test_id=self.id()):
            call(server['id'])
            self.wait_server(server['id'], status)
        self.assertEqual(before, self._others(index),
                         'another cell\'s server changed on %s' % what)
        return cell, server

    def _stop_start(self, index):
        cell, server = self._act(index, 'stop',
                                 self.admin_servers_client.stop_server,
                                 'SHUTOFF')
        row = self._row(cell, server)
        self.assertEqual(('stopped', POWER_SHUTDOWN),
                         (row['vm_state'], row['power_state']))
        self._act(index, 'start', self.admin_servers_client.start_server)
        row = self._row(cell, server)
        self.assertEqual(('active', POWER_RUNNING),
                         (row['vm_state'], row['power_state']))

    def _reboot(self, index):
        cell, server = self._act(
            index, 'reboot', lambda sid: self.admin_servers_client.
            reboot_server(sid, type='SOFT'))
        for name, url in self.cell_dbs().items():
            rows = self.sql(url, 'SELECT action FROM instance_actions WHERE '
                            'instance_uuid = %s AND action = %s',
                            (server['id'], 'reboot'))
            self.assertEqual(1 if name == cell.name else 0, len(rows),
                             'reboot actions in %s' % name)

    def _lock_unlock(self, index):
        cell, server = self._act(index, 'lock',
                                 self.admin_servers_client.lock_server)
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.admin_servers_client.unlock_server,
                        server['id'])
        self.assertEqual(1, self._row(cell, server)['locked'])
        self._act(index, 'unlock', self.admin_servers_client.unlock_server)
        self.assertEqual(0, self._row(cell, server)['locked'])

    def _metadata(self, index):
        key = naming.rand_name('meta')
        cell, server = self._target(index)
        before = self._others(index)
        self.admin_servers_client.set_server_metadata_item(
            server['id'], key, {key: cell.name})
        self.addCleanup(test_utils.call_and_ignore_notfound_exc,
                        self.admin_servers_client.
                        delete_server_metadata_item, server['id'], key)
        for name, url in self.cell_dbs().items():
            rows = self.sql(url, 'SELECT instance_uuid, value FROM '
                            'instance_metadata WHERE `key` = %s AND '
                            'deleted = 0', (key,))
            expected = [{'instance_uuid': server['id'],
                         'value': cell.name}] if name == cell.name else []
            self.assertEqual(expected, rows, 'metadata rows in %s' % name)
        self.assertEqual(before, self._others(index))

    @decorators.idempotent_id('10d9639f-9cea-400a-baae-bcc77a84c9b3')
    def test_stop_start_first_cell(self):
        self._stop_start(0)

    @decorators.idempotent_id('9d12a620-4dda-42ca-98e2-250862e495b8')
    def test_stop_start_second_cell(self):
        self._stop_start(1)

    @decorators.idempotent_id('badb6a2b-d79b-4873-9d67-9c0b804539b2')
    def test_reboot_first_cell(self):
        self._reboot(0)

    @decorators.idempotent_id('66b5a6d4-f9da-44d2-af96-21b64410a7bb')
    def test_reboot_second_cell(self):
        self._reboot(1)

    @decorators.idempotent_id('51652795-5a24-442e-a7f8-cba473595500')
    def test_lock_unlock_first_cell(self):
        self._lock_unlock(0)

    @decorators.idempotent_id('5a133850-5ad0-4d9c-9654-7eebf2908c87')
    def test_lock_unlock_second_cell(self):
        self._lock_unlock(1)

    @decorators.idempotent_id('de576ec3-ab51-4fcd-9df0-6b2f5fd00bb4')
    def test_metadata_first_cell(self):
        self._metadata(0)

    @decorators.idempotent_id('66867db5-43c1-4283-b930-66d21859999c')
    def test_metadata_second_cell(self):
        self._metadata(1)
