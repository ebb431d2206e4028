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

"""Loopback port plan for one deployment.

A deployment uses one block of 100 ports.  With ``base_port: auto`` the first
block from 20000 up whose every port is free is chosen; with a fixed base port
a port in use is an error that names the port and the service that wanted it.
"""

import fcntl
import json
import os
import socket

from cellv2_conformance.deploy.process import DeployError

BLOCK = 100
AUTO_FIRST = 20000
AUTO_LAST = 60000

FIXED = {
    'keystone': 0, 'placement': 1, 'glance': 2, 'neutron': 3, 'nova-api': 4,
    'blazar-api': 5, 'mq': 6, 'mq-dist': 7, 'mq-management': 8,
    'epmd': 9, 'db-main': 10, 'masakari-api': 11,
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
    if not scenario.masakari.get('enabled'):
        names.pop('masakari-api')
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


def is_free(port, host='127.0.0.1', strict=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Like most services: connections of a stopped service left in
    # TIME_WAIT do not make its port unusable; a listener does.  Erlang's
    # distribution listener and epmd bind without SO_REUSEADDR: for those
    # (strict) a port in TIME_WAIT is not free.
    if not strict:
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


def _strict(name):
    return name == 'epmd' or name.startswith('mq-dist')


def _registry():
    from cellv2_conformance.deploy import infra
    d = os.path.join(infra.cache_dir(), 'port-blocks')
    os.makedirs(d, exist_ok=True)
    return d


def _block_taken(path):
    """A registered block is taken while its deployment is not down."""
    try:
        with open(path) as f:
            entry = json.load(f)
    except (OSError, ValueError):
        return False
    try:
        with open(os.path.join(entry['workdir'], 'state.json')) as f:
            return json.load(f).get('status') not in ('down',)
    except (OSError, ValueError, KeyError):
        # no state yet: taken while the deploy that registered it runs
        try:
            os.kill(int(entry.get('pid')), 0)
            return True
        except (OSError, TypeError, ValueError):
            return False


def release(workdir):
    """Forget the port block registered for ``workdir``."""
    d = _registry()
    for fn in os.listdir(d):
        path = os.path.join(d, fn)
        try:
            with open(path) as f:
                if json.load(f).get('workdir') == workdir:
                    os.unlink(path)
        except (OSError, ValueError):
            continue


def allocate(scenario, workdir=None):
    """Ports for a deployment.  Blocks are registered (under a lock) in the
    harness cache so that deployments started at the same moment on one
    machine never pick the same block.
    """
    names = plan(scenario)
    if scenario.base_port != 'auto':
        base = scenario.base_port
        busy = [(n, base + off) for n, off in sorted(
            names.items(), key=lambda x: x[1])
            if not is_free(base + off, strict=_strict(n))]
        if busy:
            raise DeployError(
                'port(s) in use on 127.0.0.1: %s (scenario %s, base_port=%d). '
                'Stop what holds them or choose another base_port.' % (
                    ', '.join('%d (wanted by %s)' % (p, n) for n, p in busy),
                    scenario.source, base))
        return {n: base + off for n, off in names.items()}
    reg = _registry()
    with open(os.path.join(reg, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for base in range(AUTO_FIRST, AUTO_LAST, BLOCK):
            entry = os.path.join(reg, 'block-%d.json' % base)
            if _block_taken(entry):
                continue
            if all(is_free(base + off, strict=_strict(n))
                   for n, off in names.items()):
                if workdir:
                    with open(entry, 'w') as f:
                        json.dump({'workdir': workdir, 'pid': os.getpid()},
                                  f)
                return {n: base + off for n, off in names.items()}
    raise DeployError('no free block of %d loopback ports between %d and %d'
                      % (BLOCK, AUTO_FIRST, AUTO_LAST))
