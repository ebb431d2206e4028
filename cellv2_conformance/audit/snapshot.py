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

"""Read every store of a cloud once, read-only, a few queries per store.

The snapshot holds plain tuples (namedtuples), not ORM objects: a cloud of
100,000 instances fits in a few hundred MB.  Every connection goes through
:mod:`cellv2_conformance.inspect.db` (session READ ONLY, SELECT only).
"""

import collections
import concurrent.futures

import pymysql

from cellv2_conformance.inspect import db as inspect_db
from cellv2_conformance import redact

CELL0_UUID = '00000000-0000-0000-0000-000000000000'
CELL0 = 'cell0'


class StoreError(RuntimeError):
    """A store could not be read: the audit cannot judge (exit 2)."""


def _rows(conn, sql, name):
    """Rows of ``sql`` as namedtuples called ``name`` (tuple cursor: far
    less memory than dicts on 100k rows).
    """
    if not inspect_db._READ.match(sql):
        raise StoreError('refused a non-read statement: %s' % sql[:40])
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute(sql)
        cols = [d[0] for d in cur.description]
        kind = collections.namedtuple(name, cols)
        return [kind._make(r) for r in cur.fetchall()]


def _tables(conn):
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute('SHOW TABLES')
        return {r[0] for r in cur.fetchall()}


def _version(conn, tables):
    if 'alembic_version' in tables:
        rows = _rows(conn, 'SELECT version_num FROM alembic_version', 'V')
        return ','.join(sorted(r.version_num for r in rows)) or None
    if 'migrate_version' in tables:
        return 'migrate_version only (sqlalchemy-migrate)'
    return None


def _read(url, what, fn):
    try:
        # generous: one query reads a whole table of a large cloud
        with inspect_db.connect(url, timeout=30) as conn:
            return fn(conn)
    except inspect_db.InspectError as e:
        raise StoreError('%s: %s' % (what, e))
    except pymysql.Error as e:
        raise StoreError('%s (%s): %s' % (what, redact.url(url),
                                          redact.text(e)))


# ----------------------------------------------------------------------
# per store
# ----------------------------------------------------------------------
API_QUERIES = {
    'cell_mappings': 'SELECT id, uuid, name, transport_url, '
                     'database_connection, disabled FROM cell_mappings',
    'host_mappings': 'SELECT host, cell_id FROM host_mappings',
    'instance_mappings': 'SELECT instance_uuid, cell_id, project_id, '
                         'user_id, queued_for_delete FROM instance_mappings',
    'build_requests': 'SELECT instance_uuid, project_id FROM build_requests',
    'request_specs': 'SELECT instance_uuid FROM request_specs',
    'flavors': 'SELECT id, flavorid, vcpus, memory_mb, root_gb, '
               'ephemeral_gb, swap FROM flavors',
    'flavor_extra_specs': 'SELECT flavor_id, `key`, value FROM '
                          'flavor_extra_specs WHERE `key` LIKE '
                          '\'resources%\' OR `key` = \'hw:cpu_policy\'',
    'aggregates': 'SELECT id, uuid, name FROM aggregates',
    'aggregate_hosts': 'SELECT aggregate_id, host FROM aggregate_hosts',
    'aggregate_metadata': 'SELECT aggregate_id, `key`, value FROM '
                          'aggregate_metadata',
}

CELL_QUERIES = {
    'instances': 'SELECT uuid, host, node, compute_id, vm_state, '
                 'task_state, hidden, project_id, user_id, vcpus, '
                 'memory_mb, root_gb, ephemeral_gb, instance_type_id '
                 'FROM instances WHERE deleted = 0',
    'deleted_instances': 'SELECT uuid FROM instances WHERE deleted != 0',
    'services': 'SELECT host, `binary`, disabled, forced_down, version '
                'FROM services WHERE deleted = 0',
    'compute_nodes': 'SELECT id, uuid, host, hypervisor_hostname, mapped, '
                     'hypervisor_type FROM compute_nodes WHERE deleted = 0',
    # Terminal statuses as `nova-manage placement audit` reads them.
    'migrations': 'SELECT uuid, instance_uuid, source_compute, '
                  'dest_compute, source_node, dest_node, dest_compute_id, '
                  'status, migration_type, cross_cell_move FROM migrations '
                  'WHERE deleted = 0 AND status NOT IN (\'confirmed\', '
                  '\'reverted\', \'error\', \'failed\', \'completed\', '
                  '\'cancelled\', \'done\')',
}

PLACEMENT_QUERIES = {
    'providers': 'SELECT id, uuid, name, root_provider_id, '
                 'parent_provider_id FROM resource_providers',
    'classes': 'SELECT id, name FROM resource_classes',
    # One row per consumer and provider, "class=used,..." (a third of the
    # rows and fields of the raw table: pymysql parses every field).
    'allocations': 'SELECT consumer_id, resource_provider_id, '
                   'GROUP_CONCAT(resource_class_id, \'=\', used) AS amounts '
                   'FROM allocations GROUP BY consumer_id, '
                   'resource_provider_id',
    'consumers': 'SELECT c.uuid, p.external_id AS project, u.external_id '
                 'AS user FROM consumers c JOIN projects p ON p.id = '
                 'c.project_id JOIN users u ON u.id = c.user_id',
    'inventory_classes': 'SELECT DISTINCT resource_provider_id, '
                         'resource_class_id FROM inventories',
    'provider_aggregates': 'SELECT ra.resource_provider_id, a.uuid FROM '
                           'resource_provider_aggregates ra JOIN '
                           'placement_aggregates a ON a.id = '
                           'ra.aggregate_id',
}

BLAZAR_QUERIES = {
    'hosts': 'SELECT id, hypervisor_hostname, service_name, reservable '
             'FROM computehosts',
    'leases': 'SELECT id, name, status, start_date, end_date FROM leases',
    'reservations': 'SELECT id, lease_id, resource_type, status FROM '
                    'reservations',
    'host_reservations': 'SELECT reservation_id, aggregate_id FROM '
                         'computehost_reservations',
    'instance_reservations': 'SELECT reservation_id, aggregate_id, '
                             'flavor_id FROM instance_reservations',
    'allocations': 'SELECT compute_host_id, reservation_id FROM '
                   'computehost_allocations WHERE deleted IS NULL OR '
                   'deleted = \'0\' OR deleted = \'\'',
}


def _store(queries):
    def read(conn):
        out = {'version': _version(conn, _tables(conn))}
        for key, sql in queries.items():
            out[key] = _rows(conn, sql, key.title().replace('_', ''))
        return out
    return read


def _blazar_read(conn):
    # computehost_allocations has a soft-delete column only in some
    # releases: ask the catalogue rather than guess.
    tables = _tables(conn)
    q = dict(BLAZAR_QUERIES)
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute('SHOW COLUMNS FROM computehost_allocations')
        cols = {r[0] for r in cur.fetchall()}
    if 'deleted' not in cols:
        q['allocations'] = ('SELECT compute_host_id, reservation_id FROM '
                            'computehost_allocations')
    out = {'version': _version(conn, tables)}
    for key, sql in q.items():
        out[key] = _rows(conn, sql, key.title().replace('_', ''))
    return out


class CellSource:
    """Where to read one cell: name, uuid, reader URL (None: unreadable,
    with ``why``).
    """

    def __init__(self, name, uuid, url, why=None, mapping=None,
                 inventory_cell=None):
        self.name, self.uuid, self.url, self.why = name, uuid, url, why
        self.mapping = mapping
        self.inventory_cell = inventory_cell


class Snapshot:
    """Everything the rules judge.  ``cells`` is {name: store dict} for
    cell0 and every mapped cell; ``placement``/``blazar`` are None when
    the inventory names no such database.
    """

    def __init__(self):
        self.api = None
        self.cells = {}
        self.sources = []
        self.placement = None
        self.blazar = None


def api_reader(inv):
    return inv.api.get('readonly_database') or inv.api.get('database')


def cell_sources(inv, cell_mappings):
    """Cells to read: every cell_mappings row (the authority), its URL
    from the inventory when the inventory knows the cell (read-only
    account), else from the mapping itself unless it is a template.
    """
    by_uuid = {c.uuid: c for c in inv.cells}
    out = []
    for m in sorted(cell_mappings, key=lambda m: m.id):
        if m.uuid == CELL0_UUID:
            name = CELL0
            url = (inv.cell0.get('readonly_database') or
                   inv.cell0.get('database'))
            icell = None
        else:
            icell = by_uuid.get(m.uuid)
            name = icell.name if icell else (m.name or m.uuid)
            url = icell.reader_url if icell else None
        why = None
        if not url:
            url = m.database_connection
            if '{' in (url or ''):
                url, why = None, ('its database_connection is a template '
                                  'and the inventory does not list it')
        out.append(CellSource(name, m.uuid, url, why, m, icell))
    return out


def take(inv, workers=4, placement_api=None):
    """Read every store once.  Raises StoreError naming the store that
    could not be read.  ``placement_api``: a callable returning the
    placement tables from the REST API, used when the inventory names no
    placement database.
    """
    snap = Snapshot()
    api_url = api_reader(inv)
    if not api_url:
        raise StoreError('the inventory %s names no API database '
                         '(api.database / api.readonly_database)' % inv.path)
    snap.api = _read(api_url, 'API database', _store(API_QUERIES))
    snap.sources = cell_sources(inv, snap.api['cell_mappings'])
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        for src in snap.sources:
            if src.url:
                jobs[ex.submit(_read, src.url, 'cell %s database' %
                               src.name, _store(CELL_QUERIES))] = src.name
        pl = inv.data.get('placement') or {}
        pl_url = pl.get('readonly_database') or pl.get('database')
        if pl_url:
            jobs[ex.submit(_read, pl_url, 'placement database',
                           _store(PLACEMENT_QUERIES))] = '@placement'
        elif placement_api is not None:
            jobs[ex.submit(placement_api)] = '@placement'
        bz = inv.blazar
        bz_url = bz.get('readonly_database') or bz.get('database')
        if bz_url and bz.get('enabled', True):
            jobs[ex.submit(_read, bz_url, 'Blazar database',
                           _blazar_read)] = '@blazar'
        for fut in concurrent.futures.as_completed(jobs):
            name = jobs[fut]
            data = fut.result()          # StoreError propagates
            if name == '@placement':
                snap.placement = data
            elif name == '@blazar':
                snap.blazar = data
            else:
                snap.cells[name] = data
    return snap
