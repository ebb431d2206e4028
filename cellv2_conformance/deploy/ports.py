"""Loopback port plan for one deployment.

A deployment uses one block of 100 ports.  With ``base_port: auto`` the first
block from 20000 up whose every port is free is chosen; with a fixed base port
a port in use is an error that names the port and the service that wanted it.
"""

import socket

from cellv2_conformance.deploy.process import DeployError

BLOCK = 100
AUTO_FIRST = 20000
AUTO_LAST = 60000

FIXED = {
    'keystone': 0, 'placement': 1, 'glance': 2, 'neutron': 3, 'nova-api': 4,
    'blazar-api': 5, 'mq': 6, 'mq-dist': 7, 'mq-management': 8,
    'epmd': 9, 'db-main': 10,
}
CELL_DB_FIRST = 20      # db-<cell> = base + 20 + index   (16 cells max)
CELL_MQ_FIRST = 40      # mq-<cell>, mq-dist-<cell>, mq-management-<cell>


def plan(scenario):
    """Names -> offsets for every port this scenario needs."""
    names = dict(FIXED)
    if scenario.db['backend'] != 'private':
        names.pop('db-main')
    if scenario.mq['backend'] != 'private':
        for n in ('mq', 'mq-dist', 'mq-management', 'epmd'):
            names.pop(n)
    if not scenario.blazar_enabled:
        names.pop('blazar-api')
    for i, cell in enumerate(scenario.cells):
        if scenario.db['backend'] == 'private' and \
                scenario.db.get('per_cell_server'):
            names['db-%s' % cell.name] = CELL_DB_FIRST + i
        if scenario.mq['backend'] == 'private' and \
                scenario.mq.get('isolation') == 'node':
            names['mq-%s' % cell.name] = CELL_MQ_FIRST + 3 * i
            names['mq-dist-%s' % cell.name] = CELL_MQ_FIRST + 3 * i + 1
            names['mq-management-%s' % cell.name] = CELL_MQ_FIRST + 3 * i + 2
    return names


def is_free(port, host='127.0.0.1'):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Like the services themselves: connections of a stopped service left in
    # TIME_WAIT do not make its port unusable; a listener does.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError:
        return False
    finally:
        s.close()
    # Something may listen on the wildcard address only; a connect tells.
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.settimeout(0.2)
    try:
        return c.connect_ex((host, port)) != 0
    finally:
        c.close()


def allocate(scenario, reserved=()):
    names = plan(scenario)
    if scenario.base_port != 'auto':
        base = scenario.base_port
        busy = [(n, base + off) for n, off in sorted(
            names.items(), key=lambda x: x[1]) if not is_free(base + off)]
        if busy:
            raise DeployError(
                'port(s) in use on 127.0.0.1: %s (scenario %s, base_port=%d). '
                'Stop what holds them or choose another base_port.' % (
                    ', '.join('%d (wanted by %s)' % (p, n) for n, p in busy),
                    scenario.source, base))
        return {n: base + off for n, off in names.items()}
    for base in range(AUTO_FIRST, AUTO_LAST, BLOCK):
        if base in reserved:
            continue
        if all(is_free(base + off) for off in names.values()):
            return {n: base + off for n, off in names.items()}
    raise DeployError('no free block of %d loopback ports between %d and %d'
                      % (BLOCK, AUTO_FIRST, AUTO_LAST))
