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

"""Rules over cell_mappings themselves: cell0, shared databases and
transports, disabled flags, the inventory and service configs that name
the cells, schema versions of the cell databases."""

import configparser
import urllib.parse

from cellv2_conformance.audit.snapshot import CELL0
from cellv2_conformance.audit.snapshot import CELL0_UUID


def _where(url):
    """(user, host, port, path) of a URL: what must agree; the password
    is compared apart and never printed.
    """
    if not url:
        return None
    try:
        u = urllib.parse.urlsplit(url)
        return (u.username, u.hostname, u.port, u.path.rstrip('/') or '/')
    except ValueError:
        return (url,)


def _ep(url):
    w = _where(url)
    if not w or len(w) == 1:
        return '<unparsable>' if w else '<none>'
    return '%s@%s:%s%s' % (w[0] or '', w[1] or '', w[2] or '', w[3])


def _same(a, b, with_user=True):
    wa, wb = _where(a), _where(b)
    if wa is None or wb is None:
        return wa == wb
    if not with_user:
        wa, wb = wa[1:], wb[1:]
    return wa == wb


def cell_mappings(ix, inv, out):
    fam = 'cell-mappings'
    maps = ix.snap.api['cell_mappings']
    if not any(m.uuid == CELL0_UUID for m in maps):
        out.add(fam, CELL0_UUID, CELL0, ('API DB cell_mappings',
                                         'nova cells v2 layout'),
                'no cell0 mapping (failed builds have nowhere to go)',
                'nova-manage cell_v2 map_cell0')
    for m in maps:
        if m.uuid == CELL0_UUID and m.disabled:
            out.add(fam, m.uuid, CELL0, ('API DB cell_mappings',
                                         'nova cells v2 layout'),
                    'cell0 is disabled', 'nova-manage cell_v2 update_cell '
                    '--cell_uuid %s --enable' % m.uuid)
    seen_db, seen_mq = {}, {}
    for src in ix.snap.sources:
        m = src.mapping
        w = _where(m.database_connection)[1:] if '{' not in (
            m.database_connection or '') else None
        if w and w in seen_db:
            out.add(fam, m.uuid, src.name, ('API DB cell_mappings %s' %
                                            seen_db[w], 'API DB '
                                            'cell_mappings %s' % src.name),
                    'shares its database %s with cell %s' % (
                        _ep(m.database_connection), seen_db[w]),
                    'nova-manage cell_v2 update_cell --cell_uuid %s '
                    '--database_connection <its own>' % m.uuid)
        elif w:
            seen_db[w] = src.name
        t = m.transport_url or ''
        if src.name != CELL0 and t and '{' not in t and not t.startswith(
                'none:'):
            w = _where(t)[1:]
            if w in seen_mq:
                out.add(fam, m.uuid, src.name, (
                    'API DB cell_mappings %s' % seen_mq[w],
                    'API DB cell_mappings %s' % src.name),
                    'shares its transport %s with cell %s (RPC crosses '
                    'cells)' % (_ep(t), seen_mq[w]),
                    'nova-manage cell_v2 update_cell --cell_uuid %s '
                    '--transport-url <its own vhost>' % m.uuid)
            seen_mq[w] = src.name
        if src.name == CELL0:
            data = ix.snap.cells.get(CELL0) or {}
            for s in data.get('services', ()):
                if s.binary != 'nova-compute':
                    continue    # api, scheduler, super-conductor live here
                out.add(fam, s.host, CELL0, ('API DB cell_mappings',
                                             'cell DB cell0 services'),
                        'cell0 holds service %s on %s' % (s.binary, s.host),
                        'openstack compute service delete <id> (it was '
                        'started with cell0\'s database)')
            for n in data.get('compute_nodes', ()):
                out.add(fam, n.host, CELL0, ('API DB cell_mappings',
                                             'cell DB cell0 compute_nodes'),
                        'cell0 holds compute node %s (%s)' % (
                            n.hypervisor_hostname, n.uuid),
                        'soft-delete it: UPDATE compute_nodes SET deleted='
                        'id WHERE uuid=\'%s\' (cell0)' % n.uuid)
        if src.inventory_cell is not None:
            _inventory_cell(out, src)
    known = {s.uuid for s in ix.snap.sources}
    for c in inv.cells:
        if c.uuid not in known:
            out.add(fam, c.uuid, c.name, ('inventory %s' % inv.path,
                                          'API DB cell_mappings'),
                    'inventory cell %s has no cell mapping' % c.name,
                    'fix the inventory or nova-manage cell_v2 create_cell '
                    '--name %s' % c.name)
    for src in ix.snap.sources:
        if not src.url:
            out.add(fam, src.uuid, src.name, ('API DB cell_mappings',
                                              'inventory %s' % inv.path),
                    'cell not audited: %s' % src.why,
                    'add the cell (database/readonly_database) to the '
                    'inventory')


def _inventory_cell(out, src):
    fam = 'cell-mappings'
    m, c = src.mapping, src.inventory_cell
    checks = [('database', c.database, m.database_connection),
              ('transport', c.transport, m.transport_url)]
    for what, mine, theirs in checks:
        if '{' in (theirs or ''):
            continue
        if not _same(mine, theirs, with_user=False):
            out.add(fam, m.uuid, src.name, ('inventory', 'API DB '
                                            'cell_mappings'),
                    'inventory %s %s != cell mapping %s %s' % (
                        what, _ep(mine), what, _ep(theirs)),
                    'nova-manage cell_v2 update_cell --cell_uuid %s with '
                    'the right URL (then restart nova services), or fix '
                    'the inventory' % m.uuid)
    if bool(c.disabled) != bool(m.disabled):
        out.add(fam, m.uuid, src.name, ('inventory', 'API DB '
                                        'cell_mappings'),
                'inventory says disabled=%s, cell mapping disabled=%s' % (
                    bool(c.disabled), bool(m.disabled)),
                'nova-manage cell_v2 update_cell --cell_uuid %s --%s' % (
                    m.uuid, 'disable' if c.disabled else 'enable'))
    conf = (c.config or {}).get('conductor')
    if conf:
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            with open(conf, encoding='utf-8') as f:
                cp.read_file(f)
        except (OSError, configparser.Error):
            return
        for what, sect, key, theirs in (
                ('database', 'database', 'connection',
                 m.database_connection),
                ('transport', 'DEFAULT', 'transport_url', m.transport_url)):
            mine = cp.get(sect, key, fallback='').strip()
            if not mine or '{' in (theirs or ''):
                continue
            if _where(mine) != _where(theirs) or (
                    urllib.parse.urlsplit(mine).password !=
                    urllib.parse.urlsplit(theirs).password):
                out.add(fam, m.uuid, src.name, (
                    'config %s [%s] %s' % (conf, sect, key),
                    'API DB cell_mappings'),
                    'the cell\'s conductor config says %s %s, its cell '
                    'mapping %s (update_cell without URL flags copies the '
                    'local config, bug 1665145)' % (
                        what, _ep(mine), _ep(theirs)),
                    'nova-manage cell_v2 update_cell --cell_uuid %s '
                    '--%s <the URL of %s>; restart nova services' % (
                        m.uuid, 'database_connection' if what ==
                        'database' else 'transport-url', conf))


def schema_versions(ix, out):
    fam = 'schema-versions'
    versions = {c: ix.snap.cells[c]['version'] for c in ix.read_cells}
    counts = {}
    for v in versions.values():
        counts[v] = counts.get(v, 0) + 1
    if not counts:
        return
    common = max(counts, key=lambda v: (counts[v], str(v)))
    for cell, v in sorted(versions.items()):
        if v is None or v.startswith('migrate_version'):
            out.add(fam, cell, cell, ('cell DB %s alembic_version' % cell,
                                      'nova %s' % common),
                    'no alembic_version (%s): nova >= 28 cannot sync it'
                    % (v or 'no version table'),
                    'upgrade through nova 27 (db sync) first')
        elif v != common:
            out.add(fam, cell, cell, ('cell DB %s alembic_version' % cell,
                                      'other cells\' alembic_version'),
                    'schema %s, the other cells are at %s' % (v, common),
                    'nova-manage --config-file <cell %s conf> db sync '
                    '--local_cell%s' % (cell, '' if cell != CELL0 else
                                        ' (cell0: nova-manage db sync)'))
