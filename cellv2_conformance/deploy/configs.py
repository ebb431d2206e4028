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

"""Service configuration files for the local cloud (pure functions).

Every function takes a :class:`Layout` (ports, URLs, paths, passwords) and
returns a config dict for :mod:`render`.  The settings that mattered when this
stack was first started by hand are here on purpose, with the reason next to
each one.
"""

import dataclasses
import os

from cellv2_conformance.deploy import masakari as masakari_mod
from cellv2_conformance.deploy import render

REGION = 'RegionOne'
# pymysql timeouts on every cell DB URL: without them a frozen (SIGSTOPped)
# cell database hangs every server listing forever, because nova only checks
# its 60 s CELL_TIMEOUT between rows.
CELL_DB_TIMEOUTS = 'read_timeout=10&write_timeout=10&connect_timeout=5'
SERVICE_USERS = ('nova', 'placement', 'glance', 'neutron', 'blazar')


@dataclasses.dataclass
class Layout:
    workdir: str
    venv_bin: str
    ports: dict
    passwords: dict
    db_urls: dict          # logical db name -> base URL without query
    transports: dict       # 'api', '<cell>', 'blazar', 'neutron' -> URL
    cells: list            # scenario Cell objects
    blazar_enabled: bool
    blazar_nova_version: str = '2.53'
    masakari_enabled: bool = False

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def url(self, service):
        return 'http://127.0.0.1:%d' % self.ports[service]

    @property
    def auth_url(self):
        return self.url('keystone') + '/v3'

    def cell_db(self, cell_name, timeouts=True):
        u = self.db_urls['nova_' + cell_name]
        return u + ('?' + CELL_DB_TIMEOUTS if timeouts else '')


def _auth(layout, user, section_extra=None):
    sect = {
        'auth_url': layout.auth_url,
        'auth_type': 'password',
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': layout.passwords[user],
    }
    sect.update(section_extra or {})
    return sect


def _authtoken(layout, user):
    return _auth(layout, user, {
        'www_authenticate_uri': layout.auth_url,
        'memcached_servers': '',
        'service_token_roles_required': True,
    })


# Cross-cell moves are off in nova by default ("!"); multi-cell clouds grant
# them to this role only, so within-cell and cross-cell checks share a cloud.
CROSS_CELL_ROLE = 'cellv2_cross_cell'


def cross_cell_policy(layout):
    """nova-api's policy file, or None on a single-cell cloud."""
    if len(layout.cells) < 2:
        return None
    return ('# written by cellv2-conformance deploy\n'
            '"compute:servers:resize:cross_cell": "role:%s"\n' %
            CROSS_CELL_ROLE)


def _policy():
    return {'enforce_scope': False, 'enforce_new_defaults': False}


def _log(layout, name):
    return {'debug': False, 'log_file': layout.path('logs', name + '.log'),
            'use_stderr': False}


def keystone(layout):
    c = render.new()
    render.update(c, {
        'DEFAULT': _log(layout, 'keystone'),
        'database': {'connection': layout.db_urls['keystone']},
        'token': {'provider': 'fernet', 'expiration': 14400},
        'fernet_tokens': {'key_repository': layout.path('keystone',
                                                        'fernet-keys')},
        'fernet_receipts': {'key_repository': layout.path('keystone',
                                                          'fernet-keys')},
        'credential': {'key_repository': layout.path('keystone',
                                                     'credential-keys')},
        # Token validation costs ~1 s and ~450 queries without a cache.  The
        # dict cache is per process, so keystone runs as one uwsgi process.
        'cache': {'enabled': True, 'backend': 'oslo_cache.dict',
                  'expiration_time': 600},
        'oslo_policy': _policy(),
    })
    return c


def placement(layout):
    c = render.new()
    render.update(c, {
        'DEFAULT': _log(layout, 'placement'),
        'placement_database': {'connection': layout.db_urls['placement']},
        'api': {'auth_strategy': 'keystone'},
        'keystone_authtoken': _authtoken(layout, 'placement'),
        'oslo_policy': _policy(),
    })
    return c


def glance(layout):
    c = render.new()
    d = _log(layout, 'glance-api')
    d.update({'enabled_backends': 'fs:file',
              'worker_self_reference_url': layout.url('glance'),
              'image_cache_dir': layout.path('glance', 'cache')})
    render.update(c, {
        'DEFAULT': d,
        'glance_store': {'default_backend': 'fs'},
        'fs': {'filesystem_store_datadir': layout.path('glance', 'images')},
        'os_glance_staging_store': {
            'filesystem_store_datadir': layout.path('glance', 'staging')},
        'os_glance_tasks_store': {
            'filesystem_store_datadir': layout.path('glance', 'tasks')},
        'database': {'connection': layout.db_urls['glance']},
        'paste_deploy': {'flavor': 'keystone', 'config_file': layout.path(
            'etc', 'glance', 'glance-api-paste.ini')},
        'keystone_authtoken': _authtoken(layout, 'glance'),
        'oslo_policy': _policy(),
    })
    return c


def neutron(layout):
    """The neutron API only: ML2 with the flat type driver, no mechanism
    drivers, no agents.  Nova calls it on show, list-detail and delete even
    for servers booted with ``networks: none``.
    """
    c = render.new()
    d = _log(layout, 'neutron-api')
    d.update({
        'core_plugin': 'ml2',
        # An empty list breaks GET /v2.0/ports (Port.port_forwardings).
        'service_plugins': 'router,port_forwarding',
        'auth_strategy': 'keystone',
        'transport_url': layout.transports['neutron'],
        'notify_nova_on_port_status_changes': False,
        'notify_nova_on_port_data_changes': False,
        'api_workers': 1, 'rpc_workers': 0, 'rpc_state_report_workers': 0,
        'api_paste_config': layout.path('etc', 'neutron', 'api-paste.ini'),
    })
    render.update(c, {
        'DEFAULT': d,
        'database': {'connection': layout.db_urls['neutron']},
        'keystone_authtoken': _authtoken(layout, 'neutron'),
        'oslo_concurrency': {'lock_path': layout.path('neutron', 'locks')},
        'oslo_policy': _policy(),
        'oslo_messaging_notifications': {'driver': 'noop'},
    })
    return c


def ml2():
    c = render.new()
    render.update(c, {
        'ml2': {'type_drivers': 'flat', 'tenant_network_types': '',
                'mechanism_drivers': '', 'extension_drivers': 'port_security'},
        'ml2_type_flat': {'flat_networks': '*'},
    })
    return c


def nova_common(layout):
    """Settings shared by every nova process."""
    c = render.new()
    d = {
        'debug': False,
        'use_stderr': False,
        'my_ip': '127.0.0.1',
        'state_path': layout.path('nova', 'state'),
        # Keeps its node identity across restarts (fake.FakeDriver does not).
        'compute_driver': 'fake.FakeDriverWithoutFakeNodes',
        'use_rootwrap_daemon': False,
        'heal_instance_info_cache_interval': -1,
        'instance_usage_audit': False,
    }
    filters = ['ComputeFilter', 'ComputeCapabilitiesFilter',
               'ImagePropertiesFilter', 'ServerGroupAntiAffinityFilter',
               'ServerGroupAffinityFilter']
    available = ['nova.scheduler.filters.all_filters']
    if layout.blazar_enabled:
        filters.insert(0, 'BlazarFilter')
        available.append(
            'blazarnova.scheduler.filters.blazar_filter.BlazarFilter')
    render.update(c, {
        'DEFAULT': d,
        'api': {'auth_strategy': 'keystone'},
        'wsgi': {'api_paste_config': layout.path('etc', 'nova',
                                                 'api-paste.ini')},
        'keystone_authtoken': _authtoken(layout, 'nova'),
        'placement': _auth(layout, 'placement', {
            'region_name': REGION, 'valid_interfaces': 'public'}),
        'glance': _auth(layout, 'glance', {
            'region_name': REGION, 'valid_interfaces': 'public'}),
        'neutron': _auth(layout, 'neutron', {'region_name': REGION}),
        # Required since nova 2023.1 (`nova-status upgrade check` fails
        # without it): nova's calls to other services carry its token.
        'service_user': _auth(layout, 'nova',
                              {'send_service_user_token': True}),
        'oslo_concurrency': {'lock_path': layout.path('nova', 'locks')},
        'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 0},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'notifications': {'notification_format': 'unversioned'},
        'scheduler': {'discover_hosts_in_cells_interval': -1, 'workers': 1},
        'conductor': {'workers': 1},
        'filter_scheduler': {'available_filters': available,
                             'enabled_filters': ','.join(filters)},
        # Quotas would otherwise stop a suite at 10 instances.
        'quota': {'instances': -1, 'cores': -1, 'ram': -1,
                  'server_groups': -1, 'server_group_members': -1},
        # Cell conductors and computes have no API DB: the late server-group
        # policy check is an up-call that fails in a real multi-cell cloud.
        'workarounds': {'disable_group_policy_check_upcall': True},
        # Blazar removes its child resource provider when a host leaves;
        # a compute must refresh its provider cache soon after.
        'compute': {'resource_provider_association_refresh': 60},
        'vnc': {'enabled': False},
        'oslo_policy': _policy(),
    })
    if layout.blazar_enabled:
        render.update(c, {'blazar:physical:host': {
            'aggregate_freepool_name': 'freepool'}})
    if layout.masakari_enabled:
        render.update(c, masakari_mod.nova_settings())
    return c


def nova_top(layout):
    """nova-api, super-conductor, scheduler and nova-manage."""
    c = render.new()
    render.update(c, {
        'DEFAULT': {'transport_url': layout.transports['api']},
        'api_database': {'connection': layout.db_urls['nova_api']},
        'database': {'connection': layout.db_urls['nova_cell0']},
    })
    if cross_cell_policy(layout):
        render.update(c, {'oslo_policy': {'policy_file': layout.path(
            'etc', 'nova', 'policy.yaml')}})
    return c


def nova_cell(layout, cell):
    """A cell conductor: its cell's DB and MQ and no API database."""
    c = render.new()
    render.update(c, {
        'DEFAULT': {'transport_url': layout.transports[cell.name],
                    'host': '%s-conductor' % cell.name},
        'database': {'connection': layout.cell_db(cell.name)},
    })
    return c


def nova_compute(layout, cell, host):
    c = render.new()
    render.update(c, {
        'DEFAULT': {'host': host,
                    'state_path': layout.path('nova', 'state-' + host),
                    'transport_url': layout.transports[cell.name]},
    })
    return c


def blazar(layout):
    c = render.new()
    render.update(c, {
        'DEFAULT': dict(_log(layout, 'blazar'), **{
            'host': '127.0.0.1',
            'transport_url': layout.transports['blazar'],
            'os_auth_protocol': 'http',
            'os_auth_host': '127.0.0.1',
            'os_auth_port': layout.ports['keystone'],
            'os_auth_prefix': '',
            'os_auth_version': 'v3',
            'os_admin_username': 'blazar',
            'os_admin_password': layout.passwords['blazar'],
            'os_admin_project_name': 'service',
            'os_admin_user_domain_name': 'Default',
            'os_admin_project_domain_name': 'Default',
            'os_region_name': REGION,
            'identity_service': 'identity',
        }),
        'database': {'connection': layout.db_urls['blazar']},
        'keystone_authtoken': _auth(layout, 'blazar', {
            'www_authenticate_uri': layout.auth_url,
            'memcached_servers': ''}),
        'manager': {'plugins': 'physical.host.plugin,virtual.instance.plugin,'
                               'flavor.instance.plugin',
                    # no before-end event inside minute-long test leases
                    'minutes_before_end_lease': 0},
        'nova': {'aggregate_freepool_name': 'freepool',
                 # At the default ("2") hypervisor ids are per-cell integers
                 # and Blazar enrols the wrong host on a multi-cell cloud.
                 'nova_client_version': layout.blazar_nova_version,
                 'endpoint_type': 'public'},
        'placement': {'endpoint_type': 'public'},
        'keystone': {'endpoint_type': 'public'},
        'physical:host': {'enable_polling_monitor': False,
                          'enable_notification_monitor': False},
        'oslo_messaging_notifications': {'driver': 'noop'},
        'oslo_policy': _policy(),
    })
    if layout.masakari_enabled:
        render.update(c, masakari_mod.blazar_settings())
    return c


def masakari(layout):
    return masakari_mod.config(layout, _auth, _authtoken, _log)


def catalog(layout):
    """(service type, name, endpoint URL) for every API in the catalog."""
    out = [('identity', 'keystone', layout.auth_url),
           ('compute', 'nova', layout.url('nova-api') + '/v2.1'),
           ('placement', 'placement', layout.url('placement')),
           ('image', 'glance', layout.url('glance')),
           ('network', 'neutron', layout.url('neutron'))]
    if layout.blazar_enabled:
        out.append(('reservation', 'blazar', layout.url('blazar-api') +
                    '/v1'))
    if layout.masakari_enabled:
        out += masakari_mod.catalog(layout)
    return out
