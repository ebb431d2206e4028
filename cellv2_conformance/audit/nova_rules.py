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

"""Rules over the API DB and the cell DBs: instance and host mappings,
request specs, instances on hosts, in-progress migrations.

Legitimate transient states are not inconsistencies: a mapping without a
cell while its build request exists (BUILD), a hidden copy during an
in-progress cross-cell move, soft-deleted rows, cell0 instances (no host).
"""

VERIFY = 'nova-manage cell_v2 verify_instance --uuid %s'
ARCHIVE = 'nova-manage db archive_deleted_rows --all-cells --until-complete'
ONLINE = 'nova-manage db online_data_migrations'


def _sql(stmt, note):
    return '%s (%s)' % (stmt, note)


def instance_mappings(ix, out):
    fam = 'instance-mappings'
    for uuid, copies in ix.live.items():
        visible = [(c, r) for c, r in copies if not r.hidden]
        hidden = [(c, r) for c, r in copies if r.hidden]
        if len(visible) > 1:
            cells = sorted(c for c, _ in visible)
            out.add(fam, uuid, ','.join(cells),
                    ('cell DB %s' % cells[0], 'cell DB %s' % cells[1]),
                    'live (deleted=0, hidden=0) in %d cells: %s (split '
                    'brain)' % (len(cells), ', '.join(cells)),
                    '%s; then soft-delete the stale copy in its cell DB: '
                    'UPDATE instances SET deleted=id, deleted_at=NOW() '
                    'WHERE uuid=\'%s\'' % (VERIFY % uuid, uuid))
        if hidden and uuid not in ix.cross_cell:
            for cell, _ in hidden:
                out.add(fam, uuid, cell, ('cell DB %s' % cell,
                                          'migrations of every cell'),
                        'hidden copy (hidden=1) left without an in-progress '
                        'cross-cell move',
                        'soft-delete the hidden copy in cell %s: UPDATE '
                        'instances SET deleted=id, deleted_at=NOW() WHERE '
                        'uuid=\'%s\' AND hidden=1' % (cell, uuid))
        for cell, row in visible:
            _live_instance(ix, out, uuid, cell, row)
    for uuid, m in ix.mappings.items():
        _mapping(ix, out, uuid, m)


def _live_instance(ix, out, uuid, cell, row):
    fam = 'instance-mappings'
    m = ix.mappings.get(uuid)
    stores = ('API DB instance_mappings', 'cell DB %s instances' % cell)
    if m is None:
        out.add(fam, uuid, cell, stores,
                'live instance has no instance mapping (the API answers '
                '404 for it)',
                'nova-manage cell_v2 map_instances --cell_uuid %s' %
                ix.cell_uuid[cell])
        return
    mapped = ix.cell_name_by_id.get(m.cell_id)
    if m.cell_id is None:
        if uuid not in ix.builds:
            out.add(fam, uuid, cell, stores,
                    'instance mapping has no cell (NULL cell_id) and no '
                    'build request, but the instance lives in %s' % cell,
                    _sql('UPDATE instance_mappings SET cell_id=%d WHERE '
                         'instance_uuid=\'%s\'' % (
                             ix.sources[cell].mapping.id, uuid),
                         'no nova-manage command fixes a NULL cell_id; '
                         'check first: %s' % (VERIFY % uuid)))
    elif mapped != cell and uuid not in ix.cross_cell:
        out.add(fam, uuid, cell, stores,
                'instance mapping names cell %s but the instance lives in '
                '%s' % (mapped, cell),
                _sql('UPDATE instance_mappings SET cell_id=%d WHERE '
                     'instance_uuid=\'%s\'' % (ix.sources[cell].mapping.id,
                                               uuid),
                     'map_instances never rewrites a cell_id; check '
                     'first: %s' % (VERIFY % uuid)))
    if m.queued_for_delete:
        out.add(fam, uuid, cell, stores,
                'live instance is queued_for_delete=1 in its mapping '
                '(quota usage undercounts it)',
                _sql('UPDATE instance_mappings SET queued_for_delete=0 '
                     'WHERE instance_uuid=\'%s\'' % uuid, 'manual'))
    elif m.queued_for_delete is None:
        out.add(fam, uuid, cell, stores,
                'queued_for_delete is NULL (online data migration '
                'populate_queued_for_delete not run)', ONLINE)
    if m.project_id != row.project_id:
        out.add(fam, uuid, cell, stores,
                'mapping project_id %s != instance project_id %s (quota '
                'counted for the wrong project)' % (m.project_id,
                                                    row.project_id),
                _sql('UPDATE instance_mappings SET project_id=\'%s\' WHERE '
                     'instance_uuid=\'%s\'' % (row.project_id, uuid),
                     'manual'))
    if m.user_id is None:
        out.add(fam, uuid, cell, stores,
                'mapping user_id is NULL (online data migration '
                'populate_user_id not run)', ONLINE)
    if (uuid in ix.builds and m.cell_id is not None and
            row.vm_state != 'building'):
        out.add(fam, uuid, cell, ('API DB build_requests',
                                  'cell DB %s instances' % cell),
                'build request left behind for an instance built in %s '
                '(vm_state %s)' % (cell, row.vm_state),
                _sql('DELETE FROM build_requests WHERE instance_uuid=\'%s\''
                     % uuid, 'manual'))


def _mapping(ix, out, uuid, m):
    fam = 'instance-mappings'
    if uuid in ix.live:
        return                         # judged from the instance side
    if m.cell_id is None:
        if uuid not in ix.builds:
            out.add(fam, uuid, '', ('API DB instance_mappings',
                                    'API DB build_requests'),
                    'instance mapping has no cell and no build request, '
                    'and no cell holds the instance (orphan mapping, bugs '
                    '1784074/1773945)',
                    _sql('DELETE FROM instance_mappings WHERE instance_uuid'
                         '=\'%s\'; DELETE FROM request_specs WHERE '
                         'instance_uuid=\'%s\'' % (uuid, uuid),
                         'manual; no nova-manage command'))
        return
    cell = ix.cell_name_by_id.get(m.cell_id)
    if cell not in ix.snap.cells:
        return                         # unreadable cell: reported apart
    stores = ('API DB instance_mappings', 'cell DB %s instances' % cell)
    if cell in ix.deleted.get(uuid, ()):
        if not m.queued_for_delete:
            out.add(fam, uuid, cell, stores,
                    'instance is deleted in %s but its mapping is not '
                    'queued_for_delete (quota still counts it)' % cell,
                    ARCHIVE if m.queued_for_delete is not None else ONLINE)
        return
    where = sorted(ix.deleted.get(uuid, ()))
    out.add(fam, uuid, cell, stores,
            'instance mapping names cell %s but no cell holds the instance'
            '%s' % (cell, ' (deleted rows in %s)' % ', '.join(where)
                    if where else ' (archived or vanished)'),
            _sql('DELETE FROM instance_mappings WHERE instance_uuid=\'%s\''
                 % uuid, 'after `%s` exits 4 or 1; %s removes mappings of '
                 'instances it archives' % (VERIFY % uuid, ARCHIVE)))


def request_specs(ix, out):
    fam = 'request-specs'
    specs = {r.instance_uuid for r in ix.snap.api['request_specs']}
    for uuid, copies in ix.live.items():
        if uuid in specs:
            continue
        for cell, row in copies:
            if not row.hidden:
                out.add(fam, uuid, cell, ('API DB request_specs',
                                          'cell DB %s instances' % cell),
                        'live instance has no request spec (moves, '
                        'evacuate and unshelve fail)',
                        'none in nova-manage: recreate with '
                        'RequestSpec.from_components or rebuild the '
                        'server')
    for uuid in sorted(specs):
        if uuid in ix.live or uuid in ix.builds or uuid in ix.mappings:
            continue
        cells = sorted(ix.deleted.get(uuid, ()))
        stores = ('API DB request_specs', 'API DB instance_mappings')
        out.add(fam, uuid, ','.join(cells), stores,
                'request spec without instance mapping, build request or '
                'live instance (left after archive)',
                _sql('DELETE FROM request_specs WHERE instance_uuid=\'%s\''
                     % uuid, 'manual'))


def host_mappings(ix, out):
    fam = 'host-mappings'
    for host, cells in sorted(ix.cells_of_host.items()):
        if len(cells) > 1:
            out.add(fam, host, ','.join(sorted(cells)),
                    ('cell DB %s' % cells[0], 'cell DB %s' % cells[1]),
                    'compute host lives in %d cells: %s' % (
                        len(cells), ', '.join(sorted(cells))),
                    'openstack compute service delete <id> (in the cell '
                    'it left), then nova-manage cell_v2 discover_hosts')
    for cell in ix.read_cells:
        if ix.is_cell0(cell):
            continue
        data = ix.snap.cells[cell]
        mapped_flag = {n.host: n.mapped for n in data['compute_nodes']}
        services = {s.host for s in data['services']
                    if s.binary == 'nova-compute'}
        for host in sorted(ix.compute_hosts[cell]):
            stores = ('API DB host_mappings',
                      'cell DB %s services/compute_nodes' % cell)
            hm = ix.host_mappings.get(host, False)
            if hm is False:
                if mapped_flag.get(host):
                    out.add(fam, host, cell, stores,
                            'compute host is not mapped although its '
                            'compute node says mapped=1 (invisible to '
                            'discover_hosts, bug 2085135)',
                            'nova-manage cell_v2 discover_hosts '
                            '--by-service --cell_uuid %s' %
                            ix.cell_uuid[cell])
                else:
                    out.add(fam, host, cell, stores,
                            'compute host has no host mapping (instances '
                            'scheduled there are buried in cell0)',
                            'nova-manage cell_v2 discover_hosts '
                            '--cell_uuid %s' % ix.cell_uuid[cell])
            elif hm != cell:
                out.add(fam, host, cell, stores,
                        'host mapping names cell %s but the compute host '
                        'lives in %s' % (hm, cell),
                        'nova-manage cell_v2 delete_host --cell_uuid %s '
                        '--host %s; nova-manage cell_v2 discover_hosts '
                        '--cell_uuid %s' % (ix.cell_uuid.get(hm, hm), host,
                                            ix.cell_uuid[cell]))
        for node in data['compute_nodes']:
            if node.host not in services:
                out.add(fam, node.host, cell,
                        ('cell DB %s services' % cell,
                         'cell DB %s compute_nodes' % cell),
                        'compute node %s (%s) has no live nova-compute '
                        'service on its host (renamed or deleted host)' % (
                            node.hypervisor_hostname, node.uuid),
                        'openstack resource provider delete %s; soft-delete '
                        'the node: UPDATE compute_nodes SET deleted=id '
                        'WHERE uuid=\'%s\'' % (node.uuid, node.uuid))
    for host, cell in sorted(ix.host_mappings.items()):
        stores = ('API DB host_mappings', 'cell DB %s services/'
                  'compute_nodes' % cell)
        if ix.is_cell0(cell):
            out.add(fam, host, cell, stores, 'host mapped to cell0',
                    'nova-manage cell_v2 delete_host --cell_uuid %s --host '
                    '%s; nova-manage cell_v2 discover_hosts' % (
                        ix.cell_uuid[cell], host))
        elif cell in ix.compute_hosts and host not in ix.compute_hosts[
                cell]:
            other = ix.cells_of_host.get(host)
            if other:
                continue                # reported from the cell side
            out.add(fam, host, cell, stores,
                    'host mapping names cell %s, which has no compute '
                    'service or node for it' % cell,
                    'nova-manage cell_v2 delete_host --cell_uuid %s '
                    '--host %s' % (ix.cell_uuid[cell], host))


def instance_hosts(ix, out):
    fam = 'instance-hosts'
    for cell in ix.read_cells:
        data = ix.snap.cells[cell]
        nodes = ix.nodes[cell]
        for row in data['instances']:
            if row.hidden or not row.host or row.uuid in ix.moving:
                continue
            stores = ('cell DB %s instances' % cell,
                      'cell DB %s compute_nodes' % cell)
            if ix.is_cell0(cell):
                out.add(fam, row.uuid, cell, stores,
                        'cell0 instance has host %s (cell0 never runs '
                        'instances)' % row.host,
                        'openstack server delete %s' % row.uuid)
                continue
            node = nodes.get((row.host, row.node))
            if node is None:
                elsewhere = ix.cells_of_host.get(row.host)
                out.add(fam, row.uuid, cell, stores,
                        'instance is on host %s node %s, which is no live '
                        'compute node of %s%s' % (
                            row.host, row.node, cell,
                            ' (the host lives in %s)' % ', '.join(elsewhere)
                            if elsewhere else ''),
                        'openstack server evacuate %s (or fix host/node '
                        'by hand)' % row.uuid)
            elif row.compute_id is None:
                out.add(fam, row.uuid, cell, stores,
                        'instance compute_id is NULL (online data '
                        'migration populate_instance_compute_id not run)',
                        ONLINE + ' (with the config of cell %s)' % cell)
            elif row.compute_id != node.id:
                out.add(fam, row.uuid, cell, stores,
                        'instance compute_id %s != id %s of compute node '
                        '%s' % (row.compute_id, node.id, row.node),
                        _sql('UPDATE instances SET compute_id=%d WHERE '
                             'uuid=\'%s\'' % (node.id, row.uuid), 'manual'))


def migrations(ix, out):
    fam = 'migrations'
    for cell in ix.read_cells:
        hosts = ix.compute_hosts[cell]
        live = {r.uuid: r for r in ix.snap.cells[cell]['instances']}
        for mig in ix.migrations[cell]:
            obj = mig.uuid or mig.instance_uuid
            stores = ('cell DB %s migrations' % cell,
                      'cell DB %s instances/services' % cell)
            inst = live.get(mig.instance_uuid)
            if inst is None and not (mig.cross_cell_move and
                                     mig.instance_uuid in ix.live):
                out.add(fam, obj, cell, stores,
                        'migration %s (%s) of instance %s, which is not '
                        'live in %s' % (mig.status, mig.migration_type,
                                        mig.instance_uuid, cell),
                        _sql('UPDATE migrations SET status=\'error\' WHERE '
                             'uuid=\'%s\'; then nova-manage placement audit '
                             '--delete' % mig.uuid, 'manual'))
                continue
            for role, host in (('source', mig.source_compute),
                               ('dest', mig.dest_compute)):
                if not host:
                    continue
                if mig.cross_cell_move:
                    ok = host in ix.cells_of_host
                else:
                    ok = host in hosts
                if not ok:
                    where = ix.cells_of_host.get(host)
                    out.add(fam, obj, cell, stores,
                            '%s migration %s of instance %s: %s host %s %s'
                            % (mig.status, mig.migration_type,
                               mig.instance_uuid, role, host,
                               'lives in cell %s (not a cross-cell move)' %
                               ','.join(where) if where else
                               'is no compute host of any cell'),
                            'openstack server migration abort / resize '
                            'revert for %s, or mark the migration error' %
                            mig.instance_uuid)
            node = ix.nodes[cell].get((mig.dest_compute, mig.dest_node))
            if (not mig.cross_cell_move and mig.dest_compute_id is not None and
                    node is not None and node.id != mig.dest_compute_id):
                out.add(fam, obj, cell, stores,
                        'migration dest_compute_id %s != id %s of compute '
                        'node %s' % (mig.dest_compute_id, node.id,
                                     mig.dest_node),
                        'manual: UPDATE migrations SET dest_compute_id=%d'
                        % node.id)
            if mig.cross_cell_move:
                # judge the copy users see (hidden=0), wherever it is
                seen = ix.visible(mig.instance_uuid)
                inst = seen[0][1] if seen else None
            if (inst is not None and not inst.hidden and
                    inst.task_state is None and inst.vm_state != 'resized'):
                out.add(fam, obj, cell, stores,
                        'migration is %s (%s) but instance %s is idle '
                        '(vm_state %s, no task): it holds a placement '
                        'consumer forever' % (mig.status,
                                              mig.migration_type,
                                              mig.instance_uuid,
                                              inst.vm_state),
                        _sql('UPDATE migrations SET status=\'error\' WHERE '
                             'uuid=\'%s\'; nova-manage placement audit '
                             '--delete --resource_provider <source rp>' %
                             mig.uuid, 'manual'))
