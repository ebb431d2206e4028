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

"""Load and validate scenario YAML; errors name file, line and field."""

import copy
import dataclasses
import os

from cellv2_conformance.common import documents
from cellv2_conformance import errors

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = os.path.join(HERE, 'scenarios')

# Services whose configuration a scenario may override.  "nova" applies to
# every nova process; the more specific names apply to one kind of process.
OVERRIDABLE = (
    'keystone', 'placement', 'glance', 'neutron', 'nova', 'nova-api',
    'nova-scheduler', 'nova-super-conductor', 'nova-cell-conductor',
    'nova-compute', 'blazar', 'masakari',
)

_NAME = r'^[a-z][a-z0-9-]{0,30}$'

# Rendered into INI files: no line breaks (they would inject lines into a
# service's config), and names made of the characters oslo.config uses.
_ONE_LINE = {'type': 'string', 'pattern': r'^[^\r\n]*$'}
_SCALAR = {'oneOf': [_ONE_LINE, {'type': ['integer', 'number', 'boolean']}]}
_OPTION_VALUE = {'oneOf': [_SCALAR, {'type': 'array', 'items': _SCALAR}]}
_SECTION_NAME = {'pattern': r'^[A-Za-z0-9_.:-]{1,80}$'}
_OPTION_NAME = {'pattern': r'^[A-Za-z0-9_.-]{1,80}$'}

SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'required': ['cells'],
    'properties': {
        'version': {'const': 1},
        'name': {'type': 'string', 'pattern': _NAME},
        'description': {'type': 'string'},
        'base_port': {
            'oneOf': [{'const': 'auto'},
                      {'type': 'integer', 'minimum': 1024, 'maximum': 64000}],
        },
        'db': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'backend': {'enum': ['private', 'existing']},
                'url': {'type': 'string', 'pattern': r'^mysql\+pymysql://'},
                'per_cell_server': {'type': 'boolean'},
            },
        },
        'mq': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'backend': {'enum': ['private', 'existing']},
                'url': {'type': 'string', 'pattern': r'^rabbit://'},
                'management_url': {'type': 'string',
                                   'pattern': r'^https?://'},
                'isolation': {'enum': ['vhost', 'node']},
            },
        },
        'blazar': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                'enabled': {'type': 'boolean'},
                'nova_client_version': {'type': 'string',
                                        'pattern': r'^2(\.[0-9]+)?$'},
            },
        },
        'masakari': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {'enabled': {'type': 'boolean'}},
        },
        'cells': {
            'type': 'array',
            'minItems': 1,
            'maxItems': 16,
            'items': {
                'type': 'object',
                'additionalProperties': False,
                'required': ['name'],
                'properties': {
                    'name': {'type': 'string', 'pattern': _NAME},
                    'computes': {'type': 'integer', 'minimum': 1,
                                 'maximum': 8},
                    'reservable': {'type': 'integer', 'minimum': 0,
                                   'maximum': 8},
                    'disabled': {'type': 'boolean'},
                },
            },
        },
        'config': {
            'type': 'object',
            'additionalProperties': False,
            'properties': {
                svc: {
                    'type': 'object',
                    'propertyNames': _SECTION_NAME,
                    'additionalProperties': {
                        'type': 'object',
                        'propertyNames': _OPTION_NAME,
                        'additionalProperties': _OPTION_VALUE,
                    },
                } for svc in OVERRIDABLE
            },
        },
    },
}

DEFAULTS = {
    'version': 1,
    'base_port': 'auto',
    'db': {'backend': 'private', 'per_cell_server': True},
    'mq': {'backend': 'private', 'isolation': 'vhost'},
    'blazar': {'enabled': True, 'nova_client_version': '2.53'},
    'masakari': {'enabled': False},
    'config': {},
}


class ScenarioError(errors.CannotRun, ValueError):
    """A scenario is malformed; the message names file, line and field."""


@dataclasses.dataclass
class Cell:
    name: str
    computes: int
    reservable: int
    disabled: bool

    @property
    def hosts(self):
        return ['%s-cmp%d' % (self.name, i + 1) for i in range(self.computes)]

    @property
    def reservable_hosts(self):
        # The last computes of a cell go to Blazar; the first stay ordinary.
        return self.hosts[self.computes - self.reservable:]


@dataclasses.dataclass
class Scenario:
    name: str
    description: str
    source: str
    base_port: object
    db: dict
    mq: dict
    blazar: dict
    masakari: dict
    cells: list
    config: dict
    raw: dict

    @property
    def blazar_enabled(self):
        return bool(self.blazar.get('enabled'))

    @property
    def all_hosts(self):
        return [h for c in self.cells for h in c.hosts]

    @property
    def reservable_hosts(self):
        if not self.blazar_enabled:
            return []
        return [h for c in self.cells for h in c.reservable_hosts]

    def overrides(self, service):
        return self.config.get(service, {})

    def to_dict(self):
        return copy.deepcopy(self.raw)


def bundled_names():
    return sorted(f[:-5] for f in os.listdir(BUNDLED) if f.endswith('.yaml'))


def _resolve(name_or_path):
    if os.path.sep in name_or_path or name_or_path.endswith(
            ('.yaml', '.yml')):
        return name_or_path
    path = os.path.join(BUNDLED, name_or_path + '.yaml')
    if not os.path.exists(path):
        raise ScenarioError(
            'unknown scenario %r: not a file path and not a bundled scenario '
            '(bundled: %s)' % (name_or_path, ', '.join(bundled_names())))
    return path


def load(name_or_path):
    """Load a bundled scenario by name, or a scenario file by path."""
    path = _resolve(name_or_path)
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        raise ScenarioError('scenario %s: cannot read: %s' % (
            path, e.strerror or e))
    return load_text(text, source=path)


def _explain(err):
    """Turn a jsonschema error into words a user can act on: the
    scenario's own wordings, the rest as every document says it
    (:func:`documents.explain`).
    """
    v = err.validator
    if v == 'required':
        return err.message
    if v == 'pattern' and err.validator_value == _NAME:
        return ('must be lower-case letters, digits and dashes, starting '
                'with a letter, at most 31 characters (got %r)' %
                err.instance)
    if v == 'oneOf' and err.validator_value == SCHEMA['properties'][
            'base_port']['oneOf']:
        return "must be 'auto' or a port number 1024-64000 (got %r)" % (
            err.instance,)
    if v == 'oneOf':
        return ('must be a single-line string, a number, a boolean or a '
                'list of those (got %r)' % (err.instance,))
    if v == 'propertyNames':
        return 'names must be letters, digits and _.:- (got %r)' % (
            err.instance,)
    return documents.explain(err)


def _merge(defaults, data):
    out = copy.deepcopy(defaults)
    for k, v in data.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def load_text(text, source='<string>'):
    data = documents.load_yaml(text, 'scenario %s' % source, ScenarioError)
    if not isinstance(data, dict):
        raise ScenarioError('scenario %s: the top level must be a mapping '
                            'with at least a "cells" list' % source)
    lines = documents.line_map(text)
    msgs = documents.errors(data, SCHEMA, text, 'scenario %s' % source,
                            _explain)
    if msgs:
        raise ScenarioError('\n'.join(msgs))

    merged = _merge(DEFAULTS, data)
    cells = []
    seen = {}
    for i, c in enumerate(data['cells']):
        line = lines.get(('cells', i, 'name'))
        where = 'scenario %s%s: field cells[%d].name' % (
            source, ':%d' % line if line else '', i)
        if c['name'] in ('cell0', 'api'):
            raise ScenarioError('%s: %r is reserved (cell0 always exists)' % (
                where, c['name']))
        if c['name'] in seen:
            raise ScenarioError('%s: duplicate cell name %r (first at '
                                'cells[%d])' % (where, c['name'],
                                                seen[c['name']]))
        seen[c['name']] = i
        computes = c.get('computes', 1)
        reservable = c.get('reservable', 0)
        if reservable > computes:
            line = lines.get(('cells', i, 'reservable'))
            raise ScenarioError(
                'scenario %s%s: field cells[%d].reservable: %d is more than '
                'the cell\'s %d compute(s)' % (
                    source, ':%d' % line if line else '', i, reservable,
                    computes))
        cells.append(Cell(c['name'], computes, reservable,
                          c.get('disabled', False)))

    blazar = merged['blazar']
    if blazar.get('enabled'):
        total = sum(c.computes for c in cells)
        res = sum(c.reservable for c in cells)
        if res == total:
            raise ScenarioError(
                'scenario %s: field cells: every compute is reservable; keep '
                'at least one compute out of Blazar\'s freepool so ordinary '
                'boots have somewhere to land' % source)
        enabled_free = sum(c.computes - c.reservable for c in cells
                           if not c.disabled)
        if enabled_free == 0:
            raise ScenarioError(
                'scenario %s: field cells: no enabled cell has a '
                'non-reservable compute; ordinary boots could never land' %
                source)
    if all(c.disabled for c in cells):
        raise ScenarioError('scenario %s: field cells: every cell is '
                            'disabled; nothing could ever be scheduled' %
                            source)
    for key in ('db', 'mq'):
        sect = merged[key]
        line = lines.get((key, 'backend'))
        if sect['backend'] == 'existing' and not sect.get('url'):
            raise ScenarioError(
                'scenario %s%s: field %s.url: required when %s.backend is '
                '"existing"' % (source, ':%d' % line if line else '', key,
                                key))
        if sect['backend'] == 'private' and sect.get('url'):
            raise ScenarioError(
                'scenario %s%s: field %s.url: only allowed when %s.backend '
                'is "existing"' % (source, ':%d' % line if line else '', key,
                                   key))
    if merged['db']['backend'] == 'existing':
        merged['db']['per_cell_server'] = False
    if merged['mq']['backend'] == 'existing' and \
            merged['mq']['isolation'] == 'node':
        raise ScenarioError('scenario %s: field mq.isolation: "node" needs '
                            'mq.backend "private" (the harness starts one '
                            'broker per cell)' % source)

    name = merged.get('name') or os.path.splitext(
        os.path.basename(source))[0]
    return Scenario(
        name=name, description=merged.get('description', ''), source=source,
        base_port=merged['base_port'], db=merged['db'], mq=merged['mq'],
        blazar=blazar, masakari=merged['masakari'], cells=cells,
        config=merged['config'], raw=merged)
