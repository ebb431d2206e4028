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

"""Write what a deployment hands to everything else: the cells inventory,
tempest.conf, clouds.yaml and a timings file.  All files holding secrets are
mode 0600."""

import json
import os
import sys
import urllib.parse

import yaml

from cellv2_conformance.deploy import configs
from cellv2_conformance.deploy import masakari
from cellv2_conformance.deploy import process

INVENTORY = 'cells-inventory.yaml'


def _swap_user(url, user, password):
    u = urllib.parse.urlsplit(url)
    host = u.hostname + (':%d' % u.port if u.port else '')
    return urllib.parse.urlunsplit((u.scheme, '%s:%s@%s' % (
        user, password, host), u.path, u.query, u.fragment))


def inventory(d):
    L, sc = d.L, d.scenario
    procs = d.state.processes

    def svc(name):
        r = procs.get(name)
        if not r:
            return None
        out = {'pid': r['pid'], 'log': r['log'], 'process': name}
        for k in ('port', 'url', 'host'):
            if k in r:
                out[k] = r[k]
        return out

    nova_manage = [os.path.join(d.bin, 'nova-manage')]
    for f in d.nova_conf_files('nova.conf'):
        nova_manage += ['--config-file', f]
    cells = []
    for cell in sc.cells:
        host, port = d.db_servers.get(cell.name, d.db_servers['main'])
        db_proc = 'mariadb-%s' % (cell.name if cell.name in d.mariadbs
                                  else 'main')
        mq_node = cell.name if cell.name in d.rabbits else 'main'
        node = d.rabbits.get(mq_node)
        entry = {
            'name': cell.name,
            'uuid': d.cell_uuids[cell.name],
            'disabled': cell.disabled,
            'database': L.cell_db(cell.name),
            'readonly_database': _swap_user(L.cell_db(cell.name),
                                            d.ro_user, d.ro_password),
            'transport': L.transports[cell.name],
            'hosts': list(cell.hosts),
            'reservable_hosts': list(cell.reservable_hosts)
            if sc.blazar_enabled else [],
            'db_server': {'host': host, 'port': port,
                          'process': db_proc if db_proc in procs else None,
                          'dedicated': cell.name in d.mariadbs},
            'mq': {'vhost': d.vhost_prefix + 'nova_' + cell.name,
                   'node': mq_node,
                   'process': 'rabbitmq-%s' % mq_node
                   if 'rabbitmq-%s' % mq_node in procs else None,
                   'management_url': node.management_url if node else None},
            'services': {
                'conductor': svc('nova-conductor-%s' % cell.name),
                'computes': {h: svc('nova-compute-%s' % h)
                             for h in cell.hosts},
            },
            'config': {
                'conductor': L.path('etc', 'nova', 'nova-%s.conf' %
                                    cell.name),
            },
        }
        cells.append(entry)
    main_node = d.rabbits.get('main')
    inv = {
        'version': 1,
        'source': 'cellv2-conformance deploy',
        'name': sc.name,
        'workdir': d.workdir,
        'region': configs.REGION,
        'auth': {'auth_url': L.auth_url, 'username': 'admin',
                 'password': L.passwords['admin'], 'project_name': 'admin',
                 'user_domain_name': 'Default',
                 'project_domain_name': 'Default'},
        'api': {
            'database': L.db_urls['nova_api'],
            'readonly_database': _swap_user(L.db_urls['nova_api'],
                                            d.ro_user, d.ro_password),
            'transport': L.transports['api'],
            'nova_manage': nova_manage,
        },
        'cell0': {'uuid': d.cell0_uuid,
                  'database': L.db_urls['nova_cell0'],
                  'readonly_database': _swap_user(
                      L.db_urls['nova_cell0'], d.ro_user, d.ro_password)},
        'cells': cells,
        'mq': {'management_url': main_node.management_url
               if main_node else None,
               'user': d.mq_user, 'password': d.mq_password,
               'vhosts': {'api': d.vhost_prefix + 'nova_api'}},
        'services': {n: svc(n) for n in sorted(procs)},
        # Read by the consistency audit (SELECT only).
        'placement': {'readonly_database': _swap_user(
            L.db_urls['placement'], d.ro_user, d.ro_password)},
        'blazar': {'enabled': sc.blazar_enabled, 'freepool': 'freepool',
                   'reservable_hosts': list(sc.reservable_hosts),
                   'nova_client_version': sc.blazar.get(
                       'nova_client_version'),
                   'readonly_database': _swap_user(
                       L.db_urls['blazar'], d.ro_user, d.ro_password)
                   if sc.blazar_enabled else None},
        'masakari': masakari.inventory(d),
        'image_id': getattr(d, 'image_id', None),
        'flavors': ['c1', 'c2'],
        'faults_journal': L.path('faults.jsonl'),
    }
    return inv


def tempest_conf(d, inv_path):
    L, sc = d.L, d.scenario
    lines = {
        'DEFAULT': {'log_file': L.path('tempest', 'logs', 'tempest.log'),
                    'use_stderr': False,
                    # dynamic credentials' projects/users carry it too
                    'resource_name_prefix': 'cellv2'},
        'oslo_concurrency': {'lock_path': L.path('tempest', 'lock')},
        'auth': {'admin_username': 'admin',
                 'admin_password': L.passwords['admin'],
                 'admin_project_name': 'admin',
                 'admin_domain_name': 'Default',
                 'use_dynamic_credentials': True,
                 'create_isolated_networks': False,
                 'tempest_roles': 'member'},
        'identity': {'uri_v3': L.auth_url, 'auth_version': 'v3',
                     'region': configs.REGION,
                     'v3_endpoint_type': 'public'},
        'identity-feature-enabled': {'api_v2': False},
        'compute': {'image_ref': d.image_id, 'image_ref_alt': d.image_id,
                    'flavor_ref': 'c1', 'flavor_ref_alt': 'c2',
                    'min_microversion': '2.1', 'max_microversion': 'latest',
                    'build_timeout': 120, 'build_interval': 1,
                    'region': configs.REGION, 'fixed_network_name': '',
                    'min_compute_nodes': len(sc.all_hosts)},
        'compute-feature-enabled': {
            'console_output': False, 'resize': True,
            'live_migration': False, 'vnc_console': False,
            'spice_console': False, 'serial_console': False,
            'interface_attach': False, 'snapshot': False,
            'change_password': False, 'shelve': False, 'suspend': True,
            'pause': True, 'rescue': False, 'cold_migration': True},
        'service_available': {'nova': True, 'glance': True, 'neutron': True,
                              'cinder': False, 'swift': False,
                              'placement': True,
                              'blazar': sc.blazar_enabled,
                              'masakari': masakari.enabled(sc)},
        'network': {'public_network_id': ''},
        'validation': {'run_validation': False},
        'image': {'region': configs.REGION},
        'placement': {'region': configs.REGION},
        'cellv2': {'inventory': inv_path,
                   'expected_cells': len(sc.cells),
                   'whitebox_db': True,
                   'whitebox_mq': bool(d.rabbits.get('main')),
                   'nova_manage': True,
                   'cross_cell_resize': bool(configs.cross_cell_policy(L)),
                   'cross_cell_resize_role': configs.CROSS_CELL_ROLE if
                   configs.cross_cell_policy(L) else '',
                   'fault_injection': bool(d.mariadbs),
                   # a disposable cloud: every opt-in granted
                   'enrol_hosts': ','.join(
                       h for h in sc.all_hosts
                       if h not in sc.reservable_hosts),
                   'lease_enrolled_hosts': sc.blazar_enabled,
                   'discover_hosts': True,
                   'resource_prefix': 'cellv2',
                   'timings_file': L.path('tempest', 'timings.jsonl')},
        'reservation': {'region': configs.REGION,
                        'endpoint_type': 'public',
                        'lease_interval': 2, 'lease_timeout': 300,
                        'flavor_instance': sc.blazar_enabled},
        'instance_ha': {'region': configs.REGION,
                        'endpoint_type': 'public'},
    }
    out = ['# written by cellv2-conformance deploy (scenario %s)' % sc.name]
    for sect, opts in lines.items():
        out.append('[%s]' % sect)
        for k, v in opts.items():
            if isinstance(v, bool):
                v = 'true' if v else 'false'
            out.append('%s = %s' % (k, '' if v is None else v))
        out.append('')
    return '\n'.join(out) + '\n'


def write_tempest_workspace(d, inv_path):
    ws = d.L.path('tempest')
    for sub in ('etc', 'logs', 'lock'):
        os.makedirs(os.path.join(ws, sub), exist_ok=True)
    conf = os.path.join(ws, 'etc', 'tempest.conf')
    process.write_private(conf, tempest_conf(d, inv_path))
    import tempest
    tempest_dir = os.path.dirname(os.path.abspath(tempest.__file__))
    with open(os.path.join(ws, '.stestr.conf'), 'w') as f:
        f.write('[DEFAULT]\ntest_path=%s/test_discover\ntop_dir=%s\n'
                'group_regex=([^\\.]*\\.)*\n' % (
                    tempest_dir, os.path.dirname(tempest_dir)))
    return conf


def clouds_yaml(d):
    L = d.L
    return yaml.safe_dump({'clouds': {'cellv2-conformance': {
        'auth': {'auth_url': L.auth_url, 'username': 'admin',
                 'password': L.passwords['admin'], 'project_name': 'admin',
                 'user_domain_name': 'Default',
                 'project_domain_name': 'Default'},
        'region_name': configs.REGION, 'identity_api_version': 3}}},
        default_flow_style=False)


def write_all(d, total):
    inv_path = os.path.join(d.workdir, INVENTORY)
    process.write_private(inv_path, yaml.safe_dump(
        inventory(d), default_flow_style=False, sort_keys=False))
    conf = write_tempest_workspace(d, inv_path)
    process.write_private(os.path.join(d.workdir, 'clouds.yaml'),
                          clouds_yaml(d))
    with open(os.path.join(d.workdir, 'deploy-timings.json'), 'w') as f:
        json.dump({'scenario': d.scenario.name, 'total_s': round(total, 2),
                   'schema_cache_hits': sorted(set(d.cache_hits)),
                   'steps': d.timings, 'python': sys.version.split()[0]},
                  f, indent=1, sort_keys=True)
    d.state.set('inventory', inv_path)
    d.state.set('tempest_conf', conf)
    return inv_path
