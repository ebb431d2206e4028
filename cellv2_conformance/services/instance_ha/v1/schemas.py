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

"""JSON schemas of Masakari's v1 responses (api-ref ``api-ref/source``).

Written from the api-ref and Masakari 22 (masakari/objects): resources
carry an integer ``id`` and a ``uuid`` (notifications: ``notification_uuid``)
and are addressed by the uuid; dates are ISO 8601.
"""

_uuid = {'type': 'string', 'format': 'uuid',
         'pattern': '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$'}
_nullable_uuid = {'oneOf': [_uuid, {'type': 'null'}]}
_date = {'type': 'string',
         'pattern': r'^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?'
                    r'(Z|[+-]\d\d:\d\d)?$'}
_nullable_date = {'oneOf': [_date, {'type': 'null'}]}
_nullable_str = {'type': ['string', 'null']}

RECOVERY_METHODS = ['auto', 'reserved_host', 'auto_priority',
                    'rh_priority']
NOTIFICATION_STATUSES = ['new', 'running', 'error', 'failed', 'ignored',
                         'finished']
FINAL_STATUSES = ('error', 'failed', 'ignored', 'finished')

segment = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'uuid': _uuid,
        'name': {'type': 'string'},
        'description': _nullable_str,
        'recovery_method': {'enum': RECOVERY_METHODS},
        'service_type': {'type': 'string'},
        'enabled': {'type': 'boolean'},
        'created_at': _date,
        'updated_at': _nullable_date,
    },
    'required': ['id', 'uuid', 'name', 'recovery_method', 'service_type',
                 'created_at'],
}

host = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'uuid': _uuid,
        'name': {'type': 'string'},
        'type': {'type': 'string'},
        'control_attributes': {'type': 'string'},
        'reserved': {'type': 'boolean'},
        'on_maintenance': {'type': 'boolean'},
        'failover_segment_id': _uuid,
        'failover_segment': segment,
        'created_at': _date,
        'updated_at': _nullable_date,
    },
    'required': ['id', 'uuid', 'name', 'type', 'control_attributes',
                 'reserved', 'on_maintenance', 'failover_segment'],
}

progress_detail = {
    'type': 'object',
    'properties': {
        'name': {'type': 'string'},
        'state': {'type': 'string'},
        'progress': {'type': 'number'},
        'progress_details': {'type': 'array'},
    },
    'required': ['name', 'state'],
}

notification = {
    'type': 'object',
    'properties': {
        'id': {'type': 'integer'},
        'notification_uuid': _uuid,
        'generated_time': _date,
        'source_host_uuid': _uuid,
        'type': {'enum': ['COMPUTE_HOST', 'VM', 'PROCESS']},
        'payload': {'type': 'object'},
        'status': {'enum': NOTIFICATION_STATUSES},
        'failover_segment_uuid': _nullable_uuid,
        'message': _nullable_str,
        'recovery_workflow_details': {'type': 'array',
                                      'items': progress_detail},
        'created_at': _date,
        'updated_at': _nullable_date,
    },
    'required': ['notification_uuid', 'generated_time', 'source_host_uuid',
                 'type', 'payload', 'status'],
}

vmove = {
    'type': 'object',
    'properties': {
        'uuid': _uuid,
        'notification_uuid': _uuid,
        'instance_uuid': _uuid,
        'instance_name': _nullable_str,
        'source_host': _nullable_str,
        'dest_host': _nullable_str,
        'start_time': _nullable_date,
        'end_time': _nullable_date,
        'type': _nullable_str,
        'status': {'enum': ['pending', 'ongoing', 'succeeded', 'failed',
                            'ignored']},
        'message': _nullable_str,
    },
    'required': ['uuid', 'instance_uuid', 'status'],
}


def _one(key, item, code=200):
    return {'status_code': [code], 'response_body': {
        'type': 'object', 'properties': {key: item}, 'required': [key]}}


def _many(key, item):
    return {'status_code': [200], 'response_body': {
        'type': 'object',
        'properties': {key: {'type': 'array', 'items': item}},
        'required': [key]}}


list_segments = _many('segments', segment)
show_segment = _one('segment', segment)
create_segment = _one('segment', segment, 201)
update_segment = _one('segment', segment)
delete_segment = {'status_code': [204]}

list_hosts = _many('hosts', host)
show_host = _one('host', host)
create_host = _one('host', host, 201)
update_host = _one('host', host)
delete_host = {'status_code': [204]}

list_notifications = _many('notifications', notification)
show_notification = _one('notification', notification)
create_notification = _one('notification', notification, 202)

list_vmoves = _many('vmoves', vmove)
show_vmove = _one('vmove', vmove)

version = {
    'type': 'object',
    'properties': {
        'id': {'type': 'string'},
        'status': {'type': 'string'},
        'min_version': {'type': 'string'},
        'version': {'type': 'string'},
    },
    'required': ['id', 'status', 'min_version', 'version'],
}
versions = {'status_code': [200], 'response_body': {
    'type': 'object',
    'properties': {'versions': {'type': 'array', 'items': version}},
    'required': ['versions']}}
