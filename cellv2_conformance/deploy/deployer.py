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

"""Turn a scenario into running services and write the cells inventory.

The deployment is a graph of steps; independent steps run concurrently.
Every step records its wall time.  When a step fails, nothing new starts,
running steps finish, everything already started is stopped again, and the
error names the failing service, its log and its config file.
"""

import concurrent.futures
import contextlib
import json
import os
import secrets
import shutil
import sys
import threading
import time
import urllib.parse

import requests

from cellv2_conformance.common import filelock
from cellv2_conformance.deploy import configs
from cellv2_conformance.deploy import infra
from cellv2_conformance.deploy import keystone_setup
from cellv2_conformance.deploy import masakari
from cellv2_conformance.deploy import ports as ports_mod
from cellv2_conformance.deploy import process
from cellv2_conformance.deploy.process import DeployError
from cellv2_conformance.deploy import render
from cellv2_conformance.deploy import schema_cache
from cellv2_conformance.deploy import workdir as workdir_mod
from cellv2_conformance.deploy import writers
from cellv2_conformance import redact

DB_NAMES = ('keystone', 'placement', 'glance', 'neutron', 'nova_api',
            'nova_cell0', 'blazar')

UWSGI_APPS = {
    'keystone': ('keystone.wsgi.api:application', 'keystone'),
    'placement': ('placement.wsgi.api:application', 'placement'),
    'glance': ('glance.wsgi.api:application', 'glance'),
    'neutron': ('neutron.wsgi.api:application', 'neutron'),
    'nova-api': ('nova.wsgi.osapi_compute:application', 'nova-api'),
    'blazar-api': ('blazar.wsgi.api:application', 'blazar-api'),
    masakari.PORT_NAME: ('masakari.wsgi.api:application', 'masakari-api'),
}


def venv_bin():
    return os.path.dirname(os.path.abspath(sys.executable))


def _password():
    pw = secrets.token_urlsafe(18).replace('-', 'x').replace('_', 'y')
    redact.register(pw)
    return pw


class Progress:
    def __init__(self, out):
        self.out = out
        self.t0 = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, msg):
        with self.lock:
            self.out('[%6.1fs] %s' % (time.monotonic() - self.t0, msg))


class Deployer:
    def __init__(self, scenario, workdir, out=print):
        self.scenario = scenario
        self.db_names = DB_NAMES + masakari.databases(scenario)
        self.workdir = os.path.abspath(workdir)
        self.progress = Progress(out)
        self.bin = venv_bin()
        self.timings = {}
        self.services = {}
        self.cell_uuids = {}
        self._lock = None
        self.abort = threading.Event()

    def _check_abort(self):
        if self.abort.is_set():
            raise process.Aborted('stopped early: another step failed')

    # ------------------------------------------------------------------
    # preflight
    # ------------------------------------------------------------------
    def _preflight(self):
        infra.require_binaries(self.scenario)
        for prog in ('uwsgi', 'nova-compute', 'keystone-manage',
                     'glance-manage', 'placement-manage', 'neutron-db-manage',
                     'nova-conductor', 'nova-scheduler', 'nova-manage'):
            if not os.access(os.path.join(self.bin, prog), os.X_OK):
                raise DeployError(
                    'missing program %s in %s: the OpenStack services are '
                    'not installed in this environment (run '
                    'tools/bootstrap.sh)' % (prog, self.bin))
        if self.scenario.blazar_enabled:
            for prog in ('blazar-manager', 'blazar-db-manage'):
                if not os.access(os.path.join(self.bin, prog), os.X_OK):
                    raise DeployError('missing program %s in %s (run '
                                      'tools/bootstrap.sh)' % (prog,
                                                               self.bin))
            try:
                import blazarnova  # noqa: F401
            except ImportError:
                raise DeployError('blazar-nova (Blazar\'s nova-scheduler '
                                  'filter) is not installed (run '
                                  'tools/bootstrap.sh)')
        if masakari.enabled(self.scenario):
            masakari.preflight(self.bin)
        workdir_mod.claim(self.workdir)
        self._lock = contextlib.ExitStack()
        try:
            self._lock.enter_context(workdir_mod.command_lock(self.workdir))
        except filelock.LockTimeout as e:
            self._lock = None
            raise DeployError(str(e))
        if process.State.exists(self.workdir):
            st = process.State.load(self.workdir)
            alive = [n for n, r in st.processes.items()
                     if process.is_alive(r)]
            if st.data.get('status') in ('down', 'failed', 'stopping') and \
                    not alive:
                os.unlink(st.path)   # a torn-down deployment: start afresh
                return
            raise DeployError(
                'workdir %s already holds a deployment (status %s, %d '
                'process(es) running). Run `cellv2-conformance down '
                '--workdir %s` first, or choose another --workdir.' % (
                    self.workdir, st.data.get('status'), len(alive),
                    self.workdir))

    def _layout(self, ports):
        sc = self.scenario
        users = ('admin',) + configs.SERVICE_USERS + masakari.users(sc)
        passwords = {u: _password() for u in users}
        self.db_password = _password()
        self.ro_password = _password()
        self.mq_password = _password()
        db_prefix = ''
        if sc.db['backend'] == 'existing':
            u = urllib.parse.urlsplit(sc.db['url'])
            db_host, db_port = u.hostname or '127.0.0.1', u.port or 3306
            # database names unique to this deployment on a shared server
            db_prefix = 'cc%s_' % secrets.token_hex(3)
            self.db_user = db_prefix + 'os'
            self.ro_user = db_prefix + 'ro'
        else:
            db_host, db_port = '127.0.0.1', ports['db-main']
            self.db_user, self.ro_user = 'os', 'inspector'
        self.db_prefix = db_prefix

        def db_url(name, port=db_port):
            return 'mysql+pymysql://%s:%s@%s:%d/%s%s' % (
                self.db_user, self.db_password, db_host, port, db_prefix,
                name)

        db_urls = {n: db_url(n) for n in self.db_names}
        self.db_servers = {'main': (db_host, db_port)}
        for cell in sc.cells:
            port = db_port
            if 'db-%s' % cell.name in ports:
                port = ports['db-%s' % cell.name]
                self.db_servers[cell.name] = ('127.0.0.1', port)
            db_urls['nova_' + cell.name] = db_url('nova_' + cell.name, port)

        if sc.mq['backend'] == 'existing':
            u = urllib.parse.urlsplit(sc.mq['url'])
            mq_host, mq_port = u.hostname or '127.0.0.1', u.port or 5672
            self.mq_user = 'cc%s' % secrets.token_hex(3)
            self.vhost_prefix = self.mq_user + '_'
        else:
            mq_host, mq_port = '127.0.0.1', ports['mq']
            self.mq_user = 'os'
            self.vhost_prefix = ''

        def transport(vhost, port=mq_port):
            return 'rabbit://%s:%s@%s:%d/%s%s' % (
                self.mq_user, self.mq_password, mq_host, port,
                self.vhost_prefix, vhost)

        transports = {'api': transport('nova_api'),
                      'neutron': transport('neutron'),
                      'blazar': transport('blazar')}
        for vhost in masakari.vhosts(sc):
            transports[vhost] = transport(vhost)
        for cell in sc.cells:
            port = ports.get('mq-%s' % cell.name, mq_port)
            transports[cell.name] = transport('nova_' + cell.name, port)
        return configs.Layout(
            workdir=self.workdir, venv_bin=self.bin, ports=ports,
            passwords=passwords, db_urls=db_urls, transports=transports,
            cells=sc.cells, blazar_enabled=sc.blazar_enabled,
            blazar_nova_version=sc.blazar.get('nova_client_version', '2.53'),
            masakari_enabled=masakari.enabled(sc))

    # ------------------------------------------------------------------
    # config files
    # ------------------------------------------------------------------
    def _write(self, rel, conf, overrides=None):
        if overrides:
            render.update(conf, overrides)
        path = self.L.path('etc', rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        process.write_private(path, render.to_text(
            conf, header='written by cellv2-conformance deploy; scenario %s'
            % self.scenario.name))
        return path

    def _write_configs(self):
        L, sc = self.L, self.scenario
        for d in ('logs', 'keystone/fernet-keys', 'keystone/credential-keys',
                  'glance/images', 'glance/staging', 'glance/tasks',
                  'glance/cache', 'nova/locks', 'neutron/locks'):
            os.makedirs(L.path(d), exist_ok=True)
        etc = os.path.join(os.path.dirname(self.bin), 'etc')
        for src, dst in (('glance/glance-api-paste.ini',
                          'glance/glance-api-paste.ini'),
                         ('neutron/api-paste.ini', 'neutron/api-paste.ini'),
                         ('nova/api-paste.ini', 'nova/api-paste.ini')):
            os.makedirs(os.path.dirname(L.path('etc', dst)), exist_ok=True)
            shutil.copy(os.path.join(etc, src), L.path('etc', dst))
        self._write('keystone/keystone.conf', configs.keystone(L),
                    sc.overrides('keystone'))
        self._write('placement/placement.conf', configs.placement(L),
                    sc.overrides('placement'))
        self._write('glance/glance-api.conf', configs.glance(L),
                    sc.overrides('glance'))
        self._write('neutron/neutron.conf', configs.neutron(L),
                    sc.overrides('neutron'))
        self._write('neutron/ml2_conf.ini', configs.ml2())
        self._write('nova/nova-common.conf', configs.nova_common(L),
                    sc.overrides('nova'))
        self._write('nova/nova.conf', configs.nova_top(L))
        policy = configs.cross_cell_policy(L)
        if policy:
            process.write_private(L.path('etc', 'nova', 'policy.yaml'),
                                  policy)
        for kind in ('nova-api', 'nova-scheduler', 'nova-super-conductor',
                     'nova-cell-conductor', 'nova-compute'):
            self._write('nova/%s-overrides.conf' % kind, render.new(),
                        sc.overrides(kind))
        for cell in sc.cells:
            self._write('nova/nova-%s.conf' % cell.name,
                        configs.nova_cell(L, cell))
            for host in cell.hosts:
                os.makedirs(L.path('nova', 'state-' + host), exist_ok=True)
                self._write('nova/compute-%s.conf' % host,
                            configs.nova_compute(L, cell, host))
        # db sync runs with plain URLs: the read timeouts are for services.
        self._write('nova/nova-manage.conf', render.new())
        if sc.blazar_enabled:
            self._write('blazar/blazar.conf', configs.blazar(L),
                        sc.overrides('blazar'))
        if masakari.enabled(sc):
            masakari.write_configs(self, configs.masakari(L))

    def nova_conf_files(self, *extra):
        etc = self.L.path('etc', 'nova')
        files = [os.path.join(etc, 'nova-common.conf')]
        files += [os.path.join(etc, e) for e in extra]
        return files

    # ------------------------------------------------------------------
    # helpers used by steps
    # ------------------------------------------------------------------
    def _uwsgi(self, name, env, extra=(), threads=4):
        module, procname = UWSGI_APPS[name]
        port = self.L.ports[name]
        threads = str(threads)
        argv = [os.path.join(self.bin, 'uwsgi'), '--master', '--die-on-term',
                '--need-app', '--lazy-apps', '--enable-threads',
                '--thunder-lock', '--http-socket', '127.0.0.1:%d' % port,
                '--module', module, '--processes', '1', '--threads', threads,
                '--buffer-size', '65535', '--add-header', 'Connection: close',
                '--hook-master-start',
                'unix_signal:15 gracefully_kill_them_all',
                '--procname-prefix-spaced', 'cc-' + procname,
                '--disable-logging', '--logto', self.L.path(
                    'logs', '%s.uwsgi.log' % name)] + list(extra)
        rec = process.start(self.state, name, argv,
                            self.L.path('logs', '%s.stdout.log' % name),
                            env=env, kind='api',
                            meta={'port': port, 'url': self.L.url(name)})
        self.services[name] = rec
        return rec

    def _wait_http(self, name, url, ok=lambda r: r.status_code < 500,
                   timeout=75, config=None):
        rec = self.state.processes.get(name)
        deadline = time.monotonic() + timeout
        last = 'no answer'
        while time.monotonic() < deadline:
            self._check_abort()
            if rec and not process.is_alive(rec):
                raise self._not_ready(name, 'exited during start-up', config)
            try:
                r = requests.get(url, timeout=5)
                if ok(r):
                    return r
                last = 'HTTP %d' % r.status_code
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.2)
        raise self._not_ready(name, 'no ready answer from %s after %ds (%s)'
                              % (url, timeout, last), config)

    def _not_ready(self, name, why, config=None):
        rec = self.state.processes.get(name, {})
        logs = [rec.get('log')] if rec.get('log') else []
        svc_log = self.L.path('logs', name + '.log')
        if os.path.exists(svc_log) and svc_log not in logs:
            logs.insert(0, svc_log)
        tails = '\n'.join('--- %s (last lines):\n%s' % (
            p, process.tail(p, 15)) for p in logs)
        return DeployError('%s did not become ready: %s\nconfig: %s\n%s' % (
            name, why, config or '-', tails))

    def _start_daemon(self, name, argv, env=None, kind='service', meta=None):
        rec = process.start(self.state, name, argv,
                            self.L.path('logs', name + '.log'),
                            env=env, kind=kind, meta=meta)
        self.services[name] = rec
        return rec

    def _manage(self, name, argv, timeout=300, env=None):
        return process.run(name, argv, self.L.path('logs', 'setup.log'),
                           env=env, timeout=timeout, abort=self.abort)

    def _cacheable(self):
        return self.scenario.db['backend'] == 'private' and \
            schema_cache.enabled()

    def _socket_for(self, database):
        for cell in self.scenario.cells:
            if database == 'nova_' + cell.name and cell.name in self.mariadbs:
                return self.mariadbs[cell.name].socket
        return self.mariadbs['main'].socket

    def _schema(self, schema, database, migrate, no_data=()):
        """Load ``schema`` from the cache, or migrate and fill the cache."""
        if self._cacheable() and schema_cache.available(schema):
            schema_cache.load(schema, self._socket_for(database), database)
            self.cache_hits.append(schema)
            return
        migrate()
        if self._cacheable():
            try:
                schema_cache.save(schema, self._socket_for(database),
                                  database, no_data)
            except Exception as e:   # a cache problem never fails a deploy
                self.progress('warning: could not cache schema %s: %s' % (
                    schema, e))

    @property
    def admin(self):
        if getattr(self, '_admin', None) is None:
            self._admin = keystone_setup.Keystone(
                self.L.auth_url, 'admin', self.L.passwords['admin'])
        return self._admin

    def api(self, method, service, path, expect=(200, 201, 202, 204),
            headers=None, **kw):
        url = self.L.url(service) + path
        r = self.admin.session.request(url, method, headers=headers or {},
                                       raise_exc=False, timeout=60, **kw)
        if r.status_code not in expect:
            raise DeployError('%s %s%s -> HTTP %d: %s' % (
                method, service, path, r.status_code,
                redact.text(r.text[:400])))
        return r.json() if r.content else {}

    # ------------------------------------------------------------------
    # steps
    # ------------------------------------------------------------------
    def step_mariadb_template(self):
        self.mariadb_template = infra.mariadb_template(
            self.L.path('logs', 'setup.log'))

    def _step_mariadb(self, name):
        db = infra.MariaDB(name, self.L.ports['db-' + name], self.workdir)
        rec = db.start(self.state, self.mariadb_template)
        db.wait_ready(rec, abort=self.abort)
        self.mariadbs[name] = db
        dbs = list(self.db_names) if name == 'main' else []
        for cell in self.scenario.cells:
            if self.db_servers.get(cell.name, self.db_servers['main']) == \
                    ('127.0.0.1', db.port):
                dbs.append('nova_' + cell.name)
        conn = db.admin_connect()
        try:
            infra.create_databases(conn, dbs, self.db_user, self.db_password,
                                   self.ro_user, self.ro_password)
        finally:
            conn.close()

    def step_existing_db(self):
        url = self.scenario.db['url']
        try:
            conn = infra.connect_url(url)
        except Exception as e:
            raise DeployError('cannot connect to the existing database '
                              'server %s: %s' % (redact.url(url), e))
        dbs = [self.db_prefix + n for n in self.db_names] + [
            self.db_prefix + 'nova_' + c.name for c in self.scenario.cells]
        secrets_ = dict(self.state.data.get('secrets', {}))
        secrets_['existing_db_url'] = url
        self.state.set('secrets', secrets_)
        self.state.add_resource('existing-db', url=redact.url(url),
                                databases=dbs,
                                users=[self.db_user, self.ro_user])
        try:
            infra.create_databases(conn, dbs, self.db_user, self.db_password,
                                   self.ro_user, self.ro_password)
        finally:
            conn.close()

    def _vhosts(self, node=None):
        cells = [c for c in self.scenario.cells
                 if node in (None, 'main') or c.name == node]
        vh = ['nova_' + c.name for c in cells]
        if node in (None, 'main'):
            vh = ['nova_api', 'neutron', 'blazar'] + list(
                masakari.vhosts(self.scenario)) + vh
        if self.scenario.mq.get('isolation') == 'node' and node == 'main':
            vh = ['nova_api', 'neutron', 'blazar'] + list(
                masakari.vhosts(self.scenario))
        return vh

    def _step_rabbit(self, name):
        p = self.L.ports
        sfx = '' if name == 'main' else '-' + name
        node = infra.RabbitNode(name, (p['mq' + sfx], p['mq-dist' + sfx],
                                       p['mq-management' + sfx]),
                                self.workdir, p['epmd'])
        vhosts = self._vhosts(name)
        node.write_config({self.mq_user: (self.mq_password,
                                          ['administrator'])}, vhosts)
        rec = node.start(self.state)
        node.wait_ready(rec, (self.mq_user, self.mq_password), vhosts,
                        abort=self.abort)
        self.rabbits[name] = node

    def step_keystone_keys(self):
        conf = self.L.path('etc', 'keystone', 'keystone.conf')
        import grp
        import pwd
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        km = os.path.join(self.bin, 'keystone-manage')
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            list(ex.map(lambda what: self._manage(
                'keystone-manage ' + what, [
                    km, '--config-file', conf, what, '--keystone-user', user,
                    '--keystone-group', group]),
                ('fernet_setup', 'credential_setup')))

    def step_keystone_db(self):
        conf = self.L.path('etc', 'keystone', 'keystone.conf')
        self._schema('keystone', 'keystone', lambda: self._manage(
            'keystone-manage db_sync', [
                os.path.join(self.bin, 'keystone-manage'), '--config-file',
                conf, 'db_sync']))

    def step_keystone_bootstrap(self):
        conf = self.L.path('etc', 'keystone', 'keystone.conf')
        url = self.L.url('keystone')
        # The password goes in the environment keystone-manage reads
        # (keystone/cmd/cli.py: OS_BOOTSTRAP_PASSWORD), never on the
        # command line where `ps` shows it to every local user.
        self._manage('keystone-manage bootstrap', [
            os.path.join(self.bin, 'keystone-manage'), '--config-file', conf,
            'bootstrap', '--bootstrap-username', 'admin',
            '--bootstrap-project-name', 'admin',
            '--bootstrap-role-name', 'admin',
            '--bootstrap-service-name', 'keystone',
            '--bootstrap-region-id', configs.REGION,
            '--bootstrap-admin-url', url + '/v3',
            '--bootstrap-public-url', url + '/v3',
            '--bootstrap-internal-url', url + '/v3'],
            env={'OS_BOOTSTRAP_PASSWORD': self.L.passwords['admin']})

    def step_keystone(self):
        conf = self.L.path('etc', 'keystone', 'keystone.conf')
        self._uwsgi('keystone', {'OS_KEYSTONE_CONFIG_DIR': self.L.path(
            'etc', 'keystone')})
        self._wait_http('keystone', self.L.url('keystone') + '/v3',
                        ok=lambda r: r.status_code == 200, config=conf)

    def step_catalog(self):
        keystone_setup.register(
            self.L.auth_url, self.L.passwords['admin'],
            self.L.passwords, configs.catalog(self.L), configs.REGION,
            extra_roles=[configs.CROSS_CELL_ROLE])
        self._admin = None

    def step_placement_db(self):
        conf = self.L.path('etc', 'placement', 'placement.conf')
        self._schema('placement', 'placement', lambda: self._manage(
            'placement-manage db sync', [
                os.path.join(self.bin, 'placement-manage'), '--config-file',
                conf, 'db', 'sync']))

    def step_placement(self):
        self._uwsgi('placement', {'OS_PLACEMENT_CONFIG_DIR': self.L.path(
            'etc', 'placement')})
        self._wait_http('placement', self.L.url('placement') + '/',
                        ok=lambda r: r.status_code == 200,
                        config=self.L.path('etc', 'placement',
                                           'placement.conf'))

    def step_glance_db(self):
        conf = self.L.path('etc', 'glance', 'glance-api.conf')
        self._schema('glance', 'glance', lambda: self._manage(
            'glance-manage db_sync', [
                os.path.join(self.bin, 'glance-manage'), '--config-file',
                conf, 'db_sync']))

    def step_glance(self):
        self._uwsgi('glance', {'OS_GLANCE_CONFIG_DIR': self.L.path(
            'etc', 'glance')})
        self._wait_http('glance', self.L.url('glance') + '/',
                        config=self.L.path('etc', 'glance',
                                           'glance-api.conf'))

    def step_image(self):
        img = self.api('POST', 'glance', '/v2/images', json={
            'name': 'cirros-tiny', 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'public'})
        self.api('PUT', 'glance', '/v2/images/%s/file' % img['id'],
                 headers={'Content-Type': 'application/octet-stream'},
                 data=b'\0' * (1024 * 1024))
        self.image_id = img['id']

    def step_neutron_db(self):
        etc = self.L.path('etc', 'neutron')
        self._schema('neutron', 'neutron', lambda: self._manage(
            'neutron-db-manage upgrade heads', [
                os.path.join(self.bin, 'neutron-db-manage'), '--config-file',
                os.path.join(etc, 'neutron.conf'), '--config-file',
                os.path.join(etc, 'ml2_conf.ini'), 'upgrade', 'heads'],
            timeout=600))

    def step_neutron(self):
        self._uwsgi('neutron', {
            'OS_NEUTRON_CONFIG_DIR': self.L.path('etc', 'neutron'),
            'OS_NEUTRON_CONFIG_FILES': 'neutron.conf;ml2_conf.ini'})
        self._wait_http('neutron', self.L.url('neutron') + '/',
                        ok=lambda r: r.status_code == 200,
                        config=self.L.path('etc', 'neutron', 'neutron.conf'))

    def step_neutron_warmup(self):
        # A fresh neutron API worker fails GET /v2.0/ports until some other
        # ORM query configured the mappers (Port.port_forwardings backref).
        self.api('GET', 'neutron', '/v2.0/networks')
        self.api('GET', 'neutron', '/v2.0/ports?device_id=x')

    def step_nova_db(self):
        cells_dbs = ['nova_cell0'] + ['nova_' + c.name
                                      for c in self.scenario.cells]
        hit = self._cacheable() and schema_cache.available('nova_api') \
            and schema_cache.available('nova_main')
        if hit:
            # nova's own db_sync then finds nothing to do.
            schema_cache.load('nova_api', self._socket_for('nova_api'),
                              'nova_api')
            for db in cells_dbs:
                schema_cache.load('nova_main', self._socket_for(db), db)
            self.cache_hits += ['nova_api', 'nova_main']
        self._nova_db_helper()
        if self._cacheable() and not hit:
            try:
                schema_cache.save('nova_api', self._socket_for('nova_api'),
                                  'nova_api', ('cell_mappings',))
                schema_cache.save('nova_main', self._socket_for(
                    'nova_cell0'), 'nova_cell0')
            except Exception as e:
                self.progress('warning: could not cache nova schemas: %s' %
                              e)

    def _nova_db_helper(self):
        plan = {'cell0': self.L.db_urls['nova_cell0'], 'cells': [
            {'name': c.name, 'database': self.L.cell_db(c.name),
             'sync_database': self.L.cell_db(c.name, timeouts=False),
             'transport': self.L.transports[c.name],
             'disabled': c.disabled} for c in self.scenario.cells]}
        plan_path = self.L.path('etc', 'nova', 'cells-plan.json')
        process.write_private(plan_path, json.dumps(plan))
        log = self.L.path('logs', 'nova-db.log')
        argv = [sys.executable, '-m', 'cellv2_conformance.deploy.nova_db',
                '--plan', plan_path]
        for f in self.nova_conf_files('nova.conf'):
            argv += ['--config-file', f]
        process.run('nova database set-up', argv, log, timeout=600,
                    env={'PYTHONPATH': os.pathsep.join(sys.path)},
                    abort=self.abort)
        with open(log) as f:
            last = [ln for ln in f.read().splitlines()
                    if ln.startswith('{')][-1]
        result = json.loads(last)
        self.cell_uuids = result['cells']
        self.cell0_uuid = result['cell0']
        os.unlink(plan_path)

    def _nova_env(self, *files):
        return {'OS_NOVA_CONFIG_DIR': self.L.path('etc', 'nova'),
                'OS_NOVA_CONFIG_FILES': ';'.join(files)}

    def step_nova_api(self):
        self._uwsgi('nova-api', self._nova_env(
            'api-paste.ini', 'nova-common.conf', 'nova.conf',
            'nova-api-overrides.conf'))
        self._wait_http('nova-api', self.L.url('nova-api') + '/',
                        ok=lambda r: r.status_code == 200,
                        config=self.L.path('etc', 'nova', 'nova.conf'))

    def _conf_args(self, *names):
        out = []
        for f in self.nova_conf_files(*names):
            out += ['--config-file', f]
        return out

    def step_nova_conductors(self):
        b = self.bin
        self._start_daemon('nova-scheduler', [
            os.path.join(b, 'nova-scheduler')] + self._conf_args(
                'nova.conf', 'nova-scheduler-overrides.conf'),
            meta={'host': 'scheduler'})
        self._start_daemon('nova-super-conductor', [
            os.path.join(b, 'nova-conductor')] + self._conf_args(
                'nova.conf', 'nova-super-conductor-overrides.conf'))
        for cell in self.scenario.cells:
            self._start_daemon('nova-conductor-%s' % cell.name, [
                os.path.join(b, 'nova-conductor')] + self._conf_args(
                    'nova-%s.conf' % cell.name,
                    'nova-cell-conductor-overrides.conf'),
                meta={'cell': cell.name, 'host': '%s-conductor' % cell.name})

    def step_nova_computes(self):
        for cell in self.scenario.cells:
            for host in cell.hosts:
                self._start_daemon('nova-compute-%s' % host, [
                    os.path.join(self.bin, 'nova-compute')] +
                    self._conf_args('compute-%s.conf' % host,
                                    'nova-compute-overrides.conf'),
                    meta={'cell': cell.name, 'host': host})

    def _expected_services(self):
        exp = {('nova-scheduler', None), ('nova-conductor', None)}
        for cell in self.scenario.cells:
            exp.add(('nova-conductor', '%s-conductor' % cell.name))
            for h in cell.hosts:
                exp.add(('nova-compute', h))
        return exp

    def step_nova_ready(self, timeout=180):
        """Every nova RPC service reports up in os-services."""
        deadline = time.monotonic() + timeout
        missing = None
        while time.monotonic() < deadline:
            self._check_abort()
            for name, rec in self.state.processes.items():
                if name.startswith('nova-') and rec['kind'] == 'service' \
                        and not process.is_alive(rec):
                    raise self._not_ready(name, 'exited during start-up',
                                          self.L.path('etc', 'nova'))
            svcs = self.api('GET', 'nova-api', '/v2.1/os-services',
                            headers={'OpenStack-API-Version':
                                     'compute 2.53'})['services']
            up = {(s['binary'], s['host']) for s in svcs
                  if s['state'] == 'up'}
            up_binaries = {b for b, _ in up}
            missing = []
            for binary, host in sorted(self._expected_services(),
                                       key=str):
                if host is None:
                    if binary not in up_binaries:
                        missing.append(binary)
                elif (binary, host) not in up:
                    missing.append('%s on %s' % (binary, host))
            if not missing:
                return
            time.sleep(0.5)
        proc = {'nova-compute on %s' % r.get('host'): n
                for n, r in self.state.processes.items()}
        first = proc.get(missing[0], 'nova-api')
        raise self._not_ready(first, 'not up in os-services after %ds: %s' %
                              (timeout, ', '.join(missing)),
                              self.L.path('etc', 'nova'))

    def _compute_node_counts(self):
        counts = {}
        for cell in self.scenario.cells:
            conn = infra.connect_url(self.L.cell_db(cell.name))
            try:
                with conn.cursor() as cur:
                    cur.execute('SELECT host FROM compute_nodes WHERE '
                                'deleted = 0')
                    counts[cell.name] = {r[0] for r in cur.fetchall()}
            finally:
                conn.close()
        return counts

    def step_discover_hosts(self, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            self._check_abort()
            have = self._compute_node_counts()
            missing = [h for c in self.scenario.cells for h in c.hosts
                       if h not in have.get(c.name, set())]
            if not missing:
                break
            if time.monotonic() > deadline:
                name = 'nova-compute-%s' % missing[0]
                raise self._not_ready(name, 'no compute_nodes row after %ds'
                                      % timeout, self.L.path(
                                          'etc', 'nova', 'compute-%s.conf' %
                                          missing[0]))
            time.sleep(0.5)
        self._manage('nova-manage cell_v2 discover_hosts', [
            os.path.join(self.bin, 'nova-manage')] + self._conf_args(
                'nova.conf') + ['cell_v2', 'discover_hosts', '--verbose'])

    def step_flavors(self):
        for fid, name, ram, vcpus, disk in (('c1', 'cc.tiny', 128, 1, 1),
                                            ('c2', 'cc.small', 256, 1, 2)):
            r = self.admin.session.get(
                self.L.url('nova-api') + '/v2.1/flavors/' + fid,
                raise_exc=False, timeout=30)
            if r.status_code == 200:
                continue
            self.api('POST', 'nova-api', '/v2.1/flavors', json={'flavor': {
                'id': fid, 'name': name, 'ram': ram, 'vcpus': vcpus,
                'disk': disk}})

    def step_blazar_db(self):
        conf = self.L.path('etc', 'blazar', 'blazar.conf')
        self._schema('blazar', 'blazar', lambda: self._manage(
            'blazar-db-manage upgrade head', [
                os.path.join(self.bin, 'blazar-db-manage'), '--config-file',
                conf, 'upgrade', 'head']))

    def step_blazar(self):
        conf = self.L.path('etc', 'blazar', 'blazar.conf')
        self._start_daemon('blazar-manager', [
            os.path.join(self.bin, 'blazar-manager'), '--config-file', conf])
        self._uwsgi('blazar-api', {'OS_BLAZAR_CONFIG_DIR': self.L.path(
            'etc', 'blazar')})
        self._wait_http('blazar-api', self.L.url('blazar-api') + '/',
                        config=conf)
        # GET /v1/leases is an RPC call to the manager: both are up.
        deadline = time.monotonic() + 90
        while True:
            self._check_abort()
            if not process.is_alive(self.state.processes['blazar-manager']):
                raise self._not_ready('blazar-manager', 'exited', conf)
            r = self.admin.session.get(
                self.L.url('blazar-api') + '/v1/leases', raise_exc=False,
                timeout=30)
            if r.status_code == 200:
                break
            if time.monotonic() > deadline:
                raise self._not_ready('blazar-manager', 'GET /v1/leases '
                                      'still HTTP %d' % r.status_code, conf)
            time.sleep(0.5)

    def step_blazar_hosts(self):
        aggs = self.api('GET', 'nova-api', '/v2.1/os-aggregates')[
            'aggregates']
        if not any(a['name'] == 'freepool' for a in aggs):
            self.api('POST', 'nova-api', '/v2.1/os-aggregates', json={
                'aggregate': {'name': 'freepool'}})
        # One enrolment per host, concurrently: each touches only its own
        # hypervisor, child resource provider and freepool membership.
        hosts = self.scenario.reservable_hosts
        if hosts:
            with concurrent.futures.ThreadPoolExecutor(len(hosts)) as ex:
                list(ex.map(lambda h: self.api(
                    'POST', 'blazar-api', '/v1/os-hosts', json={'name': h}),
                    hosts))

    # ------------------------------------------------------------------
    # graph
    # ------------------------------------------------------------------
    def _steps(self):
        sc = self.scenario
        s = []

        def add(name, deps, fn):
            s.append((name, tuple(deps), fn))

        db_steps = []
        if sc.db['backend'] == 'private':
            add('mariadb-template', [], self.step_mariadb_template)
            for name in ['main'] + [c.name for c in sc.cells
                                    if c.name in self.db_servers]:
                add('mariadb-' + name, ['mariadb-template'],
                    lambda n=name: self._step_mariadb(n))
                db_steps.append('mariadb-' + name)
        else:
            add('databases', [], self.step_existing_db)
            db_steps.append('databases')
        mq_steps = []
        if sc.mq['backend'] == 'private':
            add('rabbitmq', [], lambda: self._step_rabbit('main'))
            mq_steps.append('rabbitmq')
            if sc.mq.get('isolation') == 'node':
                for c in sc.cells:
                    add('rabbitmq-' + c.name, ['rabbitmq'],
                        lambda n=c.name: self._step_rabbit(n))
                    mq_steps.append('rabbitmq-' + c.name)
        else:
            add('vhosts', [], self.step_existing_mq)
            mq_steps.append('vhosts')
        add('keystone-keys', [], self.step_keystone_keys)
        add('keystone-db', db_steps, self.step_keystone_db)
        add('keystone-bootstrap', ['keystone-db'],
            self.step_keystone_bootstrap)
        add('keystone', ['keystone-db'], self.step_keystone)
        add('catalog', ['keystone', 'keystone-bootstrap', 'keystone-keys'],
            self.step_catalog)
        add('placement-db', db_steps, self.step_placement_db)
        add('placement', ['placement-db'], self.step_placement)
        add('glance-db', db_steps, self.step_glance_db)
        add('glance', ['glance-db'], self.step_glance)
        add('image', ['glance', 'catalog'], self.step_image)
        add('neutron-db', db_steps, self.step_neutron_db)
        add('neutron', ['neutron-db'] + mq_steps, self.step_neutron)
        add('neutron-warmup', ['neutron', 'catalog'],
            self.step_neutron_warmup)
        add('nova-db', db_steps, self.step_nova_db)
        # Every nova service authenticates to keystone at start-up (service
        # users): start them only once the catalog step created those users.
        add('nova-api', ['nova-db', 'catalog'] + mq_steps, self.step_nova_api)
        add('nova-conductors', ['nova-db', 'catalog'] + mq_steps,
            self.step_nova_conductors)
        add('nova-computes', ['nova-db', 'placement', 'catalog'] + mq_steps,
            self.step_nova_computes)
        add('nova-ready', ['nova-api', 'nova-conductors', 'nova-computes',
                           'catalog'], self.step_nova_ready)
        add('discover-hosts', ['nova-ready'], self.step_discover_hosts)
        add('flavors', ['nova-api', 'catalog'], self.step_flavors)
        if sc.blazar_enabled:
            add('blazar-db', db_steps, self.step_blazar_db)
            add('blazar', ['blazar-db', 'catalog', 'nova-api'] + mq_steps,
                self.step_blazar)
            add('blazar-hosts', ['blazar', 'discover-hosts',
                                 'neutron-warmup'], self.step_blazar_hosts)
        masakari.steps(self, add, db_steps, mq_steps)
        return s

    def _run_graph(self, steps):
        done, failed = set(), []
        running = {}
        pending = list(steps)
        # Not a `with` block: leaving one waits for every running step, and
        # a Ctrl-C must not wait for a 600 s db sync.  On any exit the abort
        # event stops running steps at their next check (every loop, wait
        # and one-shot command polls it) and no new process starts.
        ex = concurrent.futures.ThreadPoolExecutor(max_workers=10)
        try:
            while pending or running:
                if not failed:
                    for st in list(pending):
                        name, deps, fn = st
                        if all(d in done for d in deps):
                            pending.remove(st)
                            running[ex.submit(self._timed, name, fn)] = name
                if not running:
                    break
                fin, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED)
                for f in fin:
                    name = running.pop(f)
                    exc = f.exception()
                    if exc is None:
                        done.add(name)
                    elif not isinstance(exc, process.Aborted):
                        failed.append((name, exc))
                        self.abort.set()
                if failed:
                    pending = []
        except BaseException:
            self.abort.set()
            raise
        finally:
            ex.shutdown(wait=False, cancel_futures=True)
            if self.abort.is_set() and running:
                # Give running steps a moment to notice the abort.
                concurrent.futures.wait(running, timeout=ABORT_GRACE_S)
        if failed:
            name, exc = failed[0]
            if isinstance(exc, DeployError):
                raise DeployError('step %s: %s' % (name, exc))
            raise DeployError('step %s failed: %s: %s' % (
                name, type(exc).__name__, redact.text(str(exc))))

    def _timed(self, name, fn):
        t0 = time.monotonic()
        start = time.monotonic() - self.progress.t0
        fn()
        dt = time.monotonic() - t0
        self.timings[name] = {'start_s': round(start, 2),
                              'duration_s': round(dt, 2)}
        self.progress('%-22s ready in %5.1fs' % (name, dt))

    # ------------------------------------------------------------------
    # entry point
    # ------------------------------------------------------------------
    def deploy(self):
        t0 = time.monotonic()
        try:
            self._preflight()
        except BaseException:
            if self._lock is not None:
                self._lock.close()
            raise
        self.state = process.State(self.workdir)
        self.state.abort = self.abort
        self.mariadbs, self.rabbits = {}, {}
        self.cache_hits = []
        try:
            ports = ports_mod.allocate(self.scenario, self.workdir)
            self.L = self._layout(ports)
            self.state.update(lambda data: data.update({
                'scenario': self.scenario.to_dict(),
                'scenario_name': self.scenario.name,
                'ports': ports, 'workdir': self.workdir,
                'started_at': time.time(), 'db_prefix': self.db_prefix,
                'vhost_prefix': self.vhost_prefix}))
            self._write_configs()
            self.progress('deploying scenario %s into %s (ports %d-%d)' % (
                self.scenario.name, self.workdir, min(ports.values()),
                max(ports.values())))
            self._run_graph(self._steps())
            total = time.monotonic() - t0
            inv = writers.write_all(self, total)
            self.state.set('timings', self.timings)
            self.state.set('total_s', round(total, 2))
            self.state.set('schema_cache_hits', sorted(set(self.cache_hits)))
            self.state.set('status', 'ready')
            workdir_mod.record_entries(self.workdir)
            self.progress('deployment ready in %.1fs; inventory %s' % (
                total, inv))
            return inv
        except BaseException as e:
            self.abort.set()
            self.progress('deployment failed; stopping everything that was '
                          'started')
            try:
                self.state.set('status', 'failed')
                teardown(self.workdir, keep=True, out=self.progress)
            except Exception as te:   # keep the original error first
                self.progress('teardown also failed: %s' % te)
            if isinstance(e, KeyboardInterrupt):
                raise process.Interrupted('interrupted; everything started '
                                          'was stopped')
            raise
        finally:
            workdir_mod.record_entries(self.workdir)
            self._lock.close()

    def step_existing_mq(self):
        """A user and this deployment's vhosts on an existing broker,
        through its management API when given, else local rabbitmqctl.
        """
        mq = self.scenario.mq
        vhosts = [self.vhost_prefix + v for v in self._vhosts()]
        self.state.add_resource('existing-mq', vhosts=vhosts,
                                user=self.mq_user,
                                management_url=redact.url(
                                    mq.get('management_url') or ''))
        if mq.get('management_url'):
            secrets_ = dict(self.state.data.get('secrets', {}))
            secrets_['existing_mq_management_url'] = mq['management_url']
            self.state.set('secrets', secrets_)
            infra.mq_management_setup(mq['management_url'], self.mq_user,
                                      self.mq_password, vhosts)
        else:
            infra.rabbitmqctl_import(self.L.path('logs', 'setup.log'),
                                     {self.mq_user: (self.mq_password, [])},
                                     vhosts)
        # the broker answers AMQP for our user on every vhost
        for v in vhosts:
            infra.amqp_check(self.scenario.mq['url'], self.mq_user,
                             self.mq_password, v)


# ----------------------------------------------------------------------
# teardown
# ----------------------------------------------------------------------
KIND_ORDER = ('api', 'service', 'mq', 'db')
ABORT_GRACE_S = 10


def teardown(workdir, keep=False, out=print, lock_timeout=60):
    """Stop every recorded process; remove what the deployment made unless
    ``keep``.  Idempotent, and works on the state file of a crashed deploy.

    Open faults are the caller's business (``down`` heals them first, see
    :mod:`cellv2_conformance.cmd.down`).  Under the state lock the
    deployment is marked ``stopping`` and the state re-read, so a process
    a fault heal restarted is stopped too, and nothing (no heal, no
    restart) starts a process once teardown began.
    """
    workdir = os.path.abspath(workdir)
    if not os.path.isdir(workdir):
        out('nothing to stop in %s (no such directory)' % workdir)
        return 0
    if not process.State.exists(workdir) and \
            not workdir_mod.is_ours(workdir):
        out('nothing to stop in %s (not a deployment directory)' % workdir)
        return 0
    try:
        lock = workdir_mod.command_lock(workdir, timeout=lock_timeout)
        with lock, _shielded(out):
            return _teardown(workdir, keep, out)
    except filelock.LockTimeout as e:
        raise DeployError(str(e))


@contextlib.contextmanager
def _shielded(out):
    """Ctrl-C does not interrupt a teardown half-way (it would leave
    processes behind).
    """
    import signal
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, lambda *a: out(
        'teardown in progress; please wait'))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _teardown(workdir, keep, out):
    if not process.State.exists(workdir):
        out('nothing to stop in %s (no state file)' % workdir)
        if not keep:
            workdir_mod.remove(workdir)
        return 0
    st = process.State.load(workdir)
    st.set('status', 'stopping')
    stopped = 0
    seen = {}
    # A step of an aborted deploy may still record a process while we
    # stop: go round until the state names nothing new.
    for _ in range(5):
        procs = {n: r for n, r in st.reload().processes.items()
                 if seen.get(n) != (r.get('pid'), r.get('create_time'))}
        if not procs:
            break
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as ex:
            for kind in KIND_ORDER:
                names = [n for n, r in procs.items()
                         if r.get('kind') == kind]
                results = list(ex.map(lambda n: process.stop(procs[n]),
                                      names))
                stopped += sum(1 for r in results if r)
        others = [n for n, r in procs.items()
                  if r.get('kind') not in KIND_ORDER]
        for n in others:
            stopped += 1 if process.stop(procs[n]) else 0
        seen.update({n: (r.get('pid'), r.get('create_time'))
                     for n, r in procs.items()})
    stopped += _stop_strays(workdir)
    epmd_port = st.data.get('ports', {}).get('epmd')
    if epmd_port:
        infra.stop_epmd(epmd_port)
    for res in st.data.get('resources', []):
        _remove_resource(res, st, out)
    st.set('status', 'down')
    ports_mod.release(workdir)
    out('stopped %d process(es) of %s' % (stopped, workdir))
    if not keep:
        left = workdir_mod.remove(workdir)
        if left:
            out('removed the deployment from %s (kept, not ours: %s)' % (
                workdir, ', '.join(left)))
        else:
            out('removed %s' % workdir)
    return stopped


def _stop_strays(workdir):
    """Stop one-shot helpers (db syncs, nova-manage) a killed deploy left
    running: processes run from this environment's programs whose command
    line names this deployment's workdir (unique to the deployment).
    Never the caller, its parents, or anything else that merely mentions
    the path (a shell, `timeout`, an editor, `tail -f` on a log).
    """
    import psutil
    prefix = os.path.dirname(venv_bin()) + os.sep
    me = psutil.Process()
    spare = {me.pid} | {p.pid for p in me.parents()}
    strays = []
    for p in psutil.process_iter(['pid', 'cmdline', 'exe']):
        try:
            args = p.info['cmdline'] or []
            if p.pid in spare or not args:
                continue
            ours = (p.info['exe'] or '').startswith(prefix) or \
                args[0].startswith(prefix) or (
                    len(args) > 1 and args[1].startswith(prefix))
            if ours and any(a and (a == workdir or a.startswith(
                    workdir + os.sep)) for a in args):
                strays.append(p)
        except psutil.Error:
            continue
    for p in strays:
        try:
            p.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(strays, timeout=10)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    return len(strays)


def _remove_resource(res, st, out):
    if res['kind'] == 'existing-mq':
        try:
            url = st.data.get('secrets', {}).get(
                'existing_mq_management_url')
            infra.mq_remove(url, res['user'], res['vhosts'])
        except Exception as e:
            out('could not remove vhosts %s from the existing broker: %s' %
                (res['vhosts'], redact.text(e)))
        return
    if res['kind'] == 'existing-db':
        secret = st.data.get('secrets', {}).get('existing_db_url')
        if not secret:
            out('cannot drop databases %s: admin URL unknown' %
                res['databases'])
            return
        try:
            conn = infra.connect_url(secret)
            with conn.cursor() as cur:
                for db in res['databases']:
                    cur.execute('DROP DATABASE IF EXISTS `%s`' % db)
                for u in res['users']:
                    for h in ('127.0.0.1', 'localhost'):
                        cur.execute('DROP USER IF EXISTS %s@%s', (u, h))
            conn.close()
        except Exception as e:
            out('could not drop databases on the existing server: %s' %
                redact.text(e))
