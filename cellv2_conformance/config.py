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

"""Tempest configuration options of the plugin: ONE list feeds
``register_opts``, ``get_opt_lists`` and the ``oslo.config.opts`` entry point.
"""

from oslo_config import cfg

service_available_group = cfg.OptGroup(
    name='service_available', title='Available OpenStack Services')

# blazar-tempest-plugin registers the same option.  oslo.config accepts a
# second registration only when it is *identical* (Opt.__eq__ compares
# every attribute, help text included) and raises DuplicateOptError
# otherwise; so this definition is byte for byte blazar-tempest-plugin's
# (blazar_tempest_plugin/config.py, unchanged since 2018), and both
# plugins load in either order.  tests/unit/test_plugin.py pins it.
ServiceAvailableGroup = [
    cfg.BoolOpt("blazar",
                default=True,
                help="Whether or not blazar is expected to be available"),
    cfg.BoolOpt('masakari', default=False,
                help='Whether Masakari (instance HA, catalog type '
                     'instance-ha) is expected to be available.'),
]

cellv2_group = cfg.OptGroup(
    name='cellv2', title='Nova Cells v2 conformance options')

CellV2Group = [
    cfg.StrOpt('inventory',
               help='Path of the cells inventory file (YAML): per cell its '
                    'name, uuid, database and transport URLs and hosts. '
                    'Written by `cellv2-conformance deploy`; for an existing '
                    'cloud see doc/source/inventory.rst.'),
    cfg.IntOpt('expected_cells', default=1, min=1,
               help='Number of cells (not counting cell0) the cloud should '
                    'have. Checks needing two cells skip when this is 1.'),
    cfg.BoolOpt('whitebox_db', default=False,
                help='Whether the checks may read (SELECT only) the API and '
                     'cell databases named in the inventory.'),
    cfg.BoolOpt('whitebox_mq', default=False,
                help='Whether the checks may read the RabbitMQ management '
                     'API of the cells\' message queues.'),
    cfg.BoolOpt('nova_manage', default=False,
                help='Whether `nova-manage` can be run with the command '
                     'prefix in the inventory (api.nova_manage).'),
    cfg.BoolOpt('cross_cell_resize', default=False,
                help='Whether the policy compute:servers:resize:cross_cell '
                     'allows cross-cell moves in this cloud (to the admin '
                     'unless cross_cell_resize_role is set).'),
    cfg.StrOpt('cross_cell_resize_role', default='',
               help='A role the cross-cell resize policy grants (e.g. the '
                    'rule "role:<this>"). When set, the cross-cell checks '
                    'act as an admin holding it and the within-cell checks '
                    'as an admin without it, so both run on one cloud.'),
    cfg.BoolOpt('fault_injection', default=False,
                help='Whether serial checks may inject faults (stop a cell '
                     'database, a conductor) through the inventory\'s '
                     'recorded processes. Only for disposable clouds.'),
    # Opt-ins for checks that change shared state (off by default: an
    # existing cloud is not ours to change).
    cfg.ListOpt('enrol_hosts', default=[],
                help='Compute hosts the suite may enrol into Blazar and '
                     'remove again (each must be an ordinary, empty '
                     'compute when the run starts). Empty: the checks that '
                     'enrol a host skip.'),
    cfg.BoolOpt('lease_enrolled_hosts', default=False,
                help='Whether checks may reserve every host enrolled in '
                     'Blazar at once for a few minutes (other users\' host '
                     'reservations fail meanwhile).'),
    cfg.BoolOpt('discover_hosts', default=False,
                help='Whether checks may run `nova-manage cell_v2 '
                     'discover_hosts` (it maps any unmapped compute: a '
                     'write to the API database). Needs nova_manage.'),
    cfg.StrOpt('resource_prefix', default='cellv2',
               help='Prefix of the names of every resource the suite '
                    'creates (servers, leases, flavors, keypairs, ...); '
                    '`cellv2-conformance cleanup` removes only resources '
                    'carrying it.'),
    cfg.StrOpt('timings_file',
               help='JSON-lines file the checks append per-operation, '
                    'per-cell timings to (the CLI reads it for reports).'),
    cfg.BoolOpt('strict_findings', default=False,
                help='Whether a known finding that no longer reproduces '
                     '(the cloud now behaves as documented) fails the '
                     'check. Off: it is reported with its own status '
                     '("finding no longer reproduced") and the run passes.'),
    cfg.FloatOpt('build_interval', default=0.5,
                 help='Seconds between polls while waiting for a server.'),
    cfg.IntOpt('build_timeout', default=120,
               help='Seconds to wait for a server to reach a status.'),
]

reservation_group = cfg.OptGroup(
    name='reservation', title='Blazar reservation service options')

ReservationGroup = [
    cfg.StrOpt('catalog_type', default='reservation',
               help='Catalog type of the reservation service.'),
    cfg.StrOpt('endpoint_type', default='public',
               choices=['public', 'admin', 'internal', 'publicURL',
                        'adminURL', 'internalURL'],
               help='Endpoint type of the reservation service.'),
    cfg.StrOpt('region', default='',
               help='Region of the reservation service (default: '
                    '[identity] region).'),
    cfg.FloatOpt('lease_interval', default=2.0,
                 help='Seconds between polls of a lease\'s status.'),
    cfg.IntOpt('lease_timeout', default=300,
               help='Seconds to wait for a lease to reach a status.'),
    cfg.BoolOpt('flavor_instance', default=False,
                help='Whether Blazar\'s flavor:instance plugin '
                     '(flavor.instance.plugin) is enabled.'),
    cfg.StrOpt('freepool', default='freepool',
               help='Name of Blazar\'s free pool aggregate.'),
]

instance_ha_group = cfg.OptGroup(
    name='instance_ha', title='Masakari instance HA service options')

InstanceHAGroup = [
    cfg.StrOpt('catalog_type', default='instance-ha',
               help='Catalog type of the instance HA (Masakari) service.'),
    cfg.StrOpt('endpoint_type', default='public',
               choices=['public', 'admin', 'internal', 'publicURL',
                        'adminURL', 'internalURL'],
               help='Endpoint type of the instance HA service.'),
    cfg.StrOpt('region', default='',
               help='Region of the instance HA service (default: '
                    '[identity] region).'),
    cfg.IntOpt('recovery_timeout', default=300,
               help='Seconds to wait for a host-failure notification to '
                    'reach a final status (finished, failed, ignored).'),
    cfg.IntOpt('host_down_timeout', default=120,
               help='Seconds to wait for nova to report a stopped '
                    'compute service down (service_down_time plus a '
                    'margin).'),
]

# The single source of truth.
_OPTS = [
    (service_available_group, ServiceAvailableGroup),
    (cellv2_group, CellV2Group),
    (reservation_group, ReservationGroup),
    (instance_ha_group, InstanceHAGroup),
]


def register_opts(conf):
    from tempest import config as tempest_config
    for group, opts in _OPTS:
        if group.name == 'service_available':
            # Another plugin (blazar-tempest-plugin) may have registered
            # [service_available] blazar first, possibly with another
            # definition: then its option serves us too.
            opts = [o for o in opts if not _registered(conf, group, o)]
            tempest_config.register_opt_group(
                conf, tempest_config.service_available_group, opts)
        else:
            tempest_config.register_opt_group(conf, group, opts)


def _registered(conf, group, opt):
    try:
        return opt.dest in conf[group.name]
    except (cfg.NoSuchOptError, KeyError):
        return False


def get_opt_lists():
    return [(group.name, opts) for group, opts in _OPTS]


def list_opts():
    """oslo.config.opts entry point (sample config, docs)."""
    return [(group, opts) for group, opts in _OPTS]
