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

"""Register service users, roles, services and endpoints in keystone
(REST through a keystoneauth1 session)."""

import time

from cellv2_conformance.common import keystone
from cellv2_conformance.deploy.process import DeployError


class Keystone:
    """Admin access to keystone's v3 API: ``req`` with an expected status,
    ``find`` and ``ensure`` (create unless a resource of that name
    exists).
    """

    def __init__(self, auth_url, username, password, project='admin'):
        self.auth_url = auth_url
        self.session = keystone.password_session(auth_url, username,
                                                 password, project)
        try:
            self.session.get_token()
        except keystone.Unreachable as e:
            raise DeployError('keystone: %s is unreachable (%s)' % (
                auth_url, keystone.describe(e)))
        except keystone.HttpError as e:
            raise DeployError('keystone: cannot get an admin token at %s '
                              '(%s)' % (auth_url, keystone.describe(e)))

    @property
    def token(self):
        """The current admin token (renewed by keystoneauth1 when it
        expires).
        """
        return self.session.get_token()

    def req(self, method, path, expect=(200, 201, 204), secret=False,
            **kw):
        """``secret``: the body carries a password; keystoneauth1 must not
        log it (it logs request bodies at debug level).
        """
        url = path if path.startswith('http') else self.auth_url + path
        r = self.session.request(url, method, raise_exc=False, log=not secret,
                                 **kw)
        if r.status_code not in expect:
            raise DeployError('keystone: %s %s -> HTTP %d: %s' % (
                method, path, r.status_code, r.text[:300]))
        return r.json() if r.content else {}

    def find(self, kind, name, key=None, **params):
        key = key or kind
        params['name'] = name
        items = self.req('GET', '/%s' % kind, params=params)[key]
        return items[0] if items else None

    def ensure(self, kind, body_key, name, body):
        found = self.find(kind, name)
        if found:
            return found
        return self.req('POST', '/%s' % kind, json={body_key: body},
                        secret='password' in body)[body_key]


def register(auth_url, admin_password, passwords, catalog, region,
             extra_roles=()):
    t0 = time.monotonic()
    ks = Keystone(auth_url, 'admin', admin_password)
    domain = 'default'
    service_project = ks.ensure('projects', 'project', 'service', {
        'name': 'service', 'domain_id': domain,
        'description': 'cellv2-conformance service users'})
    roles = {}
    for role in ('admin', 'member', 'reader', 'service') + tuple(extra_roles):
        roles[role] = ks.ensure('roles', 'role', role, {'name': role})
    for user, pw in passwords.items():
        if user == 'admin':
            continue
        u = ks.ensure('users', 'user', user, {
            'name': user, 'password': pw, 'domain_id': domain,
            'default_project_id': service_project['id']})
        for role in ('admin', 'service'):
            ks.req('PUT', '/projects/%s/users/%s/roles/%s' % (
                service_project['id'], u['id'], roles[role]['id']))
    for stype, name, url in catalog:
        svc = None
        for s in ks.req('GET', '/services', params={'type': stype})[
                'services']:
            svc = s
        if svc is None:
            svc = ks.req('POST', '/services', json={'service': {
                'type': stype, 'name': name, 'enabled': True}})['service']
        have = {e['interface'] for e in ks.req(
            'GET', '/endpoints', params={'service_id': svc['id']})[
                'endpoints']}
        for iface in ('public', 'internal', 'admin'):
            if iface not in have:
                ks.req('POST', '/endpoints', json={'endpoint': {
                    'service_id': svc['id'], 'interface': iface, 'url': url,
                    'region_id': region, 'enabled': True}})
    return time.monotonic() - t0
