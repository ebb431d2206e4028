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

"""The cells inventory: the seam between a cloud and the checks.

The local deployer writes it; for DevStack or a staging cloud an operator
writes it by hand (``doc/source/inventory.rst``), or ``discover`` builds it
from the API database's ``cell_mappings``.  Checks, faults and ``validate``
read it and never import the deployer.

Minimal hand-written inventory (version 1)::

    version: 1
    api:
      database: mysql+pymysql://nova:...@db/nova_api          # optional
      readonly_database: mysql+pymysql://ro:...@db/nova_api   # optional
      nova_manage: [nova-manage, --config-file, /etc/nova/nova.conf]
    cells:
      - name: cell1
        uuid: 3e1b...
        database: mysql+pymysql://nova:...@db1/nova_cell1
        readonly_database: mysql+pymysql://ro:...@db1/nova_cell1
        transport: rabbit://nova:...@mq1:5672/nova_cell1
        hosts: [cmp1, cmp2]
        mq: {vhost: nova_cell1, management_url: http://mq1:15672}
    mq: {user: monitor, password: ...}
"""

import dataclasses
import os
import stat
import urllib.parse

import yaml

from cellv2_conformance.common import documents
from cellv2_conformance import errors
from cellv2_conformance import redact


class InventoryError(errors.CannotRun, ValueError):
    """The inventory is missing or malformed; the message says where."""


_STR = {'type': 'string'}
_OPT_STR = {'type': ['string', 'null']}
# URLs are checked where they are used (connecting says what is wrong);
# here only that they are one non-empty line.
_DB_URL = {'type': 'string', 'minLength': 1, 'pattern': r'^[^\n]*$'}
_MQ_URL = _DB_URL
_PORT = {'type': ['integer', 'null'], 'minimum': 1, 'maximum': 65535}
_STRINGS = {'type': 'array', 'items': _STR}
_SERVICE = {'type': ['object', 'null'], 'properties': {
    'pid': {'type': ['integer', 'null']}, 'log': _OPT_STR,
    'process': _OPT_STR, 'port': _PORT, 'url': _OPT_STR, 'host': _OPT_STR}}
_OBJ = {'type': ['object', 'null']}

# Known keys are checked; unknown ones are allowed (an operator's notes, a
# newer writer's additions) but never used.
SCHEMA = {
    'type': 'object',
    'properties': {
        'version': {'const': 1},
        'source': _STR, 'name': _STR, 'region': _STR,
        'workdir': _OPT_STR,
        'faults_journal': _OPT_STR,
        'allow_foreign_faults': {'type': 'boolean'},
        'image_id': _OPT_STR,
        'flavors': _STRINGS,
        'auth': dict(_OBJ, properties={k: _STR for k in (
            'auth_url', 'username', 'password', 'project_name',
            'user_domain_name', 'project_domain_name')}),
        'api': dict(_OBJ, properties={
            'database': _DB_URL, 'readonly_database': _DB_URL,
            'transport': _MQ_URL, 'nova_manage': _STRINGS}),
        'cell0': dict(_OBJ, properties={
            'uuid': _STR, 'database': _DB_URL,
            'readonly_database': _DB_URL}),
        'mq': dict(_OBJ, properties={
            'management_url': {'type': ['string', 'null'],
                               'pattern': r'^https?://'},
            'user': _OPT_STR, 'password': _OPT_STR,
            'vhosts': dict(_OBJ, additionalProperties=_STR)}),
        'services': dict(_OBJ, additionalProperties=_SERVICE),
        'blazar': dict(_OBJ, properties={
            'enabled': {'type': 'boolean'}, 'freepool': _STR,
            'reservable_hosts': _STRINGS,
            'nova_client_version': _OPT_STR}),
        'cells': {
            'type': ['array', 'null'],
            'items': {
                'type': 'object',
                'required': ['name', 'uuid', 'database', 'transport'],
                'properties': {
                    'name': {'type': 'string', 'minLength': 1},
                    'uuid': {'type': 'string', 'minLength': 1},
                    'database': _DB_URL, 'readonly_database': _DB_URL,
                    'transport': _MQ_URL,
                    'disabled': {'type': 'boolean'},
                    'hosts': _STRINGS, 'reservable_hosts': _STRINGS,
                    'db_server': dict(_OBJ, properties={
                        'host': _OPT_STR, 'port': _PORT,
                        'process': _OPT_STR,
                        'dedicated': {'type': 'boolean'}}),
                    'mq': dict(_OBJ, properties={
                        'vhost': _OPT_STR, 'node': _OPT_STR,
                        'process': _OPT_STR,
                        'management_url': {'type': ['string', 'null'],
                                           'pattern': r'^https?://'}}),
                    'services': dict(_OBJ, properties={
                        'conductor': _SERVICE,
                        'computes': dict(_OBJ,
                                         additionalProperties=_SERVICE)}),
                    'config': _OBJ,
                },
            },
        },
    },
}


def validate(data, text, path):
    """InventoryError naming file, line and field for every violation."""
    if not isinstance(data, dict):
        raise InventoryError('cells inventory %s: top level must be a '
                             'mapping' % path)
    msgs = documents.errors(data, SCHEMA, text, 'cells inventory %s' % path)
    if msgs:
        raise InventoryError('\n'.join(msgs))


@dataclasses.dataclass
class Cell:
    name: str
    uuid: str
    database: str
    transport: str
    hosts: list
    readonly_database: str = None
    disabled: bool = False
    reservable_hosts: list = dataclasses.field(default_factory=list)
    mq: dict = dataclasses.field(default_factory=dict)
    db_server: dict = dataclasses.field(default_factory=dict)
    services: dict = dataclasses.field(default_factory=dict)
    config: dict = dataclasses.field(default_factory=dict)

    @property
    def vhost(self):
        if self.mq.get('vhost'):
            return self.mq['vhost']
        return urllib.parse.urlsplit(self.transport).path.lstrip('/') or '/'

    @property
    def reader_url(self):
        """The URL to read this cell's DB with: the read-only one if any."""
        return self.readonly_database or self.database


def _url_password(url, path, field):
    """The password of a URL field; InventoryError naming the field (not
    the URL: it may hold the password) when the URL cannot be parsed.
    """
    try:
        u = urllib.parse.urlsplit(url)
        u.port                  # parsed lazily: raises on a bad port
        return u.password
    except ValueError as e:
        raise InventoryError('%s: field %s is not a valid URL (%s)' % (
            path or 'inventory', field, e))


class Inventory:
    def __init__(self, data, path=None):
        self.data = data
        self.path = path
        self.cells = [self._cell(i, c) for i, c in
                      enumerate(data.get('cells') or [])]
        if not self.cells:
            raise InventoryError('%s: "cells" must list at least one cell' %
                                 (path or 'inventory'))
        names = [c.name for c in self.cells]
        if len(set(names)) != len(names):
            raise InventoryError('%s: cell names are not unique: %s' % (
                path or 'inventory', names))
        urls = []
        for i, c in enumerate(self.cells):
            urls += [('cells[%d].%s' % (i, k), getattr(c, k))
                     for k in ('database', 'transport', 'readonly_database')]
        for name in ('api', 'cell0', 'placement', 'blazar'):
            part = data.get(name) or {}
            urls += [('%s.%s' % (name, k), part.get(k))
                     for k in ('database', 'readonly_database', 'transport')]
        for field, u in urls:
            if u:
                redact.register(_url_password(u, path, field))
        mq = data.get('mq') or {}
        redact.register(mq.get('password'))
        redact.register((data.get('auth') or {}).get('password'))

    def _cell(self, i, c):
        where = '%s: cells[%d]' % (self.path or 'inventory', i)
        if not isinstance(c, dict):
            raise InventoryError('%s: must be a mapping' % where)
        for key in ('name', 'uuid', 'database', 'transport'):
            if not c.get(key):
                raise InventoryError('%s: missing required field "%s"' % (
                    where, key))
        known = {f.name for f in dataclasses.fields(Cell)}
        return Cell(**{k: v for k, v in c.items() if k in known and
                       v is not None} | {'hosts': c.get('hosts') or []})

    # convenience -------------------------------------------------------
    @property
    def api(self):
        return self.data.get('api') or {}

    @property
    def cell0(self):
        return self.data.get('cell0') or {}

    @property
    def mq(self):
        return self.data.get('mq') or {}

    @property
    def services(self):
        return self.data.get('services') or {}

    @property
    def blazar(self):
        return self.data.get('blazar') or {}

    @property
    def discovered(self):
        """True when the cells come from the API database's mappings (a
        copy of cell_mappings/host_mappings, not independent evidence).
        """
        return str(self.data.get('source') or '').startswith('discovered')

    @property
    def workdir(self):
        return self.data.get('workdir')

    def cell(self, name):
        for c in self.cells:
            if c.name == name:
                return c
        raise KeyError('no cell %r in inventory %s (cells: %s)' % (
            name, self.path, ', '.join(c.name for c in self.cells)))

    def cell_of_host(self, host):
        for c in self.cells:
            if host in c.hosts:
                return c
        return None

    @property
    def enabled_cells(self):
        return [c for c in self.cells if not c.disabled]

    @property
    def all_hosts(self):
        return [h for c in self.cells for h in c.hosts]

    @property
    def ordinary_hosts(self):
        """Hosts not enrolled in Blazar (ordinary boots can land there)."""
        res = set(self.blazar.get('reservable_hosts') or [])
        return [h for h in self.all_hosts if h not in res]


def load(path):
    if not path:
        raise InventoryError(
            'no cells inventory configured: set [cellv2] inventory in '
            'tempest.conf (the local deployer writes '
            '<workdir>/cells-inventory.yaml)')
    try:
        st = os.stat(path)
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except FileNotFoundError:
        raise InventoryError('cells inventory %s does not exist' % path)
    except (OSError, UnicodeDecodeError) as e:
        raise InventoryError('cannot read cells inventory %s: %s' % (
            path, getattr(e, 'strerror', None) or e))
    data = documents.load_yaml(text, 'cells inventory %s' % path,
                               InventoryError)
    if isinstance(data, dict) and data.get('version', 1) != 1:
        raise InventoryError('cells inventory %s: version %r is not '
                             'supported (this harness reads version 1)' % (
                                 path, data.get('version')))
    validate(data, text, path)
    if st.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        # It may hold passwords: say so, but do not refuse to run.
        import logging
        logging.getLogger(__name__).warning(
            'cells inventory %s is readable by group/others; it may hold '
            'passwords (chmod 600)', path)
    if not data.get('cells') and (data.get('api') or {}).get('database'):
        data = _with_discovered_cells(data, path)
    return Inventory(data, path)


def _with_discovered_cells(data, path):
    """An inventory that names only the API database: the cells come from
    its cell_mappings and host_mappings; everything else the file says
    (mq, services, auth, ...) is kept.
    """
    api = data['api']
    try:
        found = discover(api['database'],
                         read_url=api.get('readonly_database'))
    except InventoryError as e:
        raise InventoryError('%s: %s' % (path, e))
    merged = dict(data)
    merged['cells'] = found.data['cells']
    merged['cell0'] = data.get('cell0') or found.data['cell0']
    merged['source'] = found.data['source']
    return merged


def discover(api_db_url, read_url=None):
    """Build an inventory from the API database's cell_mappings and
    host_mappings, read through ``read_url`` (a read-only account) when
    given, else through ``api_db_url``.
    """
    from cellv2_conformance.inspect import db as inspect_db
    cells, cell0 = [], None
    try:
        with inspect_db.connect(read_url or api_db_url) as conn:
            rows = inspect_db.query(
                conn, 'SELECT id, uuid, name, transport_url, '
                'database_connection, disabled FROM cell_mappings '
                'ORDER BY id')
            hosts = inspect_db.query(conn, 'SELECT host, cell_id FROM '
                                     'host_mappings ORDER BY host')
    except inspect_db.InspectError as e:
        raise InventoryError('cannot discover cells: %s' % e)
    except Exception as e:   # pymysql: no such table, access denied, ...
        raise InventoryError(
            'cannot discover cells from %s (is it the nova API '
            'database?): %s' % (redact.url(read_url or api_db_url),
                                redact.text(e)))
    for r in rows:
        for key in ('transport_url', 'database_connection'):
            if '{' in (r[key] or ''):
                raise InventoryError(
                    'cell %s: its %s is a template (%s); nova fills it in '
                    'from each service\'s own config, so write the cells '
                    'inventory by hand (doc/source/inventory.rst)' % (
                        r['name'] or r['uuid'], key, redact.url(r[key])))
        if r['uuid'] == '00000000-0000-0000-0000-000000000000':
            cell0 = {'uuid': r['uuid'], 'database': r['database_connection']}
            continue
        cells.append({
            'name': r['name'] or r['uuid'], 'uuid': r['uuid'],
            'database': r['database_connection'],
            'transport': r['transport_url'], 'disabled': bool(r['disabled']),
            'hosts': [h['host'] for h in hosts if h['cell_id'] == r['id']]})
    if not cells:
        raise InventoryError('%s has no cell mapping besides cell0: run '
                             '`nova-manage cell_v2 create_cell` first' %
                             redact.url(api_db_url))
    data = {'version': 1, 'source': 'discovered from cell_mappings',
            'api': {'database': api_db_url}, 'cell0': cell0 or {},
            'cells': cells}
    if read_url:
        data['api']['readonly_database'] = read_url
    return Inventory(data, path='<discovered from %s>' % redact.url(
        api_db_url))


def nova_conf_api_database(path):
    """``[api_database] connection`` of a nova.conf (or of several, read
    in order like oslo.config's ``--config-file``: the last one wins).
    """
    url = _nova_conf(path).get('api_database', 'connection',
                               fallback='').strip()
    if not url:
        raise InventoryError('%s has no [api_database] connection' % (
            ', '.join(_paths(path))))
    redact.register(urllib.parse.urlsplit(url).password)
    return url


def _paths(path):
    return [path] if isinstance(path, str) else list(path)


def nova_conf_transport(path):
    """``[DEFAULT] transport_url`` of a nova.conf (the API-level message
    queue when it is the API services' config), or None.
    """
    url = _nova_conf(path).get('DEFAULT', 'transport_url',
                               fallback='').strip()
    if url:
        redact.register(urllib.parse.urlsplit(url).password)
    return url or None


def _nova_conf(path):
    import configparser
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    for one in _paths(path):
        try:
            with open(one, encoding='utf-8') as f:
                cp.read_file(f)
        except OSError as e:
            raise InventoryError('cannot read %s: %s' % (one, e.strerror))
        except configparser.Error as e:
            raise InventoryError('cannot parse %s: %s' % (one, e))
    return cp


def dump(inv):
    """The inventory as YAML text (it holds passwords: write it 0600)."""
    return yaml.safe_dump(inv.data, default_flow_style=False,
                          sort_keys=False)
