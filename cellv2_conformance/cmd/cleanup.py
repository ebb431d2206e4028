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

"""``cellv2-conformance cleanup``: remove what earlier runs left behind.

A run that was killed (kill -9, a lost gate node) never runs its
cleanups.  Everything the suite creates carries the run prefix
(``[cellv2] resource_prefix``, default ``cellv2``): servers, leases,
flavors, aggregates, server groups, keypairs; the projects and users of
tempest's dynamic credentials are named ``<[DEFAULT] resource_name_prefix>-
<one of our test classes>-<n>``; a host the suite enrolled into Blazar
carries the extra capability ``naming.ENROL_MARK = <prefix>``.  This
command finds exactly those (nothing without our mark is ever touched),
removes them in dependency order (leases before the servers and hosts they
hold, servers before flavors and keypairs, users and projects last) and
waits until each is gone.  Idempotent: a second run finds nothing.

Exit codes: 0 nothing left (or ``--dry-run``), 1 something could not be
removed, 2 could not run (bad tempest.conf, keystone unreachable, wrong
credentials), 130 interrupted.
"""

import ast
import os
import re
import sys
import time

from cellv2_conformance.common import naming
from cellv2_conformance import redact

TIMEOUT = 300


class CleanupError(Exception):
    """Could not run at all (exit 2)."""


def _say(msg):
    print(redact.text(msg), flush=True)


def our_test_classes():
    """Names of the plugin's test classes (dynamic credentials name their
    projects and users after them), read from the sources.
    """
    import cellv2_conformance.tests as tests_pkg
    root = os.path.dirname(tests_pkg.__file__)
    names = set()
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith('.py'):
                continue
            with open(os.path.join(dirpath, f), encoding='utf-8') as fh:
                tree = ast.parse(fh.read())
            names.update(n.name for n in tree.body
                         if isinstance(n, ast.ClassDef))
    return sorted(names)


def identity_pattern(resource_prefix, tempest_prefix, classes):
    """Regex of the project/user names that are ours."""
    alts = [re.escape(resource_prefix) + '-']
    if classes:
        cls = '(?:%s)' % '|'.join(re.escape(c) for c in classes)
        tp = (re.escape(tempest_prefix) + '-') if tempest_prefix else ''
        alts.append('%s%s-\\d+(?:-|$)' % (tp, cls))
    return re.compile('^(?:%s)' % '|'.join(alts))


class Cloud:
    """Admin clients built from tempest.conf's explicit credentials."""

    def __init__(self, cp):
        from tempest.lib import auth
        uri = cp.get('identity', 'uri_v3', fallback='').rstrip('/')
        if not uri:
            raise CleanupError('tempest.conf has no [identity] uri_v3')
        user = cp.get('auth', 'admin_username', fallback='')
        password = cp.get('auth', 'admin_password', fallback='')
        if not user or not password:
            raise CleanupError('tempest.conf has no [auth] admin_username/'
                               'admin_password: cleanup needs an admin')
        redact.register(password)
        domain = cp.get('auth', 'admin_domain_name', fallback='') or \
            'Default'
        creds = auth.get_credentials(
            uri, identity_version='v3', username=user, password=password,
            project_name=cp.get('auth', 'admin_project_name',
                                fallback='') or 'admin',
            user_domain_name=domain, project_domain_name=domain)
        region = cp.get('identity', 'region', fallback='') or 'RegionOne'
        ssl = dict(disable_ssl_certificate_validation=cp.getboolean(
            'identity', 'disable_ssl_certificate_validation',
            fallback=False), ca_certs=cp.get(
            'identity', 'ca_certificates_file', fallback='') or None)
        ep = cp.get('compute', 'endpoint_type', fallback='') or 'publicURL'
        auth_provider = auth.KeystoneV3AuthProvider(creds, uri, **ssl)
        kw = dict(disable_ssl_certificate_validation=ssl[
            'disable_ssl_certificate_validation'], ca_certs=ssl['ca_certs'])

        def make(module, cls, service, sect):
            sect_region = cp.get(sect, 'region', fallback='') or region
            return getattr(module, cls)(
                auth_provider, service, sect_region,
                endpoint_type=ep if sect == 'compute' else 'publicURL', **kw)
        from tempest.lib.services import compute
        from tempest.lib.services.identity import v3 as identity
        for attr, cls in (('servers', 'ServersClient'),
                          ('flavors', 'FlavorsClient'),
                          ('aggregates', 'AggregatesClient'),
                          ('server_groups', 'ServerGroupsClient'),
                          ('keypairs', 'KeyPairsClient')):
            setattr(self, attr, make(compute, cls, 'compute', 'compute'))
        self.projects = make(identity, 'ProjectsClient', 'identity',
                             'identity')
        self.users = make(identity, 'UsersClient', 'identity', 'identity')
        self.blazar = cp.getboolean('service_available', 'blazar',
                                    fallback=False)
        if self.blazar:
            from cellv2_conformance.services.reservation import v1
            rsv = dict(kw, endpoint_type=cp.get(
                'reservation', 'endpoint_type', fallback='') or 'public')
            svc = cp.get('reservation', 'catalog_type', fallback='') or \
                'reservation'
            rregion = cp.get('reservation', 'region', fallback='') or region
            self.leases = v1.LeasesClient(auth_provider, svc, rregion, **rsv)
            self.hosts = v1.HostsClient(auth_provider, svc, rregion, **rsv)


def _gone(show, timeout=TIMEOUT, interval=1.0):
    """Poll ``show()`` until NotFound; False on timeout."""
    from tempest.lib import exceptions as lib_exc
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            show()
        except lib_exc.NotFound:
            return True
        time.sleep(interval)
    return False


class Cleaner:
    """Find (and unless dry) remove our leftovers, kind by kind."""

    def __init__(self, cloud, prefix, id_pattern, dry_run, protected=()):
        self.cloud = cloud
        self.prefix = prefix
        self.id_pattern = id_pattern
        self.dry = dry_run
        self.protected = set(protected)
        self.found = []
        self.failed = []

    def ours(self, name):
        return naming.is_ours(name, self.prefix)

    def _remove(self, kind, ident, label, delete, show):
        from tempest.lib import exceptions as lib_exc
        self.found.append((kind, ident))
        if self.dry:
            _say('would remove %s %s (%s)' % (kind, label, ident))
            return
        try:
            delete()
        except lib_exc.NotFound:
            pass
        except Exception as e:   # one failure must not stop the others
            why = '%s %s (%s): %s' % (kind, label, ident, e)
            if kind == 'lease':
                why += (' (Blazar acts through the trust of the lease\'s '
                        'owner: once that user or project is deleted it '
                        'cannot delete the lease; remove it from Blazar\'s '
                        'database)')
            self.failed.append(why)
            _say('FAILED to remove %s' % why)
            return
        if show is not None and not _gone(show):
            self.failed.append('%s %s (%s) still there after %ds' % (
                kind, label, ident, TIMEOUT))
            _say('FAILED: %s %s (%s) still there' % (kind, label, ident))
            return
        _say('removed %s %s (%s)' % (kind, label, ident))

    # -- kinds, in dependency order -------------------------------------
    def leases(self):
        c = self.cloud
        if not c.blazar:
            return
        for lease in c.leases.list_leases()['leases']:
            if self.ours(lease.get('name')):
                self._wait_stable(lease['id'])
                self._remove('lease', lease['id'], lease['name'],
                             lambda i=lease['id']: c.leases.delete_lease(i),
                             lambda i=lease['id']: c.leases.show_lease(i))

    def _wait_stable(self, lease_id):
        """Blazar refuses to delete a lease in a transitional status."""
        from tempest.lib import exceptions as lib_exc
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not self.dry:
            try:
                status = self.cloud.leases.show_lease(lease_id)['lease'][
                    'status']
            except lib_exc.NotFound:
                return
            if status not in ('STARTING', 'TERMINATING', 'UPDATING',
                              'DELETING'):
                return
            time.sleep(2)

    def servers(self):
        c = self.cloud
        for s in c.servers.list_servers(all_tenants=True)['servers']:
            if self.ours(s.get('name')):
                self._remove('server', s['id'], s['name'],
                             lambda i=s['id']: c.servers.delete_server(i),
                             lambda i=s['id']: c.servers.show_server(i))

    def enrolled_hosts(self):
        c = self.cloud
        if not c.blazar:
            return
        for h in c.hosts.list_hosts()['hosts']:
            if h.get(naming.ENROL_MARK) != self.prefix:
                continue
            name = h['hypervisor_hostname']
            if name in self.protected:
                _say('keeping Blazar host %s: the inventory lists it as a '
                     'reservable host of the deployment' % name)
                continue
            self._remove('Blazar host enrolment', h['id'], name,
                         lambda i=h['id']: c.hosts.delete_host(i),
                         lambda i=h['id']: c.hosts.show_host(i))

    def server_groups(self):
        c = self.cloud
        for g in c.server_groups.list_server_groups(all_projects=True)[
                'server_groups']:
            if self.ours(g.get('name')):
                self._remove('server group', g['id'], g['name'],
                             lambda i=g['id']:
                             c.server_groups.delete_server_group(i), None)

    def flavors(self):
        c = self.cloud
        for f in c.flavors.list_flavors(is_public='None')['flavors']:
            if self.ours(f.get('name')):
                self._remove('flavor', f['id'], f['name'],
                             lambda i=f['id']: c.flavors.delete_flavor(i),
                             lambda i=f['id']: c.flavors.show_flavor(i))

    def aggregates(self):
        c = self.cloud
        for a in c.aggregates.list_aggregates()['aggregates']:
            if not self.ours(a.get('name')):
                continue

            def delete(agg=a):
                for host in agg.get('hosts') or []:
                    c.aggregates.remove_host(agg['id'], host=host)
                c.aggregates.delete_aggregate(agg['id'])
            self._remove('aggregate', a['id'], a['name'], delete,
                         lambda i=a['id']: c.aggregates.show_aggregate(i))

    def keypairs(self, user_ids):
        from cellv2_conformance.common import servers as servers_mod
        c = self.cloud
        for uid in [None] + list(user_ids):
            with servers_mod.api_version('2.10'):
                params = {'user_id': uid} if uid else {}
                kps = c.keypairs.list_keypairs(**params)['keypairs']
            for kp in kps:
                name = kp['keypair']['name']
                if self.ours(name):
                    def delete(n=name, u=uid):
                        with servers_mod.api_version('2.10'):
                            if u:
                                c.keypairs.delete_keypair(n, user_id=u)
                            else:
                                c.keypairs.delete_keypair(n)
                    self._remove('keypair', '%s/%s' % (uid or 'admin', name),
                                 name, delete, None)

    def identities(self):
        c = self.cloud
        users = [u for u in c.users.list_users()['users']
                 if self.id_pattern.match(u.get('name') or '')]
        projects = [p for p in c.projects.list_projects()['projects']
                    if self.id_pattern.match(p.get('name') or '')]
        return users, projects

    def users_and_projects(self, users, projects):
        c = self.cloud
        for u in users:
            self._remove('user', u['id'], u['name'],
                         lambda i=u['id']: c.users.delete_user(i),
                         lambda i=u['id']: c.users.show_user(i))
        for p in projects:
            self._remove('project', p['id'], p['name'],
                         lambda i=p['id']: c.projects.delete_project(i),
                         lambda i=p['id']: c.projects.show_project(i))

    def run(self):
        users, projects = self.identities()
        self.leases()
        self.servers()
        self.enrolled_hosts()
        self.server_groups()
        self.keypairs([u['id'] for u in users])
        self.flavors()
        self.aggregates()
        self.users_and_projects(users, projects)
        return self.found, self.failed


def cmd_cleanup(args):
    from cellv2_conformance.cmd import run as run_cmd
    from cellv2_conformance import inventory as inventory_mod
    from tempest.lib import exceptions as lib_exc
    try:
        cp = run_cmd.read_conf(os.path.abspath(args.tempest_conf))
        protected = []
        if args.inventory:
            inv = inventory_mod.load(args.inventory)
            protected = inv.blazar.get('reservable_hosts') or []
        run_cmd.check_keystone(cp)
        prefix = cp.get('cellv2', 'resource_prefix', fallback='').strip() \
            or naming.DEFAULT_PREFIX
        pattern = identity_pattern(
            prefix, cp.get('DEFAULT', 'resource_name_prefix',
                           fallback='tempest').strip(), our_test_classes())
        cloud = Cloud(cp)
        found, failed = Cleaner(cloud, prefix, pattern, args.dry_run,
                                protected).run()
    except (run_cmd.SetupError, inventory_mod.InventoryError,
            CleanupError) as e:
        print('cellv2-conformance: error: %s' % redact.text(e),
              file=sys.stderr)
        return 2
    except (lib_exc.EndpointNotFound, lib_exc.Unauthorized,
            lib_exc.Forbidden) as e:
        print('cellv2-conformance: error: the admin of tempest.conf cannot '
              'list the resources to clean up: %s' % redact.text(e),
              file=sys.stderr)
        return 2
    _say('%d leftover(s) with prefix %s-: %s' % (
        len(found), prefix, 'listed only (--dry-run)' if args.dry_run
        else '%d could not be removed' % len(failed) if failed
        else 'all removed' if found else 'nothing to do'))
    return 1 if failed else 0


def add_parsers(sub):
    sp = sub.add_parser(
        'cleanup', help='remove what earlier runs left behind',
        description='List and remove the servers, leases, Blazar host '
                    'enrolments, flavors, aggregates, server groups, '
                    'keypairs, users and projects earlier runs of the '
                    'suite left (a killed run never cleans up).  Only '
                    'resources carrying the run prefix ([cellv2] '
                    'resource_prefix) are touched; idempotent.')
    sp.add_argument('--tempest-conf', required=True,
                    help='the tempest.conf the runs used (admin '
                         'credentials, prefix)')
    sp.add_argument('--inventory', help='cells inventory: its reservable '
                    'hosts are never un-enrolled')
    sp.add_argument('--dry-run', action='store_true',
                    help='list what would be removed; change nothing')
    sp.set_defaults(func=cmd_cleanup)
