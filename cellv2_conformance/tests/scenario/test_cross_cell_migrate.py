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

"""Cross-cell cold migration: the instance really moves between cell DBs."""

import json

from tempest import config
from tempest.lib import decorators

from cellv2_conformance.common import naming
from cellv2_conformance.common import servers
from cellv2_conformance.tests import base
from cellv2_conformance.timing import recorder

CONF = config.CONF
MIGRATE_TO_HOST = '2.56'
MIGRATION_UUIDS = '2.59'
# Columns of ``instances`` a move must carry over unchanged.  Not compared:
# launched_at (every finished move, same-cell too, sets it anew) and
# availability_zone (cells may well be different zones).
INSTANCE_FIELDS = ('uuid', 'display_name', 'display_description', 'user_id',
                   'project_id', 'key_name', 'hostname', 'image_ref',
                   'created_at', 'locked', 'locked_by', 'vcpus',
                   'memory_mb', 'root_gb', 'instance_type_id')
# Tables hard-deleted with the copy a move leaves behind.
RELATED = ('instance_extra', 'instance_metadata', 'instance_system_metadata',
           'tags', 'instance_actions')


def _public_key():
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives import serialization
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.OpenSSH,
        serialization.PublicFormat.OpenSSH).decode() + ' cellv2-conformance'


class CrossCellMigrateTest(base.DatabaseMixin, base.MultiCellMixin,
                           base.CellsBaseTest):
    """A cold migration to a host of another cell moves the instance there.

    With the policy ``compute:servers:resize:cross_cell`` granting the
    requester (``[cellv2] cross_cell_resize``; the local deployer grants it
    to the role ``[cellv2] cross_cell_resize_role``), two servers with
    metadata, tags and a keypair are booted on an ordinary host of cell A
    and cold-migrated (2.56, named host) to an ordinary host of cell B.
    While they wait in VERIFY_RESIZE both cells hold a copy, the source one
    hidden, the API lists the server once and ``instance_mappings`` points
    at B.  Then one move is confirmed and the other reverted:

    * confirm: the instance and every related record live in B's DB only;
      A's copy is hard-deleted;
    * revert: the instance is back in A (mapping, host, visible row) and B's
      copy is hard-deleted;
    * the related records (instance fields, metadata, tags, keypairs,
      image properties, instance actions) are equal field by field to what
      A held before the move (bug 2108974 lost keypairs here);
    * the migration rows say ``cross_cell_move`` (the API hides that field,
      so only the DB can prove the move crossed cells).
    """

    credentials = ['admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.cross_cell_resize:
            raise cls.skipException('[cellv2] cross_cell_resize is false: '
                                    'the cloud does not allow cross-cell '
                                    'moves')
        if not CONF.compute_feature_enabled.cold_migration:
            raise cls.skipException('cold migration is disabled')

    @classmethod
    def setup_credentials(cls):
        role = CONF.cellv2.cross_cell_resize_role
        if role:
            cls.credentials = ['admin', ['cross_cell', 'admin', role]]
        super().setup_credentials()

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        mover = getattr(cls, 'os_roles_cross_cell', None) or cls.os_admin
        cls.mover_servers = mover.servers_client
        cls.mover_keypairs = mover.keypairs_client
        cls.mover_migrations = mover.migrations_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cells = cls.cells_with_ordinary_host()
        if len(cells) < 2:
            raise cls.skipException('needs two enabled cells with an '
                                    'ordinary host; have %d' % len(cells))
        cls.src_cell, cls.dst_cell = cells[0], cells[1]
        cls.src = cls.ordinary_host(cls.src_cell)
        cls.dst = cls.ordinary_host(cls.dst_cell)
        key = naming.rand_name('key')
        # Our own public key: no private key in a response, so none in the
        # tempest log a report keeps.
        cls.mover_keypairs.create_keypair(name=key, public_key=_public_key())
        cls.addClassResourceCleanup(cls.mover_keypairs.delete_keypair, key)
        reqs = [{'host': cls.src, 'key_name': key,
                 'server_name': servers.name('xcell-%s' % what),
                 'metadata': {'purpose': what, 'cell': cls.src_cell.name},
                 'tags': ['cellv2', 'xcell-%s' % what]}
                for what in ('confirm', 'revert')]
        booted = servers.boot_many(
            cls.mover_servers, CONF.compute.flavor_ref,
            CONF.compute.image_ref, cls.addClassResourceCleanup,
            CONF.cellv2.build_timeout, reqs,
            interval=CONF.cellv2.build_interval)
        cls.confirm_id, cls.revert_id = [s['id'] for s in booted]
        ids = (cls.confirm_id, cls.revert_id)
        src_db = cls.src_cell.reader_url
        dst_db = cls.dst_cell.reader_url
        cls.before = {i: cls.records(src_db, i) for i in ids}

        with servers.api_version(MIGRATE_TO_HOST):
            for sid in ids:
                cls.mover_servers.migrate_server(sid, host=cls.dst)
        cls.moved = {}
        for sid in ids:
            with recorder.timed('cross-cell-migrate', cell=cls.dst_cell.name,
                                test_id=cls.__name__):
                cls.moved[sid] = cls._wait(sid, 'VERIFY_RESIZE')
        # Observed while both cells hold a copy.
        cls.during = {}
        for sid in ids:
            cls.during[sid] = {
                'mapped': cls.mapped_cell(sid),
                'hidden': {n: cls.hidden_flags(url, sid)
                           for n, url in ((cls.src_cell.name, src_db),
                                          (cls.dst_cell.name, dst_db))},
                'listed': [s['id'] for s in cls.mover_servers.list_servers(
                    detail=True, name=cls.moved[sid]['name'])['servers']],
                'records': cls.records(dst_db, sid)}

        with recorder.timed('cross-cell-confirm', cell=cls.dst_cell.name,
                            test_id=cls.__name__):
            cls.mover_servers.confirm_resize_server(cls.confirm_id)
            cls.confirmed = cls._wait(cls.confirm_id, 'ACTIVE')
        with recorder.timed('cross-cell-revert', cell=cls.src_cell.name,
                            test_id=cls.__name__):
            cls.mover_servers.revert_resize_server(cls.revert_id)
            cls.reverted = cls._wait(cls.revert_id, 'ACTIVE')
        cls.after = {
            cls.confirm_id: cls.records(dst_db, cls.confirm_id),
            cls.revert_id: cls.records(src_db, cls.revert_id)}
        with servers.api_version(MIGRATION_UUIDS):
            cls.api_migrations = {
                sid: cls.os_admin.migrations_client.list_migrations(
                    instance_uuid=sid)['migrations'] for sid in ids}

    @classmethod
    def _wait(cls, server_id, status):
        return servers.wait_status(
            cls.mover_servers, server_id, status, CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval)[0]

    @classmethod
    def records(cls, url, uuid):
        """What a move must carry: the instance's fields and related rows,
        from one cell DB (None when that DB has no live row).
        """
        rows = cls.sql(url, 'SELECT %s FROM instances WHERE uuid = %%s AND '
                       'deleted = 0' % ', '.join(INSTANCE_FIELDS), (uuid,))
        if not rows:
            return None
        extra = cls.sql(url, 'SELECT keypairs FROM instance_extra WHERE '
                        'instance_uuid = %s', (uuid,))
        keypairs = json.loads(extra[0]['keypairs'] or 'null') if extra \
            else None
        return {
            'instance': {k: str(v) for k, v in rows[0].items()},
            'metadata': {r['key']: r['value'] for r in cls.sql(
                url, 'SELECT `key`, value FROM instance_metadata WHERE '
                'instance_uuid = %s AND deleted = 0', (uuid,))},
            'image_properties': {r['key']: r['value'] for r in cls.sql(
                url, 'SELECT `key`, value FROM instance_system_metadata '
                'WHERE instance_uuid = %s AND deleted = 0 AND `key` LIKE '
                '\'image\\_%%\'', (uuid,))},
            'tags': sorted(r['tag'] for r in cls.sql(
                url, 'SELECT tag FROM tags WHERE resource_id = %s',
                (uuid,))),
            'keypairs': [
                {k: kp.get('nova_object.data', {}).get(k) for k in
                 ('name', 'public_key', 'fingerprint', 'type', 'user_id')}
                for kp in (keypairs or {}).get('nova_object.data', {}).get(
                    'objects', [])],
            'actions': [(r['action'], r['request_id']) for r in cls.sql(
                url, 'SELECT action, request_id FROM instance_actions '
                'WHERE instance_uuid = %s ORDER BY id', (uuid,))],
        }

    def _row_counts(self, url, uuid):
        counts = {}
        for table in ('instances',) + RELATED:
            col = 'resource_id' if table == 'tags' else (
                'uuid' if table == 'instances' else 'instance_uuid')
            counts[table] = self.sql(
                url, 'SELECT COUNT(*) AS n FROM %s WHERE %s = %%s' % (
                    table, col), (uuid,))[0]['n']
        return counts

    @classmethod
    def hidden_flags(cls, url, uuid):
        """``instances.hidden`` of the live rows for ``uuid`` in one DB."""
        return [int(r['hidden']) for r in cls.sql(
            url, 'SELECT hidden FROM instances WHERE uuid = %s AND '
            'deleted = 0', (uuid,))]

    def _assert_settled(self, sid, shown, host, cell, other, how):
        """After confirm/revert: on ``host`` in ``cell`` only, mapped
        there, and not one row left in ``other``.
        """
        self.assertEqual(host, self.host_of(shown))
        self.assertEqual([cell.name], self.cells_holding(sid))
        self.assertEqual(cell.name, self.mapped_cell(sid))
        self.assertEqual({t: 0 for t in ('instances',) + RELATED},
                         self._row_counts(other.reader_url, sid),
                         '%s keeps rows of a %s cross-cell move' % (
                             other.name, how))

    def _assert_carried(self, before, after):
        self.assertIsNotNone(after)
        for part in ('instance', 'metadata', 'image_properties', 'tags',
                     'keypairs'):
            self.assertEqual(before[part], after[part], part)
        self.assertTrue(before['keypairs'], 'the server booted with a '
                        'keypair has none recorded in instance_extra')
        # The history is copied (as new rows, newest first) and the move
        # adds its own action.
        self.assertEqual([], sorted(set(before['actions']) -
                                    set(after['actions'])),
                         'instance actions lost in the move')
        self.assertIn('migrate', [a for a, _ in after['actions']])

    @decorators.idempotent_id('4a53e21d-e710-4757-a6ca-4adcbe349c24')
    def test_move_lands_on_target_host_and_remaps(self):
        for sid in (self.confirm_id, self.revert_id):
            self.assertEqual(self.dst, self.host_of(self.moved[sid]))
            self.assertEqual(self.dst_cell.name, self.during[sid]['mapped'])

    @decorators.idempotent_id('a852eabf-566e-48c4-adcf-823992dcb8e3')
    def test_listed_once_while_two_copies_exist(self):
        for sid in (self.confirm_id, self.revert_id):
            during = self.during[sid]
            # the source copy is hidden, the target copy visible
            self.assertEqual({self.src_cell.name: [1],
                              self.dst_cell.name: [0]}, during['hidden'])
            self.assertEqual([sid], during['listed'])

    @decorators.idempotent_id('f2b94104-8137-402e-b7f7-41c70ea2d32e')
    def test_target_copy_equals_source_field_by_field(self):
        for sid in (self.confirm_id, self.revert_id):
            self._assert_carried(self.before[sid],
                                 self.during[sid]['records'])

    @decorators.idempotent_id('cddabb7a-6d37-4eff-99a3-befb1a7d6785')
    def test_confirm_leaves_instance_in_target_cell_only(self):
        sid = self.confirm_id
        self._assert_settled(sid, self.confirmed, self.dst, self.dst_cell,
                             self.src_cell, 'confirmed')
        self._assert_carried(self.before[sid], self.after[sid])

    @decorators.idempotent_id('517593d4-0f80-47dc-ac92-6dfc9ed21f99')
    def test_revert_returns_instance_to_source_cell(self):
        sid = self.revert_id
        self._assert_settled(sid, self.reverted, self.src, self.src_cell,
                             self.dst_cell, 'reverted')
        self.assertEqual([0], self.hidden_flags(self.src_cell.reader_url,
                                                sid))

    @decorators.idempotent_id('cb642a85-3cee-4e9c-a44e-2bf3e1b355ca')
    def test_revert_keeps_related_records(self):
        sid = self.revert_id
        after = self.after[sid]
        self.assertIsNotNone(after)
        for part in ('metadata', 'image_properties', 'tags', 'keypairs'):
            self.assertEqual(self.before[sid][part], after[part], part)
        self.assertEqual(self.before[sid]['instance'], after['instance'])

    @decorators.idempotent_id('d4c83acf-df14-481a-8d78-90e1160a6864')
    def test_migration_rows_record_a_cross_cell_move(self):
        expect = {self.confirm_id: (self.dst_cell, 'confirmed'),
                  self.revert_id: (self.src_cell, 'reverted')}
        for sid, (cell, status) in expect.items():
            rows = self.sql(cell.reader_url, 'SELECT uuid, status, '
                            'cross_cell_move, source_compute, dest_compute '
                            'FROM migrations WHERE instance_uuid = %s AND '
                            'deleted = 0', (sid,))
            self.assertEqual(1, len(rows), rows)
            self.assertEqual((status, 1, self.src, self.dst), (
                rows[0]['status'], int(rows[0]['cross_cell_move']),
                rows[0]['source_compute'], rows[0]['dest_compute']))
            listed = self.api_migrations[sid]
            self.assertEqual([(rows[0]['uuid'], status)],
                             [(m['uuid'], m['status']) for m in listed])
            # GET /os-migrations strips the field; only the DB shows it
            self.assertNotIn('cross_cell_move', listed[0])
