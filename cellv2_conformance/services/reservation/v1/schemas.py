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

"""JSON schemas of Blazar's v1 responses (api-ref ``api-ref/source/v1``).

Written from the api-ref and checked against Blazar 18: dates of leases and
events come back as ``YYYY-MM-DDTHH:MM:SS.ffffff`` (naive UTC), host records
carry their extra capabilities as additional top-level keys.
"""

import copy

_uuid = {'type': 'string', 'minLength': 1, 'maxLength': 36}
_date = {'type': 'string',
         'pattern': r'^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$'}
_nullable_date = {'oneOf': [_date, {'type': 'null'}]}

event = {
    'type': 'object',
    'properties': {
        'id': _uuid, 'lease_id': _uuid,
        'event_type': {'enum': ['start_lease', 'end_lease',
                                'before_end_lease']},
        'time': _date,
        'status': {'enum': ['UNDONE', 'IN_PROGRESS', 'DONE', 'ERROR']},
    },
    'required': ['id', 'lease_id', 'event_type', 'time', 'status'],
}

reservation = {
    'type': 'object',
    'properties': {
        'id': _uuid, 'lease_id': _uuid,
        'resource_id': {'type': ['string', 'null']},
        'resource_type': {'type': 'string'},
        'status': {'enum': ['pending', 'active', 'deleted', 'error']},
        'missing_resources': {'type': 'boolean'},
        'resources_changed': {'type': 'boolean'},
        # physical:host
        'min': {'type': 'integer'}, 'max': {'type': 'integer'},
        'hypervisor_properties': {'type': ['string', 'null']},
        'resource_properties': {'type': ['string', 'null']},
        'before_end': {'type': ['string', 'null']},
        # virtual:instance
        'amount': {'type': 'integer'}, 'vcpus': {'type': 'integer'},
        'memory_mb': {'type': 'integer'}, 'disk_gb': {'type': 'integer'},
        'affinity': {'type': ['boolean', 'null']},
        'flavor_id': {'type': ['string', 'null']},
        'server_group_id': {'type': ['string', 'null']},
        'aggregate_id': {'type': ['integer', 'null']},
    },
    'required': ['id', 'lease_id', 'resource_type', 'status'],
}

lease = {
    'type': 'object',
    'properties': {
        'id': _uuid,
        'name': {'type': 'string'},
        'user_id': {'type': ['string', 'null']},
        'project_id': {'type': 'string'},
        'start_date': _date,
        'end_date': _date,
        'trust_id': {'type': ['string', 'null']},
        'status': {'enum': ['CREATING', 'PENDING', 'STARTING', 'ACTIVE',
                            'UPDATING', 'TERMINATING', 'TERMINATED',
                            'DELETING', 'ERROR']},
        'degraded': {'type': 'boolean'},
        'created_at': _nullable_date,
        'updated_at': _nullable_date,
        'reservations': {'type': 'array', 'items': reservation},
        'events': {'type': 'array', 'items': event},
    },
    'required': ['id', 'name', 'project_id', 'start_date', 'end_date',
                 'status', 'reservations', 'events'],
}

host = {
    'type': 'object',
    'properties': {
        'id': {'type': ['string', 'integer']},
        'hypervisor_hostname': {'type': 'string'},
        'service_name': {'type': ['string', 'null']},
        'vcpus': {'type': 'integer'},
        'memory_mb': {'type': 'integer'},
        'local_gb': {'type': 'integer'},
        'reservable': {'type': 'boolean'},
        'availability_zone': {'type': ['string', 'null']},
    },
    # extra capabilities are additional keys of the host record
    'additionalProperties': True,
    'required': ['id', 'hypervisor_hostname', 'reservable'],
}

allocation = {
    'type': 'object',
    'properties': {
        'resource_id': {'type': ['string', 'integer']},
        'reservations': {
            'type': 'array',
            'items': {
                'type': 'object',
                'properties': {'id': _uuid, 'lease_id': _uuid,
                               'start_date': _date, 'end_date': _date},
                'required': ['id', 'lease_id', 'start_date', 'end_date'],
            },
        },
    },
    'required': ['resource_id', 'reservations'],
}

resource_property = {
    'type': 'object',
    'properties': {
        'property': {'type': 'string'},
        'private': {'type': 'boolean'},
        'values': {'type': 'array'},
    },
    'required': ['property'],
}


def _body(status, key, schema, array=False):
    return {'status_code': [status],
            'response_body': {
                'type': 'object',
                'properties': {key: ({'type': 'array', 'items': schema}
                                     if array else schema)},
                'required': [key]}}


list_leases = _body(200, 'leases', lease, array=True)
show_lease = _body(200, 'lease', lease)
create_lease = _body(201, 'lease', lease)
update_lease = _body(200, 'lease', lease)
delete_lease = {'status_code': [204]}

list_hosts = _body(200, 'hosts', host, array=True)
show_host = _body(200, 'host', host)
create_host = _body(201, 'host', host)
update_host = _body(200, 'host', host)
delete_host = {'status_code': [204]}

list_allocations = _body(200, 'allocations', allocation, array=True)
show_allocation = _body(200, 'allocation', allocation)
list_properties = _body(200, 'resource_properties', resource_property,
                        array=True)
_prop = copy.deepcopy(resource_property)
_prop['properties'] = {'property_name': {'type': 'string'},
                       'private': {'type': 'boolean'}}
_prop['required'] = ['property_name', 'private']
update_property = _body(200, 'resource_property', _prop)

versions = {
    'status_code': [300],
    'response_body': {
        'type': 'object',
        'properties': {'versions': {
            'type': 'array',
            'items': {'type': 'object',
                      'properties': {'id': {'type': 'string'},
                                     'status': {'type': 'string'}},
                      'required': ['id', 'status']}}},
        'required': ['versions']},
}
