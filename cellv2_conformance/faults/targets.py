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

"""Fault targets: names from the inventory, never process-name patterns.

Grammar (``parse``)::

    cell(<name>).db            the cell's dedicated database server
    cell(<name>).mq            the cell's RabbitMQ vhost (permissions)
    cell(<name>).conductor     the cell conductor process
    cell(<name>).compute(<h>)  one compute service process of the cell
    cell(<name>).host(<h>)     a whole compute host failing (nova sees it
                               down; Masakari notified): .host_failure
    cell(<name>)               the cell mapping itself (nova-manage)
    service(<name>)            any recorded process, e.g. nova-scheduler

``<name>.db`` etc. is accepted as a shorthand for ``cell(<name>).db``.

Each executor knows how to ``inject`` one action, ``verify`` its effect by
inspection (connection refused, management API, process state), ``heal``
idempotently ("make it healthy", so healing a fault that never took effect
is harmless) and ``verify_healed`` (``SELECT 1``, permissions back, ...).

Processes are found through the deployment's ``state.json`` (pid, start
time, recorded argv/env): :mod:`cellv2_conformance.deploy.process` is the
small interface to the deployer the architecture allows; nothing else of the
deployer is used.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import psutil
import requests
import yaml

from cellv2_conformance import errors
from cellv2_conformance.inspect import db as inspect_db
from cellv2_conformance.inspect import mq as inspect_mq
from cellv2_conformance import redact


class FaultError(errors.CannotRun, RuntimeError):
    """A fault could not be injected, verified or healed; says why/where."""


_CELL = re.compile(r'^cell\((?P<cell>[^)]+)\)(?:\.(?P<part>db|mq|conductor|'
                   r'(?P<kind>compute|host)\((?P<host>[^)]+)\)))?$')
_SHORT = re.compile(r'^(?P<cell>[A-Za-z0-9_-]+)\.(?P<part>db|mq|conductor)$')
_SERVICE = re.compile(r'^service\((?P<name>[^)]+)\)$')


def poll(check, timeout, what, interval=0.2):
    """Call ``check()`` until it returns a true value (returned) or raise.

    ``check`` returns (ok, detail); the last detail is in the error.
    """
    deadline = time.monotonic() + timeout
    detail = None
    while True:
        ok, detail = check()
        if ok:
            return detail
        if time.monotonic() > deadline:
            raise FaultError('%s: not reached within %ss (last: %s)' % (
                what, timeout, detail))
        time.sleep(interval)


# --------------------------------------------------------------------------
# processes recorded by the deployer
# --------------------------------------------------------------------------

class Processes:
    """Recorded processes of a deployment (its ``state.json``)."""

    def __init__(self, inv):
        self.inv = inv
        self.workdir = inv.workdir

    def _process_mod(self):
        from cellv2_conformance.deploy import process
        return process

    def state(self):
        process = self._process_mod()
        if not self.workdir or not process.State.exists(self.workdir):
            raise FaultError(
                'process faults need the deployment\'s state.json (pids and '
                'commands recorded by `cellv2-conformance deploy`); '
                'inventory %s names workdir %r without one' % (
                    self.inv.path, self.workdir))
        try:
            return process.State.load(self.workdir)
        except process.DeployError as e:
            raise FaultError(str(e))

    def record(self, name):
        st = self.state()
        rec = st.processes.get(name)
        if rec is None:
            raise FaultError('no process %r recorded in %s/state.json '
                             '(known: %s)' % (name, self.workdir, ', '.join(
                                 sorted(st.processes))))
        return rec

    def cloud_is_down(self):
        """True when the deployment is being or was torn down (nothing
        left to heal; a heal must not start anything again).
        """
        process = self._process_mod()
        if self.workdir and process.State.exists(self.workdir):
            return self.state().data.get('status') in ('stopping', 'down')
        # A deployed cloud whose workdir is gone; an existing cloud (no
        # state.json) is never "down" for us.
        return self.inv.data.get('source') == 'cellv2-conformance deploy'

    def alive(self, rec):
        return self._process_mod().is_alive(rec)

    def members(self, rec):
        """The recorded process and its descendants (live ones)."""
        if not self.alive(rec):
            return []
        try:
            p = psutil.Process(rec['pid'])
            return [p] + p.children(recursive=True)
        except psutil.Error:
            return []

    def signal_group(self, rec, sig):
        self._process_mod().signal_process(rec, sig)

    def signal_tree(self, rec, sig):
        """``sig`` to the process group and to every descendant: some
        leave the group (RabbitMQ's erl_child_setup calls setsid, so its
        inet_gethost and disk monitor would keep running under a freeze;
        seen in the fault soak).
        """
        members = self.members(rec)
        self.signal_group(rec, sig)
        for m in members:
            try:
                m.send_signal(sig)
            except psutil.Error:
                pass

    def signal_one(self, rec, sig):
        if not self.alive(rec):
            raise FaultError('process pid %s is not running' % rec['pid'])
        os.kill(rec['pid'], sig)

    def stop(self, rec):
        return self._process_mod().stop(rec)

    def restart(self, name):
        """Start ``name`` again with its recorded argv, env, cwd and log."""
        process = self._process_mod()
        st = self.state()
        rec = st.processes[name]
        if process.is_alive(rec):
            return rec
        env = rec.get('env')
        if env is None and rec.get('kind') in ('api', 'mq'):
            raise FaultError(
                'cannot restart %s: its environment was not recorded (a '
                'deployment made before state.json recorded "env"); use the '
                'freeze action (SIGSTOP/SIGCONT) instead' % name)
        shown = list(rec['argv']) + list((env or {}).values())
        if any(redact.MASK in str(a) for a in shown):
            raise FaultError('cannot restart %s: its recorded command line '
                             'holds a redacted secret' % name)
        std = {'pid', 'pgid', 'create_time', 'argv', 'log', 'kind',
               'started_at', 'env', 'cwd'}
        meta = {k: v for k, v in rec.items() if k not in std}
        new = process.start(st, name, rec['argv'], rec['log'],
                            env=env or None, cwd=rec.get('cwd'),
                            kind=rec.get('kind', 'service'), meta=meta)
        self._update_inventory_pid(name, new['pid'])
        return new

    def _update_inventory_pid(self, name, pid):
        """The inventory names the pid of every recorded process (checks
        read it, e.g. to match RabbitMQ connections to services): a restart
        keeps it true.  Only for the inventory a deployment wrote.
        """
        path = self.inv.path
        if not path or self.inv.data.get('source') != \
                'cellv2-conformance deploy':
            return
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)

        def walk(node):
            if isinstance(node, dict):
                if node.get('process') == name and 'pid' in node:
                    node['pid'] = pid
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(data)
        self._process_mod().write_private(path, yaml.safe_dump(
            data, default_flow_style=False, sort_keys=False))


# --------------------------------------------------------------------------
# executors
# --------------------------------------------------------------------------

def deployed_by_us(inv):
    """True when ``inv`` is the inventory `cellv2-conformance deploy` wrote
    for its workdir (its state.json names this very file), so every target
    in it is something this harness started.
    """
    from cellv2_conformance.deploy import process
    workdir = inv.workdir
    if not inv.path or not isinstance(workdir, str) or \
            not process.State.exists(workdir):
        return False
    try:
        recorded = process.State.load(workdir).data.get('inventory')
    except process.DeployError:
        return False
    return bool(recorded) and os.path.realpath(recorded) == \
        os.path.realpath(inv.path)


class Executor:
    actions = ()
    kind = None

    def __init__(self, inv, target, cell=None):
        self.inv = inv
        self.target = target
        self.cell = cell
        self.procs = Processes(inv)

    @property
    def resources(self):
        """Canonical identity of what the fault acts on: two targets that
        name the same thing (``service(mariadb-cell2)`` and
        ``cell(cell2).db``) share it, so they are never open at once.
        """
        return ('target:%s' % self.target,)

    def check_action(self, action):
        if action not in self.actions:
            raise FaultError('target %s supports actions %s, not %r' % (
                self.target, ', '.join(self.actions), action))

    def prepare(self, action, record):
        """Read what heal will need (before anything changes)."""

    def inject(self, action, record):
        raise NotImplementedError

    def verify(self, action, record, timeout):
        raise NotImplementedError

    def heal(self, action, record):
        raise NotImplementedError

    def verify_healed(self, action, record, timeout):
        raise NotImplementedError


class ProcessExecutor(Executor):
    """A recorded service process: ``freeze`` (SIGSTOP of its process
    group and every descendant, healed by SIGCONT) or ``stop`` (SIGTERM,
    healed by a restart with the recorded argv/env).
    """
    actions = ('freeze', 'stop')
    kind = 'process'

    def __init__(self, inv, target, process_name, cell=None):
        super().__init__(inv, target, cell)
        self.name = process_name

    @property
    def resources(self):
        return ('process:%s' % self.name,)

    def prepare(self, action, record):
        rec = self.procs.record(self.name)
        if not self.procs.alive(rec):
            raise FaultError('%s (%s, pid %s) is not running: nothing to '
                             'inject a fault into' % (self.target, self.name,
                                                      rec['pid']))
        record['process'] = {'name': self.name, 'pid': rec['pid'],
                             'create_time': rec.get('create_time')}

    def inject(self, action, record):
        rec = self.procs.record(self.name)
        if action == 'freeze':
            self.procs.signal_tree(rec, signal.SIGSTOP)
        else:
            self.procs.stop(rec)

    @staticmethod
    def _uses_mq(rec):
        prog = os.path.basename(str((rec.get('argv') or [''])[0]))
        return rec.get('kind') == 'service' and prog.startswith('nova-')

    def _stopped(self, rec):
        members = self.procs.members(rec)
        states = []
        for m in members:
            try:
                states.append(m.status())
            except psutil.Error:
                continue
        return members, states

    def verify(self, action, record, timeout):
        rec = self.procs.record(self.name)
        if action == 'freeze':
            def check():
                members, states = self._stopped(rec)
                return (bool(states) and all(
                    s == psutil.STATUS_STOPPED for s in states),
                    '%d process(es) in states %s' % (len(members), states))
        else:
            def check():
                alive = self.procs.alive(rec)
                return not alive, 'pid %s alive=%s' % (rec['pid'], alive)
        detail = poll(check, timeout, '%s %s' % (self.target, action))
        return ['%s (%s pid %s): %s' % (self.target, self.name, rec['pid'],
                                        detail)]

    def heal(self, action, record):
        rec = self.procs.record(self.name)
        if action == 'freeze':
            if self.procs.alive(rec):
                self.procs.signal_tree(rec, signal.SIGCONT)
            return
        injected_into = record.get('process') or {}
        if self.procs.alive(rec) and \
                rec['pid'] == injected_into.get('pid') and \
                rec.get('create_time') == injected_into.get('create_time'):
            # The very process the fault was injected into still runs: the
            # injection may have been cut short half-way (SIGTERM sent, the
            # service shutting down; seen in the fault soak when the
            # injecting command was killed).  "Alive" is not "healed":
            # finish the stop, then start it afresh.
            self.procs.stop(rec)
        self.procs.restart(self.name)

    def verify_healed(self, action, record, timeout):
        def check():
            rec = self.procs.record(self.name)
            members, states = self._stopped(rec)
            ok = bool(members) and psutil.STATUS_STOPPED not in states
            if ok and rec.get('port') and action == 'stop':
                ok = _port_open('127.0.0.1', rec['port'])
            detail = 'pid %s states %s' % (rec['pid'], states)
            if ok and self._uses_mq(rec) and self.inv.mq.get(
                    'management_url'):
                ok = bool(tree_ports(self.procs, rec) & mq_peer_ports(
                    management(self.inv)))
                detail += '; connected to RabbitMQ: %s' % ok
            return ok, detail
        return ['%s running again: %s' % (
            self.target, poll(check, timeout, 'heal of %s' % self.target))]


def _port_open(host, port, timeout=2):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def tree_ports(procs, rec):
    """Local TCP ports of a recorded process and its descendants."""
    ports = set()
    for m in procs.members(rec):
        try:
            conns = (m.net_connections if hasattr(m, 'net_connections')
                     else m.connections)(kind='tcp')
        except psutil.Error:
            continue
        ports.update(c.laddr.port for c in conns if c.laddr)
    return ports


def mq_peer_ports(mgmt, vhost=None):
    """Client ports of the broker's running connections (one vhost/all)."""
    path = '/connections' if vhost is None else \
        '/vhosts/%s/connections' % urllib.parse.quote(vhost, safe='')
    return {c.get('peer_port') for c in mgmt.get(path)
            if c.get('state', 'running') == 'running'}


def management(inv):
    return inspect_mq.Management(inv.mq.get('management_url'),
                                 inv.mq.get('user'), inv.mq.get('password'))


def _refused(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
    except ConnectionRefusedError:
        return True, 'connection to %s:%s refused' % (host, port)
    except OSError as e:
        return False, '%s:%s: %s' % (host, port, type(e).__name__)
    return False, '%s:%s still accepts connections' % (host, port)


def _select_1(url, timeout=2):
    try:
        rows = inspect_db.select(url, 'SELECT 1 AS one', timeout=timeout)
        return rows == [{'one': 1}], 'SELECT 1 -> %s' % rows
    except inspect_db.InspectError as e:
        return False, str(e)


class DatabaseExecutor(ProcessExecutor):
    """The cell's dedicated database server: ``stop`` (clients get
    connection refused at once) or ``freeze`` (SIGSTOP: TCP still accepted,
    no answer; bounded only by the clients' read timeouts).
    """
    kind = 'db'

    def __init__(self, inv, target, cell):
        srv = cell.db_server or {}
        if not srv.get('process'):
            raise FaultError('inventory %s: cell %s has no db_server.process '
                             '(a database server this harness started); '
                             'cannot target %s' % (inv.path, cell.name,
                                                   target))
        if not srv.get('dedicated'):
            raise FaultError('cell %s\'s database server (%s) is shared with '
                             'other cells/services; stopping it would take '
                             'down more than that cell. Use a scenario with '
                             'db.per_cell_server: true' % (
                                 cell.name, srv['process']))
        super().__init__(inv, target, srv['process'], cell)
        self.host = srv.get('host') or '127.0.0.1'
        self.port = srv.get('port')

    def verify(self, action, record, timeout):
        evidence = super().verify(action, record, timeout)
        if action == 'stop':
            evidence.append(poll(lambda: _refused(self.host, self.port),
                                 timeout, 'connection refused by %s' %
                                 self.target))
        else:
            ok, detail = _select_1(self.cell.reader_url)
            if ok:
                raise FaultError('%s frozen but SELECT 1 still answers' %
                                 self.target)
            evidence.append('SELECT 1 fails: %s' % detail)
        return evidence

    def verify_healed(self, action, record, timeout):
        evidence = super().verify_healed(action, record, timeout)
        evidence.append(poll(lambda: _select_1(self.cell.reader_url),
                             timeout, 'SELECT 1 on %s' % self.target))
        return evidence


class VhostExecutor(Executor):
    """The cell's RabbitMQ vhost: ``revoke`` deletes the cell user's
    permissions on the vhost and closes that user's connections to it (so
    conductor and computes cannot reconnect); heal puts the recorded
    permissions back.
    """
    actions = ('revoke',)
    kind = 'mq'

    def __init__(self, inv, target, cell):
        super().__init__(inv, target, cell)
        self.vhost = cell.vhost
        self.user = urllib.parse.unquote(
            urllib.parse.urlsplit(cell.transport).username or '')
        self.mgmt = inspect_mq.for_cell(inv, cell)

    @property
    def resources(self):
        return ('vhost:%s/%s' % (self.mgmt.url, self.vhost),)

    def _url(self, path):
        return self.mgmt.url + '/api' + path

    def _req(self, method, path, expect, **kw):
        try:
            r = requests.request(method, self._url(path), auth=self.mgmt.auth,
                                 timeout=self.mgmt.timeout, **kw)
        except requests.RequestException as e:
            raise FaultError('RabbitMQ management API %s unreachable: %s' % (
                self.mgmt.url, type(e).__name__))
        if r.status_code not in expect:
            raise FaultError('%s %s -> HTTP %d' % (method, path,
                                                   r.status_code))
        return r

    def _perm_path(self):
        q = urllib.parse.quote
        return '/permissions/%s/%s' % (q(self.vhost, safe=''),
                                       q(self.user, safe=''))

    def _permissions(self):
        r = self._req('GET', self._perm_path(), (200, 404))
        return r.json() if r.status_code == 200 else None

    def _connections(self):
        q = urllib.parse.quote(self.vhost, safe='')
        conns = self._req('GET', '/vhosts/%s/connections' % q, (200,)).json()
        return [c for c in conns if c.get('user') == self.user]

    def prepare(self, action, record):
        perms = self._permissions()
        if perms is None:
            raise FaultError('user %s has no permissions on vhost %s: '
                             'nothing to revoke' % (self.user, self.vhost))
        record['undo'] = {'vhost': self.vhost, 'user': self.user,
                          'permissions': {k: perms[k] for k in (
                              'configure', 'write', 'read')},
                          'connections_before': len(self._connections())}
        if self.cell.services:
            record['undo']['processes'] = self._cell_processes()

    def _close_connections(self, record):
        conns = self._connections()
        for c in conns:
            self._req('DELETE', '/connections/%s' % urllib.parse.quote(
                c['name'], safe=''), (204, 404),
                headers={'X-Reason': 'cellv2-conformance fault %s' %
                         record['id']})
        return conns

    def inject(self, action, record):
        self._req('DELETE', self._perm_path(), (204, 404))
        self._close_connections(record)

    def verify(self, action, record, timeout):
        if self._permissions() is not None:
            raise FaultError('permissions of %s on vhost %s still present' %
                             (self.user, self.vhost))

        def check():
            # A connection that was opening while the permissions went
            # away may have got through: close it too.
            running = [c for c in self._close_connections(record)
                       if c.get('state', 'running') == 'running']
            return not running, '%d running connection(s)' % len(running)
        detail = poll(check, timeout, 'connections of %s closed' %
                      self.target, interval=0.5)
        return ['management API: no permissions for user %s on vhost %s; '
                '%s' % (self.user, self.vhost, detail)]

    def heal(self, action, record):
        perms = (record.get('undo') or {}).get('permissions') or {
            'configure': '.*', 'write': '.*', 'read': '.*'}
        self._req('PUT', self._perm_path(), (201, 204), json=perms)

    def _cell_processes(self):
        svc = self.cell.services or {}
        names = [(svc.get('conductor') or {}).get('process')]
        names += [(c or {}).get('process')
                  for c in (svc.get('computes') or {}).values()]
        return [n for n in names if n]

    def verify_healed(self, action, record, timeout):
        perms = self._permissions()
        if perms is None:
            raise FaultError('permissions of %s on vhost %s not restored' %
                             (self.user, self.vhost))
        try:
            names = self._cell_processes()
            self.procs.state()
        except FaultError:
            names = []      # an existing cloud: no recorded processes

        def check():
            if not names:
                n = len(mq_peer_ports(self.mgmt, self.vhost))
                return n >= 1, '%d connection(s) on the vhost' % n
            peers = mq_peer_ports(self.mgmt, self.vhost)
            missing = [n for n in names if not (
                tree_ports(self.procs, self.procs.record(n)) & peers)]
            return not missing, 'not reconnected yet: %s' % (
                ', '.join(missing) or '-')
        detail = poll(check, timeout, 'services of cell %s reconnected to '
                      'vhost %s' % (self.cell.name, self.vhost),
                      interval=1.0)
        return ['management API: permissions of %s on %s restored '
                '(%s/%s/%s); %s reconnected (%s)' % (
                    self.user, self.vhost, perms['configure'],
                    perms['write'], perms['read'],
                    ', '.join(names) or 'services', detail)]


class CellMappingExecutor(Executor):
    """The cell mapping: ``disable`` runs ``nova-manage cell_v2 update_cell
    --disable`` then the documented reload, SIGHUP to nova-scheduler;
    ``disable-restart`` reloads by restarting nova-scheduler instead (the
    other documented way).  Heal: ``--enable`` and a scheduler restart.

    ``update_cell`` without ``--transport-url``/``--database_connection``
    substitutes ``[DEFAULT] transport_url`` and ``[database] connection``
    from its config files (nova/cmd/manage.py ``_validate_*``), which on an
    API-level nova.conf are the API vhost and cell0.  So the cell's current
    URLs (read from ``cell_mappings``) are handed over in a private extra
    config file: the mapping's URLs stay byte-for-byte the same (checked),
    and no password appears on a command line.

    Why heal restarts rather than SIGHUPs: in threading mode nova-scheduler
    runs under cotyledon; SIGHUP makes the worker exit and the master fork a
    new one from its own start-up state (the SchedulerManager/HostManager
    are built in the master before the fork, nova/cmd/scheduler.py), so a
    SIGHUP brings back the cell and aggregate caches of the scheduler's
    start, not the current ones.  A restart reads them fresh.
    """
    actions = ('disable', 'disable-restart')
    kind = 'cell'
    scheduler = 'nova-scheduler'

    @property
    def resources(self):
        return ('cell-mapping:%s' % self.cell.uuid,)

    def _mapping(self):
        url = self.inv.api.get('readonly_database') or self.inv.api.get(
            'database')
        if not url:
            raise FaultError('inventory %s has no api.database: cannot read '
                             'cell_mappings' % self.inv.path)
        rows = inspect_db.select(url, 'SELECT uuid, name, transport_url, '
                                 'database_connection, disabled FROM '
                                 'cell_mappings WHERE uuid = %s',
                                 (self.cell.uuid,))
        if not rows:
            raise FaultError('cell %s (%s) is not in cell_mappings' % (
                self.cell.name, self.cell.uuid))
        return rows[0]

    def prepare(self, action, record):
        if not self.inv.api.get('nova_manage'):
            raise FaultError('inventory %s has no api.nova_manage command '
                             'prefix' % self.inv.path)
        m = self._mapping()
        if m['disabled']:
            raise FaultError('cell %s is already disabled' % self.cell.name)
        self.procs.record(self.scheduler)
        record['undo'] = {'disabled_before': bool(m['disabled'])}

    def _nova_manage(self, flag):
        m = self._mapping()
        workdir = self.inv.workdir or tempfile.gettempdir()
        fd, conf = tempfile.mkstemp(prefix='.fault-cell-', suffix='.conf',
                                    dir=workdir)
        try:
            with os.fdopen(fd, 'w') as f:
                f.write('[DEFAULT]\ntransport_url = %s\n[database]\n'
                        'connection = %s\n' % (
                            m['transport_url'].replace('%', '%%'),
                            m['database_connection'].replace('%', '%%')))
            argv = list(self.inv.api['nova_manage']) + [
                '--config-file', conf, 'cell_v2', 'update_cell',
                '--cell_uuid', self.cell.uuid, flag]
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith('OS_')}
            r = subprocess.run(argv, capture_output=True, text=True,
                               timeout=180, env=env)
        finally:
            os.unlink(conf)
        after = self._mapping()
        if r.returncode != 0:
            raise FaultError('nova-manage cell_v2 update_cell %s for %s '
                             'exited %d: %s' % (flag, self.cell.name,
                                                r.returncode,
                                                redact.text(r.stdout[-500:])))
        if (after['transport_url'], after['database_connection']) != (
                m['transport_url'], m['database_connection']):
            raise FaultError('nova-manage update_cell %s changed the URLs '
                             'of cell %s' % (flag, self.cell.name))
        return after

    def _workers(self):
        rec = self.procs.record(self.scheduler)
        return rec, sorted([p.pid, p.create_time()] for p in
                           self.procs.members(rec)[1:])

    def _reload(self, how, record):
        """SIGHUP the scheduler's main pid, or restart it."""
        rec, before = self._workers()
        record['reload'] = {'how': how, 'pid_before': rec['pid'],
                            'workers_before': before}
        if how == 'sighup':
            self.procs.signal_one(rec, signal.SIGHUP)
        else:
            self.procs.stop(rec)
            self.procs.restart(self.scheduler)

    def _consuming(self, rec):
        """Consumers of the 'scheduler' queue owned by the process tree."""
        ports = tree_ports(self.procs, rec)
        mgmt = management(self.inv)
        vhost = (self.inv.mq.get('vhosts') or {}).get('api') or \
            urllib.parse.urlsplit(self.inv.api.get('transport', '')).path[1:]
        return [c for c in mgmt.consumers(vhost)
                if (c.get('queue') or {}).get('name') == 'scheduler' and
                (c.get('channel_details') or {}).get('peer_port') in ports]

    def _wait_reloaded(self, record, timeout):
        info = record.get('reload') or {}
        before = {tuple(w) for w in info.get('workers_before') or []}

        def check():
            rec, now = self._workers()
            now = {tuple(w) for w in now}
            fresh = bool(now - before) and not (before & now)
            n = len(self._consuming(rec)) if fresh else 0
            return fresh and n >= 1, 'pid %s workers %s -> %s; scheduler ' \
                'queue consumers of the new worker: %d' % (
                    rec['pid'], sorted(p for p, _ in before),
                    sorted(p for p, _ in now), n)
        return '%s: %s' % (info.get('how'), poll(
            check, timeout, 'nova-scheduler reload (%s)' % info.get('how'),
            interval=0.5))

    def inject(self, action, record):
        self._nova_manage('--disable')
        self._reload('sighup' if action == 'disable' else 'restart', record)

    def verify(self, action, record, timeout):
        m = self._mapping()
        if not m['disabled']:
            raise FaultError('cell %s not disabled in cell_mappings' %
                             self.cell.name)
        return ['cell_mappings: %s disabled=%s' % (
            self.cell.name, m['disabled']),
            self._wait_reloaded(record, timeout)]

    def heal(self, action, record):
        if self._mapping()['disabled']:
            self._nova_manage('--enable')
        self._reload('restart', record)

    def verify_healed(self, action, record, timeout):
        m = self._mapping()
        if m['disabled']:
            raise FaultError('cell %s still disabled' % self.cell.name)
        return ['cell_mappings: %s disabled=0' % self.cell.name,
                self._wait_reloaded(record, timeout)]


def parse(inv, text):
    """The executor for a target string (see the module docstring)."""
    text = (text or '').strip()
    m = _SERVICE.match(text)
    if m:
        name = m.group('name')
        return ProcessExecutor(inv, 'service(%s)' % name, name)
    m = _CELL.match(text) or _SHORT.match(text)
    if not m:
        raise FaultError('cannot parse fault target %r: use cell(<name>).db, '
                         'cell(<name>).mq, cell(<name>).conductor, '
                         'cell(<name>).compute(<host>), '
                         'cell(<name>).host(<host>), cell(<name>) or '
                         'service(<process>)' % text)
    try:
        cell = inv.cell(m.group('cell'))
    except KeyError as e:
        raise FaultError(str(e).strip('"'))
    part = m.group('part')
    host = m.groupdict().get('host')
    if part is None:
        return CellMappingExecutor(inv, 'cell(%s)' % cell.name, cell)
    if part == 'db':
        return DatabaseExecutor(inv, 'cell(%s).db' % cell.name, cell)
    if part == 'mq':
        return VhostExecutor(inv, 'cell(%s).mq' % cell.name, cell)
    if m.groupdict().get('kind') == 'host':
        # same room; imported here because it builds on this module
        from cellv2_conformance.faults import host_failure
        return host_failure.executor(inv, cell, host)
    services = cell.services or {}
    if part == 'conductor':
        svc = services.get('conductor') or {}
        if not svc.get('process'):
            raise FaultError('inventory %s: cell %s has no recorded '
                             'conductor process' % (inv.path, cell.name))
        return ProcessExecutor(inv, 'cell(%s).conductor' % cell.name,
                               svc['process'], cell)
    svc = (services.get('computes') or {}).get(host) or {}
    if not svc.get('process'):
        raise FaultError('inventory %s: no recorded compute process for '
                         'host %s in cell %s' % (inv.path, host, cell.name))
    return ProcessExecutor(inv, 'cell(%s).compute(%s)' % (cell.name, host),
                           svc['process'], cell)


def available(inv):
    """[(target, actions)] that this inventory supports."""
    out = []
    for c in inv.cells:
        texts = ['cell(%s).db' % c.name, 'cell(%s).mq' % c.name,
                 'cell(%s).conductor' % c.name, 'cell(%s)' % c.name]
        texts += ['cell(%s).host(%s)' % (c.name, h) for h in c.hosts]
        for text in texts:
            with contextlib.suppress(FaultError, inspect_mq.MQInspectError):
                out.append((text, parse(inv, text).actions))
    for name in sorted(inv.services):
        out.append(('service(%s)' % name, ProcessExecutor.actions))
    return out


def known_actions():
    """Every action some executor implements, sorted (the CLI offers these
    as ``fault inject --action`` choices; the target still checks that it
    supports the one given).
    """
    from cellv2_conformance.faults import host_failure
    found = set()
    todo = [Executor]
    while todo:
        cls = todo.pop()
        # not a test's stand-in executor
        if cls.__module__ in (__name__, host_failure.__name__):
            found.update(cls.actions)
        todo.extend(cls.__subclasses__())
    return sorted(found)
