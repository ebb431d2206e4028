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

"""Rules over placement: allocations/consumers vs instances and
migrations, resource providers vs compute nodes, aggregates vs nova's."""

import math

# The classes `nova-manage placement audit` counts as nova's.
NOVA_CLASSES = {'VCPU', 'PCPU', 'MEMORY_MB', 'DISK_GB', 'VGPU',
                'MEM_ENCRYPTION_CONTEXT'}
INCOMPLETE = '00000000-0000-0000-0000-000000000000'


class Placement:
    """Placement tables indexed once."""

    def __init__(self, data):
        self.data = data
        self.rp = {p.id: p for p in data['providers']}
        self.rp_by_uuid = {p.uuid: p for p in data['providers']}
        self.rp_by_name = {p.name: p for p in data['providers']}
        self.rc = {c.id: c.name for c in data['classes']}
        # consumer -> {rp uuid: {class: used}}
        self.alloc = {}
        rc = self.rc
        for a in data['allocations']:
            rp = self.rp.get(a.resource_provider_id)
            amounts = self.alloc.setdefault(a.consumer_id, {}).setdefault(
                rp.uuid if rp else '?', {})
            if hasattr(a, 'amounts'):         # "class id=used,..." (SQL)
                for part in a.amounts.split(','):
                    cid, used = part.split('=')
                    amounts[rc.get(int(cid), '?')] = int(used)
            else:                             # one row per class (API)
                amounts[rc.get(a.resource_class_id, '?')] = a.used
        self.consumers = {c.uuid: c for c in data['consumers']}
        self.inv_classes = {}
        for r in data['inventory_classes']:
            self.inv_classes.setdefault(r.resource_provider_id, set()).add(
                self.rc.get(r.resource_class_id))
        self.aggs = {}
        for r in data['provider_aggregates']:
            self.aggs.setdefault(r.resource_provider_id, set()).add(r.uuid)


def _flavor_amounts(ix, row):
    """({class: amount}, {DISK_GB with root, without root (boot from
    volume)}) the flavor of ``row`` asks on its compute node (memoized:
    a cloud has few flavors).
    """
    key = (row.instance_type_id, row.vcpus, row.memory_mb, row.root_gb,
           row.ephemeral_gb)
    if key not in ix.amounts:
        ix.amounts[key] = _amounts(ix, row)
    return ix.amounts[key]


def _amounts(ix, row):
    flavor = ix.flavors.get(row.instance_type_id)
    swap = flavor.swap if flavor else 0
    want = {'VCPU': row.vcpus, 'MEMORY_MB': row.memory_mb}
    disk = (row.root_gb or 0) + (row.ephemeral_gb or 0) + math.ceil(
        (swap or 0) / 1024.0)
    bfv_disk = disk - (row.root_gb or 0)
    specs = ix.extra_specs.get(row.instance_type_id, {})
    if specs.get('hw:cpu_policy') == 'dedicated':
        want['PCPU'] = want.pop('VCPU')
    for key, value in specs.items():
        if key.startswith('resources') and ':' in key:
            rc = key.split(':', 1)[1]
            if rc in ('VCPU', 'PCPU', 'MEMORY_MB', 'DISK_GB'):
                try:
                    want[rc] = int(value)
                except ValueError:
                    continue
                if rc == 'DISK_GB':
                    disk = bfv_disk = int(value)
    want = {k: v for k, v in want.items() if v}
    return want, {disk, bfv_disk}


def allocations(ix, pl, out):
    fam = 'placement-allocations'
    ix.flavors = {f.id: f for f in ix.snap.api['flavors']}
    ix.extra_specs, ix.amounts = {}, {}
    for s in ix.snap.api['flavor_extra_specs']:
        ix.extra_specs.setdefault(s.flavor_id, {})[s.key] = s.value
    # 1. every consumer holding allocations is a live instance or an
    #    in-progress migration (a build in flight holds a claim before its
    #    instance reaches a cell: skip those with a build request)
    for consumer, per_rp in pl.alloc.items():
        classes = {c for amounts in per_rp.values() for c in amounts}
        copies = ix.live.get(consumer)
        if copies:
            cells = [c for c, _ in copies]
            if all(ix.is_cell0(c) for c in cells):
                out.add(fam, consumer, 'cell0', (
                    'placement allocations', 'cell DB cell0 instances'),
                    'cell0 instance (never scheduled) holds allocations on '
                    '%s (scheduler claim not released)' % ', '.join(
                        sorted(per_rp)),
                    'openstack server delete %s, or nova-manage placement '
                    'audit --delete --resource_provider <rp>' % consumer)
            continue
        if consumer in ix.migration_uuids or consumer in ix.builds:
            continue
        m = ix.mappings.get(consumer)
        if m is not None and m.cell_id is None:
            continue
        if not classes & NOVA_CLASSES:
            continue                    # not nova's (e.g. CUSTOM_* only)
        deleted = sorted(ix.deleted.get(consumer, ()))
        for rp_uuid in sorted(per_rp):
            node = ix.node_by_uuid.get(rp_uuid)
            cell = node[0] if node else (deleted[0] if deleted else '')
            out.add(fam, consumer, cell, ('placement allocations',
                                          'cell DB instances/migrations'),
                    'consumer holds %s on provider %s but is neither a live '
                    'instance nor an in-progress migration in any cell%s' % (
                        ', '.join('%s=%s' % kv for kv in sorted(
                            per_rp[rp_uuid].items())), rp_uuid,
                        ' (deleted instance in %s)' % ', '.join(deleted)
                        if deleted else ''),
                    'openstack resource provider allocation unset '
                    '--provider %s %s' % (rp_uuid, consumer))
    # 2. every settled live instance on a host holds its flavor on its node
    for cell in ix.read_cells:
        if ix.is_cell0(cell):
            continue
        for row in ix.snap.cells[cell]['instances']:
            if (row.hidden or not row.host or row.task_state is not None or
                    row.uuid in ix.moving or
                    row.vm_state in ('building', 'shelved_offloaded')):
                continue
            node = ix.nodes[cell].get((row.host, row.node))
            if node is None:
                continue                 # reported by instance-hosts
            _instance_alloc(ix, pl, out, cell, row, node)
    # 3. every allocation has its consumer row (read from the database
    #    only; placement's blocker migration b5c396305c25 refuses to
    #    upgrade otherwise)
    if pl.consumers:
        for consumer in sorted(set(pl.alloc) - set(pl.consumers)):
            out.add(fam, consumer, '', ('placement allocations',
                                        'placement consumers'),
                    'allocations without a consumer row (placement\'s '
                    'upgrade blocker b5c396305c25)',
                    'placement-manage db online_data_migrations')
    # 4. consumer owner = instance owner
    for uuid, copies in ix.live.items():
        c = pl.consumers.get(uuid)
        if c is None or uuid not in pl.alloc:
            continue
        cell, row = copies[0]
        if c.project != row.project_id or (
                row.user_id and c.user != row.user_id):
            out.add(fam, uuid, cell, ('placement consumers',
                                      'cell DB %s instances' % cell),
                    'consumer project/user %s/%s != instance owner %s/%s%s'
                    % (c.project, c.user, row.project_id, row.user_id,
                       ' (incomplete consumer)' if INCOMPLETE in (
                           c.project, c.user) else ''),
                    'nova-manage placement heal_allocations --instance %s'
                    % uuid)


def _instance_alloc(ix, pl, out, cell, row, node):
    fam = 'placement-allocations'
    stores = ('placement allocations', 'cell DB %s instances' % cell)
    per_rp = pl.alloc.get(row.uuid, {})
    mine = per_rp.get(node.uuid)
    if mine is None:
        out.add(fam, row.uuid, cell, stores,
                'instance on %s/%s holds no allocation on its compute '
                'node\'s provider %s' % (row.host, row.node, node.uuid),
                'nova-manage placement heal_allocations --instance %s'
                % row.uuid)
    else:
        want, disks = _flavor_amounts(ix, row)
        wrong = ['%s %s != flavor %s' % (rc, mine.get(rc), n)
                 for rc, n in sorted(want.items()) if mine.get(rc) != n]
        if 'DISK_GB' in mine or any(disks):
            if mine.get('DISK_GB', 0) not in disks:
                wrong.append('DISK_GB %s != flavor %s' % (
                    mine.get('DISK_GB'), max(disks)))
        if wrong:
            out.add(fam, row.uuid, cell, stores,
                    'allocation on %s differs from the flavor: %s' % (
                        node.uuid, '; '.join(wrong)),
                    'openstack resource provider allocation unset '
                    '--provider %s %s; nova-manage placement '
                    'heal_allocations --instance %s' % (
                        node.uuid, row.uuid, row.uuid))
    for rp_uuid, amounts in sorted(per_rp.items()):
        if rp_uuid == node.uuid or not set(amounts) & NOVA_CLASSES:
            continue
        rp = pl.rp_by_uuid.get(rp_uuid)
        node_rp = pl.rp_by_uuid.get(node.uuid)
        if rp is not None and node_rp is not None and (
                rp.root_provider_id == node_rp.id):
            continue                     # a child of its own node
        out.add(fam, row.uuid, cell, stores,
                'settled instance on %s also holds %s on provider %s '
                '(leaked by a move)' % (row.node, ', '.join(
                    '%s=%s' % kv for kv in sorted(amounts.items())),
                    rp_uuid),
                'openstack resource provider allocation unset --provider '
                '%s %s' % (rp_uuid, row.uuid))


def providers(ix, pl, out):
    fam = 'placement-providers'
    for cell in ix.read_cells:
        if ix.is_cell0(cell):
            continue
        for (host, hh), node in sorted(ix.nodes[cell].items()):
            stores = ('placement resource_providers',
                      'cell DB %s compute_nodes' % cell)
            if node.uuid in pl.rp_by_uuid:
                rp = pl.rp_by_uuid[node.uuid]
                if rp.name != hh:
                    out.add(fam, host, cell, stores,
                            'provider %s is named %s, compute node says '
                            '%s' % (node.uuid, rp.name, hh),
                            'restart nova-compute on %s (it renames its '
                            'provider)' % host)
                continue
            other = pl.rp_by_name.get(hh)
            out.add(fam, host, cell, stores,
                    'compute node %s (%s) has no resource provider%s' % (
                        hh, node.uuid, '; provider %s holds its name (bug '
                        '1817833)' % other.uuid if other else ''),
                    ('remove allocations of %s, openstack resource provider '
                     'delete %s, restart nova-compute on %s' % (
                         other.uuid, other.uuid, host)) if other else
                    'restart nova-compute on %s' % host)
    for rp in pl.data['providers']:
        if rp.root_provider_id is None and pl.data.get('version'):
            out.add(fam, rp.name, '', ('placement resource_providers',
                                       'placement schema'),
                    'provider %s has no root_provider_id (placement\'s '
                    'upgrade blocker 611cd6dffd7b)' % rp.uuid,
                    'placement-manage db online_data_migrations')
        if rp.parent_provider_id is not None:
            continue
        if not pl.inv_classes.get(rp.id, set()) & {'VCPU', 'MEMORY_MB'}:
            continue
        if rp.uuid in ix.node_by_uuid:
            continue
        out.add(fam, rp.name, '', ('placement resource_providers',
                                   'cell DB compute_nodes of every cell'),
                'root provider %s (%s) has compute inventory but no cell '
                'has a live compute node with that uuid' % (rp.name,
                                                            rp.uuid),
                'openstack resource provider delete %s (after moving or '
                'unsetting its allocations)' % rp.uuid)


def aggregates(ix, pl, out):
    fam = 'placement-aggregates'
    api = ix.snap.api
    agg_uuid = {a.id: a.uuid for a in api['aggregates']}
    agg_name = {a.uuid: a.name for a in api['aggregates']}
    members = {}
    for h in api['aggregate_hosts']:
        if h.aggregate_id in agg_uuid:
            members.setdefault(agg_uuid[h.aggregate_id], set()).add(h.host)
    nodes_of_host = {}
    for cell in ix.read_cells:
        for (host, _), node in ix.nodes[cell].items():
            nodes_of_host.setdefault(host, []).append((cell, node))
    for uuid, hosts in sorted(members.items()):
        for host in sorted(hosts):
            for cell, node in nodes_of_host.get(host, ()):
                rp = pl.rp_by_uuid.get(node.uuid)
                if rp is None:
                    continue             # reported by placement-providers
                if uuid not in pl.aggs.get(rp.id, ()):
                    out.add(fam, host, cell, ('API DB aggregate_hosts',
                                              'placement aggregates'),
                            'host is in nova aggregate %s (%s) but its '
                            'provider %s is not in placement aggregate %s'
                            % (agg_name[uuid], uuid, rp.uuid, uuid),
                            'nova-manage placement sync_aggregates')
    for cell in ix.read_cells:
        for (host, _), node in sorted(ix.nodes[cell].items()):
            rp = pl.rp_by_uuid.get(node.uuid)
            if rp is None:
                continue
            for uuid in sorted(pl.aggs.get(rp.id, ())):
                if uuid in agg_name and host not in members.get(uuid, ()):
                    out.add(fam, host, cell, ('placement aggregates',
                                              'API DB aggregate_hosts'),
                            'provider %s is in placement aggregate %s but '
                            'host is not in nova aggregate %s' % (
                                rp.uuid, uuid, agg_name[uuid]),
                            'openstack resource provider aggregate set '
                            '--aggregate <the others> %s '
                            '(sync_aggregates only adds)' % rp.uuid)
