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

"""MariaDB and RabbitMQ: private instances on loopback ports, or existing ones.

Private MariaDB servers are started from a template data directory made once
per MariaDB version (``mariadb-install-db`` costs seconds; a copy costs
milliseconds).  A private RabbitMQ node loads its users, vhosts and
permissions from a definitions file at boot, so no ``rabbitmqctl`` round trips
are needed, and uses a private epmd port so deployments never share one.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.parse

import pymysql
import requests

from cellv2_conformance.deploy import process
from cellv2_conformance.deploy.process import DeployError

RABBIT_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
RABBIT_CTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'


def which(prog, extra=('/usr/sbin', '/usr/lib/rabbitmq/bin')):
    found = shutil.which(prog)
    if found:
        return found
    for d in extra:
        p = os.path.join(d, prog)
        if os.access(p, os.X_OK):
            return p
    return None


def require_binaries(scenario):
    missing = []
    if scenario.db['backend'] == 'private':
        for prog, pkg in (('mariadbd', 'mariadb-server'),
                          ('mariadb-install-db', 'mariadb-server')):
            if not which(prog):
                missing.append((prog, pkg))
    if scenario.mq['backend'] == 'private':
        if not os.access(RABBIT_SERVER, os.X_OK) and not which(
                'rabbitmq-server'):
            missing.append(('rabbitmq-server', 'rabbitmq-server'))
    if missing:
        pkgs = sorted({p for _, p in missing})
        raise DeployError(
            'missing program(s): %s. Install with: apt-get install -y %s '
            '(or run tools/bootstrap.sh as root)' % (
                ', '.join(m for m, _ in missing), ' '.join(pkgs)))


def cache_dir():
    d = os.environ.get('CELLV2_CACHE') or os.path.join(
        os.path.expanduser('~'), '.cache', 'cellv2-conformance')
    os.makedirs(d, exist_ok=True)
    return d


# --------------------------------------------------------------------------
# MariaDB
# --------------------------------------------------------------------------

def _mariadb_version():
    out = subprocess.run([which('mariadbd'), '--version'],
                         capture_output=True, text=True).stdout
    return out.split()[2] if len(out.split()) > 2 else 'unknown'


def socket_user():
    """The MariaDB account of this OS user: it logs in through the server's
    unix socket only (``unix_socket`` authentication), never over TCP.
    """
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def mariadb_template(log):
    """A freshly initialised, never-started data directory (cached).

    Its only administrative accounts are ``root`` and this OS user, both
    ``@localhost`` with ``unix_socket`` authentication (the root password
    is "invalid"): no account without a password, nothing an other local
    user could log in to over TCP.  The socket itself lives in the 0700
    workdir.
    """
    ver = _mariadb_version()
    tmpl = os.path.join(cache_dir(), 'mariadb-template-socket-%s-%s' % (
        socket_user(), ver))
    if os.path.exists(os.path.join(tmpl, '.complete')):
        return tmpl
    tmp = tmpl + '.tmp.%d' % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    argv = [which('mariadb-install-db'), '--no-defaults', '--datadir=' + tmp,
            '--auth-root-authentication-method=socket',
            '--auth-root-socket-user=' + socket_user(), '--skip-test-db',
            '--skip-name-resolve']
    if os.geteuid() == 0:
        argv.append('--user=root')
    process.run('mariadb-install-db', argv, log, timeout=120)
    open(os.path.join(tmp, '.complete'), 'w').close()
    try:
        os.rename(tmp, tmpl)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)   # a concurrent run won
    return tmpl


class MariaDB:
    """One private mariadbd on 127.0.0.1:<port>: over TCP only the
    deployment's password accounts; administration through its unix socket
    inside the workdir (``unix_socket`` authentication).
    """

    def __init__(self, name, port, workdir):
        self.name = name
        self.port = port
        self.dir = os.path.join(workdir, 'mariadb', name)
        self.datadir = os.path.join(self.dir, 'data')
        self.socket = os.path.join(self.dir, 'mysqld.sock')
        self.log = os.path.join(workdir, 'logs', 'mariadb-%s.log' % name)

    def start(self, state, template):
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.exists(self.datadir):
            shutil.copytree(template, self.datadir, symlinks=True)
        argv = [which('mariadbd'), '--no-defaults',
                '--datadir=' + self.datadir, '--port=%d' % self.port,
                '--bind-address=127.0.0.1', '--socket=' + self.socket,
                '--pid-file=' + os.path.join(self.dir, 'mysqld.pid'),
                '--log-error=' + self.log, '--skip-name-resolve',
                '--skip-log-bin', '--innodb-buffer-pool-size=64M',
                '--innodb-log-file-size=32M',
                '--innodb-flush-log-at-trx-commit=0',
                '--innodb-doublewrite=0', '--max-connections=1000',
                '--character-set-server=utf8mb4',
                '--collation-server=utf8mb4_general_ci',
                '--skip-host-cache', '--performance-schema=OFF']
        if os.geteuid() == 0:
            argv.append('--user=root')
        return process.start(state, 'mariadb-' + self.name, argv,
                             self.log + '.stdout', kind='db',
                             meta={'port': self.port, 'socket': self.socket,
                                   'datadir': self.datadir})

    def admin_connect(self, **kw):
        return pymysql.connect(unix_socket=self.socket, user=socket_user(),
                               autocommit=True, **kw)

    def wait_ready(self, record, timeout=60, abort=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            _check_abort(abort, 'mariadb %s' % self.name)
            if not process.is_alive(record):
                raise DeployError(
                    'mariadb %s exited during start-up (port %d); log %s:\n%s'
                    % (self.name, self.port, self.log,
                       process.tail(self.log)))
            try:
                self.admin_connect(connect_timeout=2).close()
                return
            except pymysql.Error as e:
                last = e
                time.sleep(0.1)
        raise DeployError('mariadb %s not ready after %ds (%s); log %s:\n%s'
                          % (self.name, timeout, last, self.log,
                             process.tail(self.log)))


def create_databases(conn, dbs, user, password, ro_user, ro_password):
    """Create databases and the service and read-only users (idempotent)."""
    with conn.cursor() as cur:
        for host in ('127.0.0.1', 'localhost'):
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                        (user, host, password))
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                        (ro_user, host, ro_password))
        for db in dbs:
            cur.execute('CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET '
                        'utf8mb4' % db)
            for host in ('127.0.0.1', 'localhost'):
                cur.execute('GRANT ALL PRIVILEGES ON `%s`.* TO %%s@%%s' % db,
                            (user, host))
                cur.execute('GRANT SELECT, SHOW VIEW ON `%s`.* TO %%s@%%s' %
                            db, (ro_user, host))


def connect_url(url, **kw):
    """pymysql connection from a SQLAlchemy mysql+pymysql URL."""
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    args = dict(host=u.hostname or '127.0.0.1', port=u.port or 3306,
                user=urllib.parse.unquote(u.username or 'root'),
                password=urllib.parse.unquote(u.password or ''),
                autocommit=True, connect_timeout=int(q.get(
                    'connect_timeout', 5)))
    if q.get('read_timeout'):
        args['read_timeout'] = int(q['read_timeout'])
    if q.get('write_timeout'):
        args['write_timeout'] = int(q['write_timeout'])
    db = u.path.lstrip('/')
    if db:
        args['database'] = db
    if q.get('unix_socket'):
        args['unix_socket'] = q['unix_socket']
    args.update(kw)
    return pymysql.connect(**args)


# --------------------------------------------------------------------------
# RabbitMQ
# --------------------------------------------------------------------------

def rabbit_password_hash(password):
    salt = os.urandom(4)
    digest = hashlib.sha256(salt + password.encode()).digest()
    return base64.b64encode(salt + digest).decode()


def rabbit_definitions(users, vhosts):
    """RabbitMQ definitions: users {name: (password, tags)} with full
    permissions on every vhost.
    """
    return {
        'users': [{'name': u, 'password_hash': rabbit_password_hash(p),
                   'hashing_algorithm': 'rabbit_password_hashing_sha256',
                   'tags': tags} for u, (p, tags) in users.items()],
        'vhosts': [{'name': v} for v in vhosts],
        'permissions': [{'user': u, 'vhost': v, 'configure': '.*',
                         'write': '.*', 'read': '.*'}
                        for u in users for v in vhosts],
    }


class RabbitNode:
    """One private RabbitMQ node with the management API on loopback."""

    def __init__(self, name, ports, workdir, epmd_port):
        self.name = name
        self.port, self.dist_port, self.mgmt_port = ports
        self.epmd_port = epmd_port
        self.dir = os.path.join(workdir, 'rabbitmq', name)
        self.nodename = 'cc%d-%s@localhost' % (self.port, name)
        self.log = os.path.join(workdir, 'logs', 'rabbitmq-%s.log' % name)

    @property
    def management_url(self):
        return 'http://127.0.0.1:%d' % self.mgmt_port

    def env(self):
        dist = '-kernel inet_dist_use_interface {127,0,0,1}'
        return {
            'HOME': self.dir,
            'RABBITMQ_NODENAME': self.nodename,
            'RABBITMQ_NODE_IP_ADDRESS': '127.0.0.1',
            'RABBITMQ_NODE_PORT': str(self.port),
            'RABBITMQ_DIST_PORT': str(self.dist_port),
            'RABBITMQ_MNESIA_BASE': os.path.join(self.dir, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(self.dir, 'log'),
            'RABBITMQ_PID_FILE': os.path.join(self.dir, 'rabbit.pid'),
            'RABBITMQ_CONFIG_FILE': os.path.join(self.dir, 'rabbitmq.conf'),
            'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(
                self.dir, 'advanced.config'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(
                self.dir, 'enabled_plugins'),
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': dist,
            'RABBITMQ_CTL_ERL_ARGS': dist,
            'ERL_EPMD_ADDRESS': '127.0.0.1',
            'ERL_EPMD_PORT': str(self.epmd_port),
            'RABBITMQ_ALLOW_INPUT': '',
        }

    def write_config(self, users, vhosts):
        """users: {name: (password, tags)}; vhosts: [name]."""
        os.makedirs(os.path.join(self.dir, 'log'), exist_ok=True)
        process.write_private(os.path.join(self.dir, 'definitions.json'),
                              json.dumps(rabbit_definitions(users, vhosts)))
        conf = '\n'.join([
            'listeners.tcp.1 = 127.0.0.1:%d' % self.port,
            'management.tcp.port = %d' % self.mgmt_port,
            'management.tcp.ip = 127.0.0.1',
            'load_definitions = %s' % os.path.join(self.dir,
                                                   'definitions.json'),
            'loopback_users = none',
            'disk_free_limit.absolute = 50MB',
            'log.file.level = warning',
            'log.console = false',
            'collect_statistics_interval = 1000',
            'management.rates_mode = basic',
        ]) + '\n'
        process.write_private(os.path.join(self.dir, 'rabbitmq.conf'), conf)
        with open(os.path.join(self.dir, 'advanced.config'), 'w') as f:
            f.write('[].\n')
        with open(os.path.join(self.dir, 'enabled_plugins'), 'w') as f:
            f.write('[rabbitmq_management].\n')
        cookie = os.path.join(self.dir, '.erlang.cookie')
        if not os.path.exists(cookie):
            process.write_private(cookie, base64.b32encode(
                os.urandom(15)).decode())
            os.chmod(cookie, 0o400)

    def start(self, state):
        server = RABBIT_SERVER if os.access(RABBIT_SERVER, os.X_OK) else \
            which('rabbitmq-server')
        return process.start(state, 'rabbitmq-' + self.name, [server],
                             self.log, env=self.env(), kind='mq',
                             meta={'port': self.port,
                                   'management_port': self.mgmt_port,
                                   'nodename': self.nodename,
                                   'epmd_port': self.epmd_port})

    def wait_ready(self, record, admin, vhosts, timeout=90, abort=None):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            _check_abort(abort, 'rabbitmq %s' % self.name)
            if not process.is_alive(record):
                raise DeployError(
                    'rabbitmq %s exited during start-up (port %d); log %s:\n%s'
                    % (self.name, self.port, self.log,
                       process.tail(self.log, 30)))
            try:
                r = requests.get(self.management_url + '/api/vhosts',
                                 auth=admin, timeout=2)
                if r.status_code == 200:
                    have = {v['name'] for v in r.json()}
                    if set(vhosts) <= have:
                        self._only_our_users(admin)
                        return
                    last = 'vhosts not loaded yet'
                else:
                    last = 'HTTP %d' % r.status_code
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.25)
        raise DeployError('rabbitmq %s not ready after %ds (%s); log %s:\n%s'
                          % (self.name, timeout, last, self.log,
                             process.tail(self.log, 30)))

    def _only_our_users(self, admin):
        """No account but the ones in our definitions (no ``guest``: a
        node that imports definitions at boot should not create it, and if
        a version does, it goes here).
        """
        r = requests.get(self.management_url + '/api/users', auth=admin,
                         timeout=10)
        r.raise_for_status()
        for user in r.json():
            if user['name'] != admin[0]:
                requests.delete(self.management_url + '/api/users/' +
                                urllib.parse.quote(user['name'], safe=''),
                                auth=admin, timeout=10).raise_for_status()


def _check_abort(abort, what):
    if abort is not None and abort.is_set():
        raise process.Aborted('%s: stopped waiting: the deployment is being '
                              'torn down' % what)


def stop_epmd(port):
    """Stop the private epmd of a deployment (no other node uses it)."""
    epmd = which('epmd')
    if not epmd:
        return
    env = dict(os.environ, ERL_EPMD_PORT=str(port),
               ERL_EPMD_ADDRESS='127.0.0.1')
    subprocess.run([epmd, '-port', str(port), '-kill'], env=env,
                   capture_output=True, timeout=10)


# --------------------------------------------------------------------------
# An existing RabbitMQ broker
# --------------------------------------------------------------------------

def _mgmt(url):
    u = urllib.parse.urlsplit(url)
    base = urllib.parse.urlunsplit((u.scheme, '%s%s' % (
        u.hostname, ':%d' % u.port if u.port else ''), u.path.rstrip('/'),
        '', ''))
    return base, (urllib.parse.unquote(u.username or 'guest'),
                  urllib.parse.unquote(u.password or 'guest'))


def mq_management_setup(url, user, password, vhosts):
    base, auth = _mgmt(url)
    q = urllib.parse.quote
    calls = [('/api/users/%s' % q(user, safe=''),
              {'password': password, 'tags': ''})]
    for v in vhosts:
        calls.append(('/api/vhosts/%s' % q(v, safe=''), {}))
        calls.append(('/api/permissions/%s/%s' % (q(v, safe=''),
                                                  q(user, safe='')),
                      {'configure': '.*', 'write': '.*', 'read': '.*'}))
    for path, body in calls:
        try:
            r = requests.put(base + path, json=body, auth=auth, timeout=15)
        except requests.RequestException as e:
            raise DeployError('RabbitMQ management API %s unreachable: %s' %
                              (base, type(e).__name__))
        if r.status_code == 401:
            raise DeployError('RabbitMQ management API %s: wrong '
                              'credentials in mq.management_url' % base)
        if r.status_code not in (201, 204):
            raise DeployError('RabbitMQ management API %s: PUT %s -> HTTP '
                              '%d' % (base, path.split('/')[2],
                                      r.status_code))


def _ctl():
    ctl = which('rabbitmqctl')
    if not ctl:
        raise DeployError('mq.backend "existing" without mq.management_url '
                          'needs rabbitmqctl on this machine (apt-get '
                          'install rabbitmq-server) and access to the '
                          'broker\'s Erlang cookie (run as root)')
    return ctl


def rabbitmqctl_import(log, users, vhosts):
    defs = rabbit_definitions(users, vhosts)
    # Fed on stdin: the packaged rabbitmqctl runs as the rabbitmq user, who
    # cannot (and should not) read our private files.
    proc = subprocess.run([_ctl(), 'import_definitions', '--format', 'json'],
                          input=json.dumps(defs).encode(),
                          capture_output=True, timeout=120)
    with open(log, 'ab') as f:
        f.write(b'### rabbitmqctl import_definitions\n' + proc.stdout +
                proc.stderr)
    if proc.returncode != 0:
        raise DeployError('rabbitmqctl import_definitions failed (exit %d): '
                          '%s' % (proc.returncode, proc.stderr.decode(
                              'utf-8', 'replace')[-500:]))


def mq_remove(management_url, user, vhosts):
    if management_url:
        base, auth = _mgmt(management_url)
        q = urllib.parse.quote
        for v in vhosts:
            requests.delete(base + '/api/vhosts/%s' % q(v, safe=''),
                            auth=auth, timeout=15)
        requests.delete(base + '/api/users/%s' % q(user, safe=''),
                        auth=auth, timeout=15)
        return
    ctl = _ctl()
    for v in vhosts:
        subprocess.run([ctl, 'delete_vhost', v], capture_output=True,
                       timeout=60)
    subprocess.run([ctl, 'delete_user', user], capture_output=True,
                   timeout=60)


def amqp_check(url, user, password, vhost, timeout=10):
    """Open (and close) an AMQP connection as ``user`` on ``vhost``."""
    import kombu
    u = urllib.parse.urlsplit(url)
    conn = kombu.Connection(hostname=u.hostname or '127.0.0.1',
                            port=u.port or 5672, userid=user,
                            password=password, virtual_host=vhost,
                            connect_timeout=timeout)
    try:
        conn.ensure_connection(max_retries=3, timeout=timeout)
    except Exception as e:
        raise DeployError('cannot open an AMQP connection to %s:%s vhost %s'
                          ' as %s: %s' % (u.hostname, u.port or 5672, vhost,
                                          user, type(e).__name__))
    finally:
        conn.release()
