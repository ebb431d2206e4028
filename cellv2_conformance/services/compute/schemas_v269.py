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

"""JSON schemas for compute API 2.69 down-cell ("minimal") server records.

Tempest's server schemas (2.63 family, used up to 2.69) require ``name``
and forbid extra keys, so they reject the records nova documents for
servers in a cell it cannot reach.  These schemas describe exactly what the
API reference promises at 2.69 (api-ref "servers", microversion 2.69, and
nova/api/openstack/compute/views/servers.py):

* ``GET /servers``          minimal: id, status UNKNOWN, links
* ``GET /servers/detail``   minimal: id, status UNKNOWN, tenant_id, created,
                            links
* ``GET /servers/{id}``     minimal: the detail keys plus image, flavor,
                            OS-EXT-AZ:availability_zone, OS-EXT-STS:
                            power_state, user_id (and server_groups >= 2.71)

Minimal records have ``additionalProperties: False`` on purpose: a field
that appears without being documented is a deviation the check reports.
Records of reachable cells are only checked for their basic shape here
(tempest's own schemas cover them at other microversions).
"""

import copy

_links = {
    'type': 'array',
    'items': {
        'type': 'object',
        'properties': {'href': {'type': 'string'},
                       'rel': {'type': 'string'}},
        'required': ['href', 'rel'],
    },
}

_unknown = {'type': 'string', 'enum': ['UNKNOWN']}
_uuid = {'type': 'string', 'format': 'uuid'}

minimal_index = {
    'type': 'object',
    'properties': {'id': _uuid, 'status': _unknown, 'links': _links},
    'required': ['id', 'status', 'links'],
    'additionalProperties': False,
}

minimal_detail = {
    'type': 'object',
    'properties': {
        'id': _uuid, 'status': _unknown, 'links': _links,
        'tenant_id': {'type': 'string'},
        'created': {'type': 'string', 'format': 'date-time'},
    },
    'required': ['id', 'status', 'tenant_id', 'created', 'links'],
    'additionalProperties': False,
}

minimal_show = copy.deepcopy(minimal_detail)
minimal_show['properties'].update({
    'image': {'oneOf': [
        {'type': 'object',
         'properties': {'id': {'type': 'string'}, 'links': _links},
         'required': ['id', 'links']},
        {'type': 'string', 'enum': ['']}]},
    'flavor': {'type': 'object',
               'properties': {'original_name': {'type': 'string'},
                              'ram': {'type': 'integer'},
                              'vcpus': {'type': 'integer'},
                              'disk': {'type': 'integer'}},
               'required': ['original_name', 'ram', 'vcpus', 'disk']},
    'OS-EXT-AZ:availability_zone': {'type': 'string'},
    'OS-EXT-STS:power_state': {'type': 'integer'},
    'user_id': {'type': 'string'},
    'server_groups': {'type': 'array', 'items': {'type': 'string'}},
})
minimal_show['required'] = minimal_detail['required'] + [
    'image', 'flavor', 'OS-EXT-AZ:availability_zone',
    'OS-EXT-STS:power_state', 'user_id']

# A record of a reachable cell: basic shape only.
full_index = {
    'type': 'object',
    'properties': {'id': _uuid, 'name': {'type': 'string'},
                   'links': _links},
    'required': ['id', 'name', 'links'],
}
full_detail = {
    'type': 'object',
    'properties': {'id': _uuid, 'name': {'type': 'string'},
                   'status': {'type': 'string',
                              'not': {'enum': ['UNKNOWN']}},
                   'tenant_id': {'type': 'string'},
                   'user_id': {'type': 'string'},
                   'flavor': {'type': 'object'}, 'links': _links},
    'required': ['id', 'name', 'status', 'tenant_id', 'user_id', 'flavor',
                 'links'],
}


def _list(item_full, item_min):
    return {
        'type': 'object',
        'properties': {
            'servers': {'type': 'array', 'items': {
                'oneOf': [item_full, item_min]}},
            'servers_links': _links,
        },
        'required': ['servers'],
        'additionalProperties': False,
    }


list_servers = _list(full_index, minimal_index)
list_servers_detail = _list(full_detail, minimal_detail)
show_server_minimal = {
    'type': 'object',
    'properties': {'server': minimal_show},
    'required': ['server'],
    'additionalProperties': False,
}

# GET /os-services at 2.69: services of a down cell are
# {binary, host, status: UNKNOWN}.
minimal_service = {
    'type': 'object',
    'properties': {'binary': {'type': 'string'},
                   'host': {'type': 'string'}, 'status': _unknown},
    'required': ['binary', 'host', 'status'],
    'additionalProperties': False,
}


def is_minimal(record):
    """A down-cell record (what the schemas above call minimal)."""
    return record.get('status') == 'UNKNOWN' and 'name' not in record
