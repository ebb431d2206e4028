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

"""Registration of the plugin's service clients with tempest.

Clients are thin, CONF-free tempest.lib RestClients.  Tempest builds them
through ``get_service_clients()``; the CLI builds the very same classes from
explicit credentials with ``tempest.lib.services.clients.ServiceClients``.
"""


def service_clients_config():
    from tempest import config
    conf = config.CONF
    params = config.service_client_config('reservation')
    params.update({
        'name': 'reservation_v1',
        'service_version': 'reservation.v1',
        'module_path': 'cellv2_conformance.services.reservation.v1',
        'client_names': ['LeasesClient', 'HostsClient'],
    })
    params['service'] = conf.reservation.catalog_type
    params['endpoint_type'] = conf.reservation.endpoint_type
    params['region'] = conf.reservation.region or conf.identity.region
    ha = config.service_client_config('instance_ha')
    ha.update({
        'name': 'instance_ha_v1',
        'service_version': 'instance_ha.v1',
        'module_path': 'cellv2_conformance.services.instance_ha.v1',
        'client_names': ['SegmentsClient', 'SegmentHostsClient',
                         'NotificationsClient'],
        'service': conf.instance_ha.catalog_type,
        'endpoint_type': conf.instance_ha.endpoint_type,
        'region': conf.instance_ha.region or conf.identity.region,
    })
    return [params, ha]
