"""Register service users, roles, services and endpoints in keystone (REST)."""

import time

import requests

from cellv2_conformance.deploy.process import DeployError


class Keystone:
    def __init__(self, auth_url, username, password, project='admin'):
        self.auth_url = auth_url
        self.s = requests.Session()
        self.token = None
        self._auth(username, password, project)

    def _auth(self, username, password, project):
        body = {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': username, 'domain': {'name': 'Default'},
                'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'name': 'Default'}}}}}
        r = self.s.post(self.auth_url + '/auth/tokens', json=body, timeout=30)
        if r.status_code != 201:
            raise DeployError('keystone: cannot get an admin token at %s '
                              '(HTTP %d)' % (self.auth_url, r.status_code))
        self.token = r.headers['X-Subject-Token']
        self.s.headers['X-Auth-Token'] = self.token
        self.catalog = r.json()['token'].get('catalog', [])

    def req(self, method, path, expect=(200, 201, 204), **kw):
        url = path if path.startswith('http') else self.auth_url + path
        r = self.s.request(method, url, timeout=30, **kw)
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
        return self.req('POST', '/%s' % kind, json={body_key: body})[body_key]


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


def token_for(auth_url, username, password, project):
    return Keystone(auth_url, username, password, project)
