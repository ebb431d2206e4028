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

"""Rules over Blazar: enrolled hosts vs hypervisors and cells, freepool
membership vs leases, lease aggregates vs reservations."""

# Lease states in which Blazar is moving hosts between aggregates.
MOVING = {'STARTING', 'TERMINATING', 'UPDATING', 'DELETING'}
OWNER_KEY = 'blazar:owner'


def _aggregates(api):
    by_id = {a.id: a for a in api['aggregates']}
    hosts = {}
    for h in api['aggregate_hosts']:
        hosts.setdefault(h.aggregate_id, set()).add(h.host)
    meta = {}
    for m in api['aggregate_metadata']:
        meta.setdefault(m.aggregate_id, {})[m.key] = m.value
    return by_id, hosts, meta


def hosts(ix, bz, pl, out):
    fam = 'blazar-hosts'
    for h in bz['hosts']:
        obj = h.service_name or h.hypervisor_hostname
        cell = ix.host_mappings.get(h.service_name)
        stores = ('Blazar computehosts', 'API DB host_mappings')
        if cell is None or cell is False:
            out.add(fam, obj, '', stores,
                    'enrolled host %s is not mapped to any cell' % obj,
                    'blazar host-delete %s, or map the host: nova-manage '
                    'cell_v2 discover_hosts' % h.id)
            continue
        if cell not in ix.nodes:
            continue
        stores = ('Blazar computehosts', 'cell DB %s compute_nodes' % cell)
        node = ix.nodes[cell].get((h.service_name, h.hypervisor_hostname))
        if node is None:
            out.add(fam, obj, cell, stores,
                    'enrolled host %s/%s is no live compute node of %s' % (
                        h.service_name, h.hypervisor_hostname, cell),
                    'blazar host-delete %s' % h.id)
            continue
        hid = str(h.id)
        if hid.isdigit() and int(hid) != node.id:
            other = [(c, n.hypervisor_hostname) for c in ix.read_cells
                     for n in ix.nodes[c].values() if n.id == int(hid)]
            out.add(fam, obj, cell, stores,
                    'enrolled as hypervisor id %s, but %s is compute node '
                    'id %s in %s (id %s is %s)' % (
                        hid, h.hypervisor_hostname, node.id, cell, hid,
                        ', '.join('%s in %s' % (n, c) for c, n in other) or
                        'no node'),
                    'blazar host-delete %s; blazar host-create %s (with '
                    'nova_client_version >= 2.53: uuids)' % (
                        h.id, h.hypervisor_hostname))
        elif not hid.isdigit() and '-' in hid and hid in ix.node_by_uuid \
                and ix.node_by_uuid[hid][1].id != node.id:
            out.add(fam, obj, cell, stores,
                    'enrolled as hypervisor %s, which is another compute '
                    'node' % hid, 'blazar host-delete %s' % h.id)
        if pl is not None and h.hypervisor_hostname:
            if 'blazar_' + h.hypervisor_hostname not in pl.rp_by_name:
                out.add(fam, obj, cell, ('Blazar computehosts',
                                         'placement resource_providers'),
                        'enrolled host has no reservation provider '
                        'blazar_%s' % h.hypervisor_hostname,
                        'blazar host-delete %s; blazar host-create %s' % (
                            h.id, h.hypervisor_hostname))


def _active_hosts(bz):
    """({host id: reservation id} of hosts in an ACTIVE lease's active
    host reservation, set of host ids Blazar is moving right now).
    """
    leases = {lease.id: lease for lease in bz['leases']}
    res = {r.id: r for r in bz['reservations']}
    active, moving = {}, set()
    for a in bz['allocations']:
        r = res.get(a.reservation_id)
        lease = leases.get(r.lease_id) if r else None
        if r is None or lease is None or r.resource_type != 'physical:host':
            continue
        if lease.status in MOVING:
            moving.add(a.compute_host_id)
        elif lease.status == 'ACTIVE' and r.status == 'active':
            active[a.compute_host_id] = r.id
    return active, moving


def freepool(ix, bz, freepool_name, out):
    fam = 'blazar-freepool'
    by_id, members, _ = _aggregates(ix.snap.api)
    pools = [a for a in by_id.values() if a.name == freepool_name]
    if not pools:
        if bz['hosts']:
            out.add(fam, freepool_name, '', ('Blazar computehosts',
                                             'API DB aggregates'),
                    'no aggregate named %s but %d enrolled host(s)' % (
                        freepool_name, len(bz['hosts'])),
                    'openstack aggregate create %s; add the enrolled hosts '
                    'not in a lease' % freepool_name)
        return
    pool = pools[0]
    in_pool = members.get(pool.id, set())
    active, moving = _active_hosts(bz)
    enrolled = {}
    for h in bz['hosts']:
        enrolled[h.service_name] = h
        if h.id in moving:
            continue
        cell = ix.host_mappings.get(h.service_name) or ''
        stores = ('Blazar leases/computehost_allocations',
                  'API DB aggregate %s' % freepool_name)
        if h.id in active and h.service_name in in_pool:
            out.add(fam, h.service_name, cell, stores,
                    'host is in an active host reservation (%s) and still '
                    'in the %s' % (active[h.id], freepool_name),
                    'openstack aggregate remove host %s %s' % (
                        freepool_name, h.service_name))
        elif h.id not in active and h.service_name not in in_pool:
            out.add(fam, h.service_name, cell, stores,
                    'enrolled host is in no active lease and not in the '
                    '%s (nothing can reserve it)' % freepool_name,
                    'openstack aggregate add host %s %s' % (
                        freepool_name, h.service_name))
    for host in sorted(in_pool - set(enrolled)):
        out.add(fam, host, ix.host_mappings.get(host) or '', (
            'API DB aggregate %s' % freepool_name, 'Blazar computehosts'),
            'host is in the %s but not enrolled in Blazar' % freepool_name,
            'openstack aggregate remove host %s %s (or blazar host-create '
            '%s)' % (freepool_name, host, host))


def aggregates(ix, bz, freepool_name, out):
    fam = 'blazar-aggregates'
    api = ix.snap.api
    by_id, members, meta = _aggregates(api)
    leases = {lease.id: lease for lease in bz['leases']}
    res = {r.id: r for r in bz['reservations']}
    flavors = {f.flavorid for f in api['flavors']}
    host_name = {h.id: h.service_name for h in bz['hosts']}
    allocated = {}
    for a in bz['allocations']:
        allocated.setdefault(a.reservation_id, set()).add(
            host_name.get(a.compute_host_id, a.compute_host_id))
    referenced = set()
    for kind, rows in (('host', bz['host_reservations']),
                       ('instance', bz['instance_reservations'])):
        for row in rows:
            r = res.get(row.reservation_id)
            if r is None or r.status not in ('pending', 'active'):
                continue
            lease = leases.get(r.lease_id)
            if lease is not None and lease.status in MOVING:
                referenced.add(row.aggregate_id)
                continue
            referenced.add(row.aggregate_id)
            stores = ('Blazar %s_reservations' % kind, 'API DB aggregates')
            if row.aggregate_id is not None and row.aggregate_id not in \
                    by_id:
                out.add(fam, r.id, '', stores,
                        '%s %s reservation of lease %s names aggregate %s, '
                        'which does not exist' % (r.status, kind,
                                                  r.lease_id,
                                                  row.aggregate_id),
                        'blazar lease-delete %s (nothing can recreate the '
                        'aggregate)' % r.lease_id)
                continue
            if kind == 'instance' and row.flavor_id and (
                    row.flavor_id not in flavors):
                out.add(fam, r.id, '', ('Blazar instance_reservations',
                                        'API DB flavors'),
                        '%s instance reservation names flavor %s, which '
                        'does not exist' % (r.status, row.flavor_id),
                        'blazar lease-delete %s' % r.lease_id)
            if kind == 'host' and row.aggregate_id in by_id:
                want = allocated.get(r.id, set()) if r.status == 'active' \
                    and lease is not None and lease.status == 'ACTIVE' \
                    else set()
                have = members.get(row.aggregate_id, set())
                for host in sorted(have - want):
                    out.add(fam, host, ix.host_mappings.get(host) or '',
                            stores, 'host is in the aggregate of %s '
                            'reservation %s (lease %s, %s) without being '
                            'allocated to it while active' % (
                                r.status, r.id, r.lease_id,
                                lease.status if lease else '?'),
                            'openstack aggregate remove host %s %s; '
                            'openstack aggregate add host %s %s' % (
                                row.aggregate_id, host, freepool_name,
                                host))
                for host in sorted(want - have):
                    out.add(fam, host, ix.host_mappings.get(host) or '',
                            stores, 'host is allocated to active '
                            'reservation %s but not in its aggregate %s' % (
                                r.id, row.aggregate_id),
                            'openstack aggregate add host %s %s' % (
                                row.aggregate_id, host))
    for agg_id, agg in sorted(by_id.items()):
        if agg.name == freepool_name or OWNER_KEY not in meta.get(
                agg_id, {}):
            continue
        if agg_id in referenced:
            continue
        r = res.get(agg.name)
        out.add(fam, agg.name, '', ('API DB aggregates',
                                    'Blazar reservations'),
                'aggregate %s (id %d, %d host(s)) carries %s but no pending '
                'or active reservation uses it%s' % (
                    agg.name, agg_id, len(members.get(agg_id, ())),
                    OWNER_KEY, ' (reservation %s)' % r.status if r else ''),
                'move its hosts back to the freepool, then openstack '
                'aggregate delete %d' % agg_id)
