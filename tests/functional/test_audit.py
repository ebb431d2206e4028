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

"""The consistency audit on ONE deployed multi-cell cloud with servers in
both cells and an active lease:

* a healthy cloud audits clean (CLI exit 0, every report written);
* the audit is read-only: CHECKSUM TABLE of every table of the API, cell0,
  cell, placement and Blazar databases is unchanged by an audit that reads
  through a SELECT-only account this test creates (the cloud's services
  are frozen meanwhile, so only the audit could change anything);
* one at a time, an inconsistency of every family is seeded by SQL,
  the audit names its object and cell, and the seed is reverted (the rows
  touched are read back equal);
* with one seed of every family in place, `validate` runs the suite's
  consistency checks and each of them fails naming its object.

Set CELLV2_AUDIT_WORKDIR to a deployed multi-cell workdir to iterate on a
kept cloud (it is left running).
"""

import datetime
import json
import os
import secrets
import signal
import time
import urllib.parse

import psutil
import pymysql
import yaml

from cellv2_conformance import audit
from cellv2_conformance import inventory
from tests.functional import base

REUSE = os.environ.get('CELLV2_AUDIT_WORKDIR')
MIG_UUID = 'a0d17000-0000-4000-8000-00000000a001'
ORPHAN = 'a0d17000-0000-4000-8000-00000000a002'
SPEC_UUID = 'a0d17000-0000-4000-8000-00000000a003'
STORES = ('nova_api', 'nova_cell0', 'placement', 'blazar')
FROZEN_PREFIXES = ('nova-', 'blazar-', 'neutron')


class Seed:
    """One inconsistency made by SQL: statements to make and to undo it,
    the rows it touches (read back equal after undo) and the record the
    audit must report.
    """

    def __init__(self, name, family, obj, cell, do, undo, watch):
        self.name, self.family, self.obj, self.cell = name, family, obj, cell
        self.do, self.undo, self.watch = do, undo, watch


class TestConsistencyAudit(base.FunctionalTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if REUSE:
            cls.work, cls.owned = REUSE, False
        else:
            parent = os.environ.get('CELLV2_FUNCTIONAL_TMP') or None
            import tempfile
            cls.tmp = tempfile.mkdtemp(prefix='cellv2-audit-', dir=parent)
            cls.work, cls.owned = os.path.join(cls.tmp, 'cloud'), True
            r = base.cli('deploy', '--scenario', 'multi-cell', '--workdir',
                         cls.work)
            if r.returncode != 0:
                cls._down()
                raise AssertionError('deploy failed: %s' % r.stderr[-3000:])
        try:
            cls._populate()
        except BaseException:
            cls._down()
            raise

    @classmethod
    def tearDownClass(cls):
        cls._down()
        super().tearDownClass()

    @classmethod
    def _down(cls):
        if cls.owned:
            base.cli('down', '--workdir', cls.work)
            import shutil
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.owned = False

    # ------------------------------------------------------------------
    # the cloud: pre-existing servers in both cells and an active lease
    # ------------------------------------------------------------------
    @classmethod
    def _populate(cls):
        cls.inv_path = os.path.join(cls.work, 'cells-inventory.yaml')
        with open(cls.inv_path) as f:
            cls.raw = yaml.safe_load(f)
        with open(os.path.join(cls.work, 'state.json')) as f:
            cls.state = json.load(f)
        cls.cloud = base.Cloud(cls.inv_path)
        reservable = set(cls.raw['blazar']['reservable_hosts'])
        cls.cells = {c['name']: c for c in cls.raw['cells']}
        cls.ordinary = {n: [h for h in c['hosts'] if h not in reservable][0]
                        for n, c in cls.cells.items()}
        cls.servers = {}
        existing = cls.cloud.call('GET', 'compute', '/servers/detail',
                                  mv='2.74', expect=200)['servers']
        for name, host in cls.ordinary.items():
            mine = [s for s in existing if s['name'] == 'audit-' + name]
            if mine:
                cls.servers[name] = mine[0]['id']
                continue
            s = cls.cloud.call('POST', 'compute', '/servers', mv='2.74',
                               expect=202, json={'server': {
                                   'name': 'audit-' + name,
                                   'imageRef': cls.raw['image_id'],
                                   'flavorRef': 'c1', 'networks': 'none',
                                   'host': host}})
            cls.servers[name] = s['server']['id']
        for sid in cls.servers.values():
            cls.cloud.wait_server(sid, 'ACTIVE')
        leases = cls.cloud.call('GET', 'reservation', '/leases',
                                expect=200)['leases']
        if not [lease for lease in leases if lease['name'] == 'audit-lease']:
            end = datetime.datetime.utcnow() + datetime.timedelta(hours=3)
            lease = cls.cloud.call('POST', 'reservation', '/leases',
                                   expect=201, json={
                                       'name': 'audit-lease',
                                       'start_date': 'now',
                                       'end_date': end.strftime(
                                           '%Y-%m-%d %H:%M'),
                                       'reservations': [{
                                           'resource_type': 'physical:host',
                                           'min': 1, 'max': 1,
                                           'hypervisor_properties': '',
                                           'resource_properties': ''}],
                                       'events': []})['lease']
            cls._wait_lease(lease['id'])
        cls._facts()

    @classmethod
    def _wait_lease(cls, lease_id, timeout=120):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            lease = cls.cloud.call('GET', 'reservation', '/leases/%s' %
                                   lease_id, expect=200)['lease']
            if not seen or seen[-1] != lease['status']:
                seen.append(lease['status'])
            if lease['status'] == 'ACTIVE':
                return
            if lease['status'] == 'ERROR' or time.monotonic() > deadline:
                raise AssertionError('lease %s not ACTIVE after %ds: %s' % (
                    lease_id, timeout, seen))
            time.sleep(0.5)

    @classmethod
    def _facts(cls):
        """Ids and names the seeds need, read as root."""
        q = cls.root_query
        cls.cell_ids = {r['uuid']: r['id'] for r in q(
            'main', 'nova_api', 'SELECT id, uuid FROM cell_mappings')}
        cls.cell_id = {n: cls.cell_ids[c['uuid']]
                       for n, c in cls.cells.items()}
        cls.mapping = {r['uuid']: r for r in q(
            'main', 'nova_api', 'SELECT * FROM cell_mappings')}
        agg = {r['name']: r for r in q('main', 'nova_api',
                                       'SELECT id, uuid, name FROM '
                                       'aggregates')}
        cls.freepool = agg['freepool']
        cls.lease_agg = [a for n, a in agg.items() if n != 'freepool'][0]
        hosts = q('main', 'nova_api', 'SELECT aggregate_id, host FROM '
                  'aggregate_hosts')
        cls.leased = [h['host'] for h in hosts
                      if h['aggregate_id'] == cls.lease_agg['id']][0]
        cls.free = [h['host'] for h in hosts
                    if h['aggregate_id'] == cls.freepool['id']][0]
        rps = {r['name']: r for r in q(
            'main', 'placement', 'SELECT id, uuid, name FROM '
            'resource_providers')}
        cls.rp = rps
        cls.rc = {r['name']: r['id'] for r in q(
            'main', 'placement', 'SELECT id, name FROM resource_classes '
            'WHERE name IN (\'VCPU\', \'MEMORY_MB\')')}
        cls.placement_agg = {r['uuid']: r['id'] for r in q(
            'main', 'placement', 'SELECT id, uuid FROM placement_aggregates')}

    # ------------------------------------------------------------------
    # databases as root (the seeds) and helpers
    # ------------------------------------------------------------------
    @classmethod
    def _socket(cls, server):
        return cls.state['processes']['mariadb-%s' % server]['socket']

    @classmethod
    def server_of(cls, db):
        if db.startswith('nova_cell') and db != 'nova_cell0':
            cell = db[len('nova_'):]
            return cls.cells[cell]['db_server']['process'][len('mariadb-'):]
        return 'main'

    @classmethod
    def root(cls, server, db=None):
        return pymysql.connect(unix_socket=cls._socket(server), user='root',
                               database=db, autocommit=True,
                               cursorclass=pymysql.cursors.DictCursor)

    @classmethod
    def root_query(cls, server, db, sql, args=None):
        conn = cls.root(server, db)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return list(cur.fetchall())
        finally:
            conn.close()

    def run_sql(self, db, sql, args=None):
        return self.root_query(self.server_of(db), db, sql, args)

    def audit(self, families=None, with_status=False):
        inv = inventory.load(self.inv_path)
        return audit.run(inv, families=families, with_status=with_status)

    @staticmethod
    def _names(records):
        return '\n'.join(r.line() for r in records) or '(none)'

    # ------------------------------------------------------------------
    # 1. healthy: zero false alarms
    # ------------------------------------------------------------------
    def test_01_healthy_cloud_audits_clean(self):
        reports = os.path.join(self.work, 'audit-report')
        r = base.cli('audit', '--inventory', self.inv_path, '--report-dir',
                     reports)
        self.assertEqual(0, r.returncode, r.stdout[-4000:] + r.stderr)
        self.assertIn('consistent', r.stdout)
        with open(os.path.join(reports, 'run.json')) as f:
            doc = json.load(f)
        self.assertEqual('audit', doc['mode'])
        self.assertEqual('pass', doc['verdict'])
        cons = doc['consistency']
        self.assertTrue(cons['consistent'])
        checked = [f['family'] for f in cons['families']
                   if f['status'] == 'consistent']
        self.assertEqual(sorted(audit.FAMILIES), sorted(checked),
                         'every family checked on the local cloud')
        self.assertEqual({'cell0', 'cell1', 'cell2'}, set(cons['cells']))
        for name in ('junit.xml', 'report.html', 'summary.md'):
            with open(os.path.join(reports, name)) as f:
                self.assertIn('onsistency', f.read(), name)

    # ------------------------------------------------------------------
    # 2. read-only through a SELECT-only account
    # ------------------------------------------------------------------
    def _checksums(self):
        out = {}
        dbs = [('main', d) for d in STORES] + [
            (self.server_of('nova_' + n), 'nova_' + n) for n in self.cells]
        for server, db in dbs:
            tables = [list(r.values())[0] for r in self.root_query(
                server, db, 'SHOW TABLES')]
            rows = self.root_query(server, db, 'CHECKSUM TABLE %s' % ', '.join(
                '`%s`.`%s`' % (db, t) for t in tables))
            for row in rows:
                out[row['Table']] = row['Checksum']
        return out

    def _readonly_inventory(self, user, password):
        data = yaml.safe_load(open(self.inv_path))

        def swap(url):
            u = urllib.parse.urlsplit(url)
            return urllib.parse.urlunsplit((u.scheme, '%s:%s@%s:%d' % (
                user, password, u.hostname, u.port), u.path, u.query, ''))
        for part in [data['api'], data['cell0'], data['placement'],
                     data['blazar']] + data['cells']:
            ro = swap(part.get('readonly_database') or part['database'])
            part['readonly_database'] = ro
            if 'database' in part:
                part['database'] = ro
        path = os.path.join(self.work, 'audit-ro-inventory.yaml')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            yaml.safe_dump(data, f)
        self.addCleanup(os.unlink, path)
        return path

    def _select_only_account(self):
        user, password = 'auditro', secrets.token_hex(12)
        servers = {self.server_of('nova_' + n) for n in self.cells} | {
            'main'}
        for server in sorted(servers):
            conn = self.root(server)
            with conn.cursor() as cur:
                cur.execute('SHOW DATABASES')
                dbs = [r['Database'] for r in cur.fetchall()
                       if r['Database'] in STORES or
                       r['Database'].startswith('nova_cell')]
                for host in ('127.0.0.1', 'localhost'):
                    cur.execute('CREATE USER IF NOT EXISTS %s@%s '
                                'IDENTIFIED BY %s', (user, host, password))
                    cur.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                                (user, host, password))
                    for db in dbs:
                        cur.execute('GRANT SELECT ON `%s`.* TO %%s@%%s' % db,
                                    (user, host))
            conn.close()
            self.addCleanup(self._drop_user, server, user)
        return user, password

    def _drop_user(self, server, user):
        conn = self.root(server)
        with conn.cursor() as cur:
            for host in ('127.0.0.1', 'localhost'):
                cur.execute('DROP USER IF EXISTS %s@%s', (user, host))
        conn.close()

    def _frozen(self):
        """Processes of the cloud's writers (nova, blazar, neutron) with
        their children: stopped while checksums and the audit run.
        """
        procs = []
        for name, rec in self.state['processes'].items():
            if not name.startswith(FROZEN_PREFIXES):
                continue
            try:
                p = psutil.Process(rec['pid'])
                procs += [p] + p.children(recursive=True)
            except psutil.Error:
                continue
        return procs

    def test_02_audit_is_read_only_through_select_only_account(self):
        user, password = self._select_only_account()
        ro_inv = self._readonly_inventory(user, password)
        # the account really is SELECT-only
        api = yaml.safe_load(open(ro_inv))['api']['readonly_database']
        u = urllib.parse.urlsplit(api)
        conn = pymysql.connect(host=u.hostname, port=u.port, user=user,
                               password=password, database='nova_api')
        with conn.cursor() as cur:
            self.assertRaises(pymysql.err.OperationalError, cur.execute,
                              'UPDATE cell_mappings SET name = name')
        conn.close()
        procs = self._frozen()
        self.assertTrue(procs)
        try:
            for p in procs:
                p.send_signal(signal.SIGSTOP)
            before = self._checksums()
            r = base.cli('audit', '--inventory', ro_inv, '--no-nova-status')
            after = self._checksums()
        finally:
            for p in procs:
                try:
                    p.send_signal(signal.SIGCONT)
                except psutil.Error:
                    pass
        self.assertEqual(0, r.returncode, r.stdout[-4000:] + r.stderr)
        self.assertGreater(len(before), 150, 'tables of every store')
        changed = sorted(t for t in before if before[t] != after.get(t))
        self.assertEqual([], changed, 'tables changed by a read-only audit')
        self.assertNotIn(password, r.stdout + r.stderr)

    # ------------------------------------------------------------------
    # 3. seeds, one at a time
    # ------------------------------------------------------------------
    def _seeds(self):
        s1, s2 = self.servers['cell1'], self.servers['cell2']
        h1, h2 = self.ordinary['cell1'], self.ordinary['cell2']
        cell_of = {h: n for n, c in self.cells.items() for h in c['hosts']}
        c2 = self.cells['cell2']
        free_cell = cell_of[self.free]
        leased_cell = cell_of[self.leased]
        mapping = self.run_sql('nova_api', 'SELECT * FROM instance_mappings '
                               'WHERE instance_uuid = %s', (s2,))[0]
        cols = ', '.join('`%s`' % k for k in mapping)
        marks = ', '.join(['%s'] * len(mapping))
        version = self.run_sql('nova_cell2', 'SELECT version_num FROM '
                               'alembic_version')[0]['version_num']
        svc_version = self.run_sql(
            'nova_cell1', 'SELECT version FROM services WHERE host = %s AND '
            '`binary` = \'nova-compute\' AND deleted = 0', (h1,))[0][
                'version']
        vcpus = self.run_sql(
            'placement', 'SELECT used FROM allocations WHERE consumer_id = '
            '%s AND resource_class_id = %s', (s1, self.rc['VCPU']))[0]['used']
        c2_map = self.mapping[c2['uuid']]
        c1_map = self.mapping[self.cells['cell1']['uuid']]
        leased_rp = self.rp[self.leased]['id']
        lease_pagg = self.placement_agg[self.lease_agg['uuid']]
        free_row = self.run_sql(
            'nova_api', 'SELECT * FROM aggregate_hosts WHERE aggregate_id = '
            '%s AND host = %s', (self.freepool['id'], self.free))[0]
        hcols = ', '.join('`%s`' % k for k in free_row)
        hmarks = ', '.join(['%s'] * len(free_row))
        S = Seed
        return [
            S('mapping names the wrong cell', 'instance-mappings', s1,
              'cell1',
              [('nova_api', 'UPDATE instance_mappings SET cell_id = %s '
                'WHERE instance_uuid = %s', (self.cell_id['cell2'], s1))],
              [('nova_api', 'UPDATE instance_mappings SET cell_id = %s '
                'WHERE instance_uuid = %s', (self.cell_id['cell1'], s1))],
              [('nova_api', 'SELECT * FROM instance_mappings WHERE '
                'instance_uuid = %s', (s1,))]),
            S('mapping deleted', 'instance-mappings', s2, 'cell2',
              [('nova_api', 'DELETE FROM instance_mappings WHERE '
                'instance_uuid = %s', (s2,))],
              [('nova_api', 'INSERT INTO instance_mappings (%s) VALUES (%s)'
                % (cols, marks), tuple(mapping.values()))],
              [('nova_api', 'SELECT * FROM instance_mappings WHERE '
                'instance_uuid = %s', (s2,))]),
            S('request spec of another uuid', 'request-specs', s1, 'cell1',
              [('nova_api', 'UPDATE request_specs SET instance_uuid = %s '
                'WHERE instance_uuid = %s', (SPEC_UUID, s1))],
              [('nova_api', 'UPDATE request_specs SET instance_uuid = %s '
                'WHERE instance_uuid = %s', (s1, SPEC_UUID))],
              [('nova_api', 'SELECT * FROM request_specs WHERE '
                'instance_uuid = %s', (s1,))]),
            S('host mapped to the other cell', 'host-mappings', h1, 'cell1',
              [('nova_api', 'UPDATE host_mappings SET cell_id = %s WHERE '
                'host = %s', (self.cell_id['cell2'], h1))],
              [('nova_api', 'UPDATE host_mappings SET cell_id = %s WHERE '
                'host = %s', (self.cell_id['cell1'], h1))],
              [('nova_api', 'SELECT * FROM host_mappings WHERE host = %s',
                (h1,))]),
            S('host mapped where it does not listen', 'message-queue', h1,
              'cell2',
              [('nova_api', 'UPDATE host_mappings SET cell_id = %s WHERE '
                'host = %s', (self.cell_id['cell2'], h1))],
              [('nova_api', 'UPDATE host_mappings SET cell_id = %s WHERE '
                'host = %s', (self.cell_id['cell1'], h1))],
              [('nova_api', 'SELECT * FROM host_mappings WHERE host = %s',
                (h1,))]),
            # (not compute_id: the resource tracker corrects that within
            # a minute, "Correcting compute_id=...")
            S('instance on a vanished node', 'instance-hosts', s2, 'cell2',
              [('nova_cell2', 'UPDATE instances SET node = \'ghost-node\' '
                'WHERE uuid = %s', (s2,))],
              [('nova_cell2', 'UPDATE instances SET node = %s WHERE uuid = '
                '%s', (h2, s2))],
              [('nova_cell2', 'SELECT node FROM instances WHERE uuid = %s',
                (s2,))]),
            S('migration to a vanished host', 'migrations', MIG_UUID,
              'cell1',
              [('nova_cell1', 'INSERT INTO migrations (created_at, '
                'source_compute, dest_compute, source_node, dest_node, '
                'status, instance_uuid, migration_type, hidden, deleted, '
                'uuid, cross_cell_move) VALUES (NOW(), %s, \'ghost-host\', '
                '%s, \'ghost-host\', \'migrating\', %s, \'live-migration\','
                ' 0, 0, %s, 0)', (h1, h1, s1, MIG_UUID))],
              [('nova_cell1', 'DELETE FROM migrations WHERE uuid = %s',
                (MIG_UUID,))],
              [('nova_cell1', 'SELECT id FROM migrations WHERE uuid = %s',
                (MIG_UUID,))]),
            S('allocation differs from the flavor', 'placement-allocations',
              s1, 'cell1',
              [('placement', 'UPDATE allocations SET used = %s WHERE '
                'consumer_id = %s AND resource_class_id = %s',
                (vcpus + 1, s1, self.rc['VCPU']))],
              [('placement', 'UPDATE allocations SET used = %s WHERE '
                'consumer_id = %s AND resource_class_id = %s',
                (vcpus, s1, self.rc['VCPU']))],
              [('placement', 'SELECT used FROM allocations WHERE '
                'consumer_id = %s', (s1,))]),
            S('orphaned allocation', 'placement-allocations', ORPHAN,
              'cell2',
              [('placement', 'INSERT INTO allocations (created_at, '
                'resource_provider_id, consumer_id, resource_class_id, '
                'used) VALUES (NOW(), %s, %s, %s, 64)',
                (self.rp[h2]['id'], ORPHAN, self.rc['MEMORY_MB']))],
              [('placement', 'DELETE FROM allocations WHERE consumer_id = '
                '%s', (ORPHAN,))],
              [('placement', 'SELECT * FROM allocations WHERE consumer_id '
                '= %s', (ORPHAN,))]),
            S('provider renamed', 'placement-providers', h2, 'cell2',
              [('placement', 'UPDATE resource_providers SET name = '
                '\'audit-renamed\' WHERE id = %s', (self.rp[h2]['id'],))],
              [('placement', 'UPDATE resource_providers SET name = %s '
                'WHERE id = %s', (h2, self.rp[h2]['id']))],
              [('placement', 'SELECT name FROM resource_providers WHERE id '
                '= %s', (self.rp[h2]['id'],))]),
            S('provider left the lease aggregate', 'placement-aggregates',
              self.leased, leased_cell,
              [('placement', 'DELETE FROM resource_provider_aggregates '
                'WHERE resource_provider_id = %s AND aggregate_id = %s',
                (leased_rp, lease_pagg))],
              [('placement', 'INSERT INTO resource_provider_aggregates '
                '(created_at, resource_provider_id, aggregate_id) VALUES '
                '(NOW(), %s, %s)', (leased_rp, lease_pagg))],
              [('placement', 'SELECT resource_provider_id, aggregate_id '
                'FROM resource_provider_aggregates WHERE '
                'resource_provider_id = %s', (leased_rp,))]),
            S('two cells share a transport', 'cell-mappings', c2['uuid'],
              'cell2',
              [('nova_api', 'UPDATE cell_mappings SET transport_url = %s '
                'WHERE id = %s', (c1_map['transport_url'], c2_map['id']))],
              [('nova_api', 'UPDATE cell_mappings SET transport_url = %s '
                'WHERE id = %s', (c2_map['transport_url'], c2_map['id']))],
              [('nova_api', 'SELECT transport_url FROM cell_mappings WHERE '
                'id = %s', (c2_map['id'],))]),
            S('cell schema behind', 'schema-versions', 'cell2', 'cell2',
              [('nova_cell2', 'UPDATE alembic_version SET version_num = '
                '\'0123456789ab\'', None)],
              [('nova_cell2', 'UPDATE alembic_version SET version_num = %s',
                (version,))],
              [('nova_cell2', 'SELECT version_num FROM alembic_version',
                None)]),
            S('enrolled hypervisor vanished', 'blazar-hosts', self.free,
              free_cell,
              [('blazar', 'UPDATE computehosts SET hypervisor_hostname = '
                '\'ghost-hv\' WHERE service_name = %s', (self.free,))],
              [('blazar', 'UPDATE computehosts SET hypervisor_hostname = %s '
                'WHERE service_name = %s', (self.free, self.free))],
              [('blazar', 'SELECT hypervisor_hostname FROM computehosts '
                'WHERE service_name = %s', (self.free,))]),
            S('free host out of the freepool', 'blazar-freepool', self.free,
              free_cell,
              [('nova_api', 'DELETE FROM aggregate_hosts WHERE id = %s',
                (free_row['id'],))],
              [('nova_api', 'INSERT INTO aggregate_hosts (%s) VALUES (%s)'
                % (hcols, hmarks), tuple(free_row.values()))],
              [('nova_api', 'SELECT * FROM aggregate_hosts WHERE id = %s',
                (free_row['id'],))]),
            S('ordinary host in the lease aggregate', 'blazar-aggregates',
              h2, 'cell2',
              [('nova_api', 'INSERT INTO aggregate_hosts (created_at, host, '
                'aggregate_id) VALUES (NOW(), %s, %s)',
                (h2, self.lease_agg['id']))],
              [('nova_api', 'DELETE FROM aggregate_hosts WHERE host = %s AND'
                ' aggregate_id = %s', (h2, self.lease_agg['id']))],
              [('nova_api', 'SELECT host FROM aggregate_hosts WHERE '
                'aggregate_id = %s ORDER BY host', (self.lease_agg['id'],))]),
            S('compute older than N-1', 'nova-status',
              'Older than N-1 computes', '',
              [('nova_cell1', 'UPDATE services SET version = 1 WHERE host = '
                '%s AND `binary` = \'nova-compute\' AND deleted = 0', (h1,))],
              [('nova_cell1', 'UPDATE services SET version = %s WHERE host '
                '= %s AND `binary` = \'nova-compute\' AND deleted = 0',
                (svc_version, h1))],
              [('nova_cell1', 'SELECT version FROM services WHERE host = %s '
                'AND deleted = 0', (h1,))]),
        ]

    def _apply(self, seeds, what):
        for seed in seeds:
            for db, sql, args in getattr(seed, what):
                self.run_sql(db, sql, args)

    def _watched(self, seeds):
        return [self.run_sql(db, sql, args) for s in seeds
                for db, sql, args in s.watch]

    def _seeded(self, seeds):
        """Apply ``seeds``; return a callable that reverts them and checks
        the touched rows are back.
        """
        before = self._watched(seeds)
        self._apply(seeds, 'do')
        done = []

        def revert():
            if done:
                return
            done.append(True)
            self._apply(reversed(seeds), 'undo')
            self.assertEqual(before, self._watched(seeds),
                             'seed not reverted: %s' % ', '.join(
                                 s.name for s in seeds))
        self.addCleanup(revert)
        return revert

    def test_03_each_seeded_inconsistency_is_named(self):
        missed = []
        for seed in self._seeds():
            revert = self._seeded([seed])
            try:
                result = self.audit(families=[seed.family],
                                    with_status=seed.family == 'nova-status')
            finally:
                revert()
            hits = [r for r in result.records if r.family == seed.family and
                    r.obj == seed.obj and r.cell == seed.cell]
            if not hits:
                missed.append('%s: wanted %s %s in cell %r; got:\n%s' % (
                    seed.name, seed.family, seed.obj, seed.cell,
                    self._names(result.records)))
        self.assertEqual([], missed, '\n\n'.join(missed))
        # reverted: the cloud audits clean again
        result = self.audit()
        self.assertEqual([], result.records, self._names(result.records))

    # ------------------------------------------------------------------
    # 4. the suite's consistency checks go red, each naming its object
    # ------------------------------------------------------------------
    def test_04_suite_checks_fail_on_seeded_cloud(self):
        # one seed per family (the others of a family would only repeat);
        # not the flavor one: the migration seed makes that server moving
        by_family = {}
        for seed in self._seeds():
            if seed.name != 'allocation differs from the flavor':
                by_family.setdefault(seed.family, seed)
        seeds = list(by_family.values())
        self.assertEqual(sorted(audit.FAMILIES), sorted(by_family))
        report = os.path.join(self.work, 'audit-validate')
        revert = self._seeded(seeds)
        try:
            r = base.cli('validate', '--tempest-conf', os.path.join(
                self.work, 'tempest', 'etc', 'tempest.conf'),
                '--inventory', self.inv_path, '--regex',
                'test_consistency', '--concurrency', '1', '--report-dir',
                report, timeout=600)
        finally:
            revert()
        self.assertEqual(1, r.returncode, r.stdout[-3000:] + r.stderr)
        with open(os.path.join(report, 'run.json')) as f:
            doc = json.load(f)
        results = {t['name'].split('[')[0]: t for t in doc['results']}
        wrong = []
        for seed in seeds:
            name = 'test_' + seed.family.replace('-', '_')
            t = results.get(name)
            if t is None or t['status'] != 'fail' or seed.obj not in (
                    t.get('failure') or ''):
                wrong.append('%s: %s' % (name, t and (t['status'], (
                    t.get('failure') or '')[-600:])))
        self.assertEqual([], wrong, '\n'.join(wrong))
        # the report's Consistency section lists the records by family
        cons = doc['consistency']
        self.assertFalse(cons['consistent'])
        with open(os.path.join(report, 'summary.md')) as f:
            self.assertIn('## Consistency', f.read())
