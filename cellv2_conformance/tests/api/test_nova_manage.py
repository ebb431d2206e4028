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

"""``nova-manage cell_v2`` answers with its documented exit codes."""

import concurrent.futures
import subprocess
import time
import uuid

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import servers
from cellv2_conformance import redact
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
TIMEOUT = 180


def _run(argv):
    t0 = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    return {'rc': proc.returncode, 'out': redact.text(proc.stdout),
            'err': redact.text(proc.stderr)[-2000:],
            'seconds': time.monotonic() - t0}


class NovaManageCellV2Test(base.DatabaseMixin, base.CellsBaseTest):
    """Read-only and idempotent ``nova-manage cell_v2`` commands.

    Exit codes per the nova-manage documentation: ``list_cells`` and
    ``list_hosts`` exit 0 and list every cell (cell0 included) and every
    mapped host; ``list_hosts --cell_uuid`` of an unknown cell exits 1;
    ``discover_hosts`` on a fully discovered cloud exits 0 and writes no
    mapping (it must be idempotent: deployers run it on every compute
    start-up), while ``--strict`` exits 1 because no new host was found;
    ``verify_instance --uuid`` exits 0 for a mapped live instance, 1 for an
    unknown uuid and 3 for a deleted instance whose mapping remains until
    ``archive_deleted_rows``.  Nothing here changes a mapping on a healthy
    cloud; ``discover_hosts`` runs only with ``[cellv2] discover_hosts =
    true`` (on a cloud with an unmapped compute it would map it).  Commands
    run with the inventory's ``api.nova_manage`` prefix.
    """

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.nova_manage:
            raise cls.skipException('[cellv2] nova_manage is false')

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        prefix = list(cls.inv.api.get('nova_manage') or [])
        if not prefix:
            raise cls.skipException('the inventory has no api.nova_manage '
                                    'command prefix')
        live, gone = servers.boot_many(
            cls.admin_servers_client, CONF.compute.flavor_ref,
            CONF.compute.image_ref, cls.addClassResourceCleanup,
            CONF.cellv2.build_timeout, [{}, {}],
            interval=CONF.cellv2.build_interval)
        servers.delete(cls.admin_servers_client, gone['id'],
                       CONF.cellv2.build_timeout, CONF.cellv2.build_interval)
        cls.live, cls.gone = live, gone
        cls.unknown = str(uuid.uuid4())
        commands = {
            'list_cells': ['list_cells'],
            'list_hosts': ['list_hosts'],
            'list_hosts_unknown_cell': ['list_hosts', '--cell_uuid',
                                        cls.unknown],
            'verify_mapped': ['verify_instance', '--uuid', live['id']],
            'verify_unknown': ['verify_instance', '--uuid', cls.unknown],
            'verify_deleted': ['verify_instance', '--uuid', gone['id']],
        }
        cls.mappings_before = cls._mapping_state()
        cls.results = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            futures = {pool.submit(_run, prefix + ['cell_v2'] + args): name
                       for name, args in commands.items()}
            # discover_hosts must not run in parallel with itself (its own
            # documentation): one after the other, beside the read-only ones.
            # It maps any unmapped compute (a write): only where opted in.
            discover = pool.submit(lambda: {
                'discover': _run(prefix + ['cell_v2', 'discover_hosts']),
                'discover_strict': _run(prefix + [
                    'cell_v2', 'discover_hosts', '--strict'])}) if \
                CONF.cellv2.discover_hosts else None
            for fut in concurrent.futures.as_completed(futures):
                cls.results[futures[fut]] = fut.result()
            if discover is not None:
                cls.results.update(discover.result())
        cls.mappings_after = cls._mapping_state()
        for name, res in cls.results.items():
            recorder.record('nova-manage-%s' % name, res['seconds'],
                            test_id=cls.__name__, rc=res['rc'])

    @classmethod
    def _mapping_state(cls):
        state = {'host_mappings': cls.sql(
            cls.api_db(), 'SELECT id, host, cell_id, created_at, updated_at '
            'FROM host_mappings ORDER BY id')}
        for cell in cls.inv.cells:
            state[cell.name] = cls.sql(
                cell.reader_url, 'SELECT id, host, mapped FROM '
                'compute_nodes ORDER BY id')
        return state

    def _result(self, name, rc):
        if name.startswith('discover') and not CONF.cellv2.discover_hosts:
            self.skipTest('discover_hosts maps any unmapped compute (a '
                          'write to the API database): set [cellv2] '
                          'discover_hosts = true where that is acceptable')
        res = self.results[name]
        self.assertEqual(rc, res['rc'], 'nova-manage %s exited %s; stderr: '
                         '%s' % (name, res['rc'], res['err']))
        return res['out']

    @decorators.idempotent_id('544bb2e1-352f-4be9-9009-9cdfc2e99322')
    def test_list_cells_exit_0_lists_every_cell(self):
        out = self._result('list_cells', 0)
        for cell in self.inv.cells:
            self.assertIn(cell.uuid, out, cell.name)
        self.assertIn(base.CELL0_UUID, out)

    @decorators.idempotent_id('b502f465-599a-4c36-96e8-0b35e5d595ff')
    def test_list_hosts_exit_0_lists_every_host(self):
        out = self._result('list_hosts', 0)
        for host in self.inv.all_hosts:
            self.assertIn(host, out)

    @decorators.idempotent_id('72e48ad2-c47a-4362-97c7-6e96118bb0bf')
    def test_list_hosts_unknown_cell_exit_1(self):
        self._result('list_hosts_unknown_cell', 1)

    @decorators.idempotent_id('e9347d66-6063-4ae8-a606-124e24c3a534')
    def test_discover_hosts_idempotent_exit_0(self):
        self._result('discover', 0)

    @decorators.idempotent_id('48c5f0a3-ff0f-48f1-b167-4441fe0cbedc')
    def test_discover_hosts_writes_nothing_when_all_mapped(self):
        self._result('discover', 0)
        self.assertEqual(self.mappings_before, self.mappings_after)

    @decorators.idempotent_id('579d59e6-874e-4b0b-b7f8-caf98ab3b798')
    def test_discover_hosts_strict_without_new_host_exit_1(self):
        self._result('discover_strict', 1)

    @decorators.idempotent_id('a4fec6b2-380d-41eb-9c23-1b72215d36c2')
    def test_verify_instance_mapped_exit_0(self):
        out = self._result('verify_mapped', 0)
        self.assertIn(self.mapped_cell(self.live['id']), out)

    @decorators.idempotent_id('7e7f542d-bfb2-4248-aa1b-40a3e9f37fe3')
    def test_verify_instance_unknown_exit_1(self):
        self._result('verify_unknown', 1)

    @decorators.idempotent_id('193e8487-9df4-4939-8b46-74457b550066')
    def test_verify_instance_deleted_exit_3(self):
        self._result('verify_deleted', 3)
