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

"""Placement through its REST API, for clouds whose inventory names no
placement database: the admin credentials of a tempest.conf, GET only, a
few requests per resource provider (never per instance).

Returns the same shape as the placement part of a snapshot; consumers'
owners are not listed by the API per provider, so the owner comparison is
left out (``consumers`` is empty).
"""

import collections

from keystoneauth1 import exceptions as ks_exceptions

from cellv2_conformance.common import keystone

MICROVERSION = 'placement 1.14'     # root/parent provider uuids


class PlacementAPIError(RuntimeError):
    pass


def _session(cp, timeout):
    uri = cp.get('identity', 'uri_v3', fallback='').rstrip('/')
    user = cp.get('auth', 'admin_username', fallback='')
    password = cp.get('auth', 'admin_password', fallback='')
    if not (uri and user and password):
        raise PlacementAPIError('tempest.conf has no [identity] uri_v3 or '
                                '[auth] admin credentials for placement')
    domain = cp.get('auth', 'admin_domain_name', fallback='') or 'Default'
    project = cp.get('auth', 'admin_project_name', fallback='') or 'admin'
    session = keystone.password_session(
        uri, user, password, project, user_domain_name=domain,
        project_domain_name=domain, verify=keystone.tempest_verify(cp),
        timeout=timeout)
    try:
        url = session.get_endpoint(service_type='placement',
                                   interface='public')
    except ks_exceptions.ClientException as e:
        raise PlacementAPIError('keystone at %s: %s' % (
            uri, keystone.describe(e)))
    if not url:
        raise PlacementAPIError('keystone\'s catalog has no placement '
                                'endpoint')
    return session, url.rstrip('/')


def read(cp, timeout=30):
    session, url = _session(cp, timeout)
    headers = {'OpenStack-API-Version': MICROVERSION}

    def get(path):
        try:
            r = session.get(url + path, headers=headers, raise_exc=False)
        except ks_exceptions.ClientException as e:
            raise PlacementAPIError('placement at %s: %s' % (
                url, keystone.describe(e)))
        if r.status_code != 200:
            raise PlacementAPIError('GET %s%s -> HTTP %d' % (
                url, path, r.status_code))
        return r.json()

    Provider = collections.namedtuple('Providers', 'id uuid name '
                                      'root_provider_id parent_provider_id')
    Klass = collections.namedtuple('Classes', 'id name')
    Alloc = collections.namedtuple('Allocations', 'consumer_id '
                                   'resource_provider_id resource_class_id '
                                   'used')
    InvClass = collections.namedtuple('InventoryClasses',
                                      'resource_provider_id '
                                      'resource_class_id')
    Agg = collections.namedtuple('ProviderAggregates',
                                 'resource_provider_id uuid')
    rps = get('/resource_providers')['resource_providers']
    ids = {rp['uuid']: i + 1 for i, rp in enumerate(rps)}
    classes = [c['name'] for c in get('/resource_classes')[
        'resource_classes']]
    cid = {name: i for i, name in enumerate(classes)}
    out = {'version': None, 'consumers': [],
           'classes': [Klass(i, n) for n, i in cid.items()],
           'providers': [Provider(ids[rp['uuid']], rp['uuid'], rp['name'],
                                  ids.get(rp.get('root_provider_uuid')),
                                  ids.get(rp.get('parent_provider_uuid')))
                         for rp in rps],
           'allocations': [], 'inventory_classes': [],
           'provider_aggregates': []}
    for rp in rps:
        pid = ids[rp['uuid']]
        allocs = get('/resource_providers/%s/allocations' % rp['uuid'])
        for consumer, a in allocs['allocations'].items():
            for rc, used in a['resources'].items():
                out['allocations'].append(Alloc(consumer, pid,
                                                cid.get(rc, -1), used))
        inv = get('/resource_providers/%s/inventories' % rp['uuid'])
        for rc in inv['inventories']:
            out['inventory_classes'].append(InvClass(pid, cid.get(rc, -1)))
        for agg in get('/resource_providers/%s/aggregates' % rp['uuid'])[
                'aggregates']:
            out['provider_aggregates'].append(Agg(pid, agg))
    return out
