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

"""Pure assertion logic of the checks: evidence in, problems out.

Each function compares independent sources (the API, each cell database,
the broker, what a human wrote) and returns a list of problems, each one
sentence naming the object, the place and what disagreed; an empty list
means the check holds.  A check asserts ``assertEqual([], problems)``.

Keeping the logic here lets ``tests/unit/test_crosscheck.py`` feed every
function a deliberately broken input and prove the check goes red (a
check that cannot fail is no check).  Evidence that is *missing* (an empty
list where something must exist, a broker without statistics) is itself
a problem, never a silent pass.
"""

import collections

CELL0_UUID = '00000000-0000-0000-0000-000000000000'
MIGRATION_FINAL_OK = ('confirmed', 'finished')


# -- resize / migrations ---------------------------------------------------
def resize_outcome(cell_name, cell_hosts, before, after, migrations,
                   new_flavor_name):
    """Problems with one within-cell resize.

    Two outcomes are legal: the migration failed (``error``: no other
    host in the cell) and the server is ACTIVE with its old flavor on its
    old host; or it succeeded (``confirmed``/``finished``) and the server
    is ACTIVE with the new flavor on a host of the same cell.
    """
    sid = before['id']
    if not migrations:
        return ['server %s (cell %s): GET /os-migrations lists no '
                'migration for the resize' % (sid, cell_name)]
    problems = []
    status = migrations[0]['status']
    if after.get('status') != 'ACTIVE':
        problems.append('server %s (cell %s) is %s after the resize, not '
                        'ACTIVE' % (sid, cell_name, after.get('status')))
    old_host, new_host = (before.get('OS-EXT-SRV-ATTR:host'),
                          after.get('OS-EXT-SRV-ATTR:host'))
    flavor = (after.get('flavor') or {}).get('original_name')
    if status == 'error':
        if after.get('flavor') != before.get('flavor'):
            problems.append('server %s (cell %s): the resize failed but '
                            'the flavor changed from %s to %s' % (
                                sid, cell_name, before.get('flavor'),
                                after.get('flavor')))
        if new_host != old_host:
            problems.append('server %s (cell %s): the resize failed but '
                            'the server moved from %s to %s' % (
                                sid, cell_name, old_host, new_host))
    elif status in MIGRATION_FINAL_OK:
        if flavor != new_flavor_name:
            problems.append('server %s (cell %s): the resize succeeded '
                            'but the flavor is %s, not %s' % (
                                sid, cell_name, flavor, new_flavor_name))
        if new_host not in cell_hosts:
            problems.append('server %s was resized to host %s, outside '
                            'its cell %s (hosts %s)' % (
                                sid, new_host, cell_name, sorted(cell_hosts)))
    else:
        problems.append('server %s (cell %s): migration %s ended in status '
                        '%s (neither error nor confirmed/finished)' % (
                            sid, cell_name, migrations[0].get('uuid'),
                            status))
    return problems


def migrations_listed(per_server_rows, listed_uuids):
    """Every migration row the cell DBs hold for our servers is listed by
    ``GET /os-migrations``; a server without a row is a problem too.

    :param per_server_rows: {(server id, cell name): [migration uuids]}.
    """
    problems = []
    listed = set(listed_uuids)
    for (sid, cell), uuids in sorted(per_server_rows.items()):
        if not uuids:
            problems.append('cell %s holds no migration row for server %s '
                            'after its resize' % (cell, sid))
        missing = sorted(set(uuids) - listed)
        if missing:
            problems.append('migrations %s of server %s (cell %s) are '
                            'missing from GET /os-migrations' % (
                                missing, sid, cell))
    if not per_server_rows:
        problems.append('no server was resized: nothing to compare')
    return problems


# -- topology ----------------------------------------------------------------
def shared_transports(cell_transports, api_transport=None):
    """Cells whose message queue (host:port/vhost, as tuples from
    ``base.mq_address``) is another cell's or the API level's.

    :param cell_transports: {cell name: address tuple}.
    :param api_transport: address tuple of the API-level transport
        (nova.conf ``[DEFAULT] transport_url`` of the API services).
    """
    problems = []
    by_addr = collections.defaultdict(list)
    for name, addr in cell_transports.items():
        by_addr[tuple(addr)].append(name)
    for addr, names in sorted(by_addr.items()):
        if len(names) > 1:
            problems.append('cells %s share the message queue %s' % (
                ', '.join(sorted(names)), ', '.join(addr)))
    if api_transport:
        api = set(api_transport)
        for name, addr in sorted(cell_transports.items()):
            common = sorted(api & set(addr))
            if common:
                problems.append(
                    'cell %s uses the API-level message queue %s: its '
                    'computes and conductor share the super conductor\'s '
                    'bus' % (name, ', '.join(common)))
    return problems


def live_cell_databases(services_by_cell):
    """Every cell database (cell0 aside) holds live service rows: a cell
    DB without a single nova-conductor/nova-compute row is not the
    database its services write to.

    :param services_by_cell: {cell name: [{'host', 'binary'}, ...]}.
    """
    problems = []
    for name, rows in sorted(services_by_cell.items()):
        if not rows:
            problems.append('cell %s: its database has no live row in '
                            '`services` (no conductor or compute writes '
                            'there)' % name)
    if not services_by_cell:
        problems.append('no cell database was read')
    return problems


# -- host mappings --------------------------------------------------------
def host_mapping_problems(host_mappings, nodes_by_cell, api_compute_hosts):
    """Host mappings (API DB) against the compute nodes of each cell DB and
    the nova-compute services the API lists.

    :param host_mappings: [{'host', 'cell_name'}] from the API database.
    :param nodes_by_cell: {cell name: [{'host', ...}]} from each cell DB.
    :param api_compute_hosts: hosts of ``GET /os-services?binary=
        nova-compute`` (the API's view, gathered from every cell).
    """
    problems = []
    cells_of_host = collections.defaultdict(set)
    for cell, nodes in nodes_by_cell.items():
        for node in nodes:
            cells_of_host[node['host']].add(cell)
    mapped = {m['host']: m['cell_name'] for m in host_mappings}
    if not cells_of_host:
        problems.append('no cell database holds a compute node')
    for host, cells in sorted(cells_of_host.items()):
        if len(cells) > 1:
            problems.append('host %s has compute nodes in several cell '
                            'databases: %s' % (host, sorted(cells)))
        elif host not in mapped:
            problems.append('host %s (compute node in cell %s) has no '
                            'host_mappings row' % (host, next(iter(cells))))
        elif mapped[host] not in cells:
            problems.append('host %s is mapped to cell %s but its compute '
                            'node is in cell %s' % (
                                host, mapped[host], next(iter(cells))))
    for host, cell in sorted(mapped.items()):
        if host not in cells_of_host:
            problems.append('host_mappings row for %s points at cell %s, '
                            'which has no such compute node' % (host, cell))
    api = set(api_compute_hosts)
    if not api:
        problems.append('GET /os-services lists no nova-compute service')
    for host in sorted(api - set(cells_of_host)):
        problems.append('nova-compute on %s is listed by the API but no '
                        'cell database holds its compute node' % host)
    for host in sorted(set(cells_of_host) - api):
        problems.append('compute node %s is in a cell database but the API '
                        'lists no nova-compute service on it' % host)
    return problems


# -- message queue windows --------------------------------------------------
def untouched_host_queues(window, watched, prefixes):
    """Compute host queues in ``watched`` did not move during a build
    window in ``window['cell']``, *and* the window proves the counters were
    live: the build's own ``compute.<host>`` queue rose.  A broker that
    reports no ``message_stats`` shows every counter at 0, which would
    otherwise read as "untouched".

    :param window: {'cell', 'target', 'delta': {vhost key: {queue:
        publish delta}}}.
    :param watched: {where (human words): {queue: publish delta}}.
    """
    cell = window['cell']
    own = window['delta'].get(cell, {}).get(window['target'], 0)
    if not own or own < 1:
        return ['the broker counted no message on %s (cell %s) during the '
                'build there: without live message_stats "untouched" '
                'proves nothing' % (window['target'], cell)]
    problems = []
    for where, delta in sorted(watched.items()):
        moved = {q: d for q, d in delta.items()
                 if q.startswith(prefixes) and d}
        if moved:
            problems.append('compute queues on %s moved during a build in '
                            '%s: %s' % (where, cell, moved))
    return problems


# -- server lists ----------------------------------------------------------
def limit_problems(whole, limited, limit):
    """``GET /servers?limit=N`` returns the first N servers of the same
    unlimited listing, in the same order.

    :param whole: ids of the unlimited listing, in order.
    :param limited: ids of the limited listing, in order.
    """
    if len(whole) <= limit:
        return ['the unlimited listing has %d servers: limit=%d cannot be '
                'told apart from no limit' % (len(whole), limit)]
    if list(limited) != list(whole[:limit]):
        return ['limit=%d returned %s; the first %d of the unlimited '
                'listing are %s' % (limit, list(limited), limit,
                                    list(whole[:limit]))]
    return []


# -- hosts a check may use ------------------------------------------------
def usable_ordinary_hosts(candidates, blazar_hosts, freepool_hosts,
                          compute_services):
    """The candidate hosts that can take ordinary servers, by evidence:
    not enrolled in Blazar (os-hosts), not in its free pool aggregate, and
    running an enabled, up nova-compute service.

    :param compute_services: ``GET /os-services?binary=nova-compute``.
    """
    taken = set(blazar_hosts) | set(freepool_hosts)
    up = {s['host'] for s in compute_services
          if s.get('status') == 'enabled' and s.get('state') == 'up'}
    return [h for h in candidates if h not in taken and h in up]


def takeable_host(allowed, blazar_hosts, servers_on):
    """(host, None) for the first host of ``allowed`` (tempest.conf's
    named hosts) that is not enrolled in Blazar and runs no server, else
    (None, reason).
    """
    if not allowed:
        return None, 'no host is named'
    reasons = []
    for host in allowed:
        if host in blazar_hosts:
            reasons.append('%s is already enrolled in Blazar' % host)
            continue
        busy = servers_on(host)
        if busy:
            reasons.append('%s runs %d server(s)' % (host, len(busy)))
            continue
        return host, None
    return None, '; '.join(reasons)
