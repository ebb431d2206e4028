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

"""Treat a locally deployed cloud as one we did not build.

What an operator of an existing cloud does before `validate`, done by hand
here (never through the deployer's files): a SELECT-only database account
created by the DBA, the cells inventory discovered from nova.conf
(`cellv2-conformance inventory --nova-conf`) and completed by hand with
the read-only URLs, a tempest.conf granting only the opt-ins an operator
of a staging cloud would grant.  Plus the DBA's view used to prove the run
changed no row it did not create (:func:`snapshot`, :func:`diff`).
"""

import configparser
import glob
import os
import re
import secrets
import urllib.parse

import pymysql
import yaml

SYSTEM_DBS = {'mysql', 'information_schema', 'performance_schema', 'sys'}
RO_USER = 'cellv2_ro'

# Bookkeeping columns any use of a cloud moves on rows that are not the
# run's (heartbeats, provider generations, the admin's last login, the
# resource tracker's usage, which is back to its old value after our
# servers are gone except for its timestamp).
VOLATILE = {'updated_at', 'report_count', 'last_seen_up', 'generation',
            'last_active_at'}
VOLATILE_BY_TABLE = {
    'compute_nodes': {'free_ram_mb', 'free_disk_gb', 'memory_mb_used',
                      'local_gb_used', 'vcpus_used', 'running_vms',
                      'disk_available_least', 'current_workload', 'stats'},
}
HEX32 = re.compile(r'[0-9a-f]{32}')
# Rows a cloud adds lazily on first use of something that is not ours, or
# keeps after ours are gone: nova's EC2 id of the image our servers booted
# from (one per cell DB); placement's row for the uuid of an aggregate
# (Blazar's per-reservation aggregates), never deleted with the aggregate.
SIDE_EFFECTS = {('added', 's3_images'), ('added', 'placement_aggregates')}
# Columns that differ when a row is deleted and re-created with the same
# content (a host leaving Blazar's free pool for a lease and coming back).
IDENTITY = {'id', 'created_at', 'updated_at', 'deleted_at'}
CREDS = re.compile(r"'project_id': '([0-9a-f]{32})', 'project_name': "
                   r"'([^']+)'.*'user_id': '([0-9a-f]{32})'")


def dynamic_credentials(tempest_log, name_pattern):
    """Project and user ids of the dynamic credentials whose project name
    is ours (tempest logs each set it acquires).
    """
    ids = set()
    with open(tempest_log, errors='replace') as f:
        for line in f:
            m = CREDS.search(line)
            if m and name_pattern.match(m.group(2)):
                ids.update((m.group(1), m.group(3)))
    return ids


def sockets(workdir):
    """{server name: unix socket} of the cloud's database servers (the
    DBA's root access).
    """
    return {os.path.basename(os.path.dirname(p)): p for p in sorted(
        glob.glob(os.path.join(workdir, 'mariadb', '*', 'mysqld.sock')))}


def _root(sock, db=None):
    return pymysql.connect(unix_socket=sock, user='root', database=db,
                           autocommit=True)


def create_readonly_account(workdir):
    """A SELECT-only account on every nova database; returns its
    password.
    """
    password = secrets.token_urlsafe(18)
    for sock in sockets(workdir).values():
        with _root(sock) as conn, conn.cursor() as cur:
            cur.execute('SHOW DATABASES')
            dbs = [r[0] for r in cur.fetchall() if r[0].startswith('nova')]
            for host in ('127.0.0.1', 'localhost'):
                cur.execute('CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY '
                            '%s', (RO_USER, host, password))
                cur.execute('ALTER USER %s@%s IDENTIFIED BY %s',
                            (RO_USER, host, password))
                for db in dbs:
                    cur.execute('GRANT SELECT ON `%s`.* TO %%s@%%s' % db,
                                (RO_USER, host))
    return password


def _swap_user(url, user, password):
    u = urllib.parse.urlsplit(url)
    netloc = '%s:%s@%s' % (user, urllib.parse.quote(password, safe=''),
                           u.netloc.rsplit('@', 1)[-1])
    return urllib.parse.urlunsplit(u._replace(netloc=netloc))


def complete_inventory(path, password):
    """The operator's hand edit: read-only URLs for the API, cell0 and
    every cell (nothing else is added).
    """
    with open(path) as f:
        inv = yaml.safe_load(f)
    for part in [inv['api'], inv['cell0']] + inv['cells']:
        if part.get('database'):
            part['readonly_database'] = _swap_user(part['database'],
                                                   RO_USER, password)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(inv, f, sort_keys=False)
    return inv


def operator_tempest_conf(template, path, inventory, enrol_host):
    """The cloud's endpoints and admin from ``template``; the [cellv2]
    section an operator of a staging cloud writes.
    """
    cp = configparser.ConfigParser(interpolation=None, strict=False,
                                   default_section='\x00none')
    cp.read(template)
    for key in ('resource_name_prefix', 'log_file'):
        cp.remove_option('DEFAULT', key)
    # the operator knows the cloud's cross-cell resize policy
    policy = {k: cp.get('cellv2', k, fallback='') for k in (
        'cross_cell_resize', 'cross_cell_resize_role')}
    cp.remove_section('cellv2')
    cp.add_section('cellv2')
    for key, value in {
            'inventory': inventory, 'expected_cells': '2',
            'whitebox_db': 'true', 'whitebox_mq': 'false',
            'nova_manage': 'true', **policy,
            'fault_injection': 'false', 'discover_hosts': 'false',
            'enrol_hosts': enrol_host, 'lease_enrolled_hosts': 'true',
            'resource_prefix': 'cellv2'}.items():
        cp.set('cellv2', key, value)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        cp.write(f)
    return path


# -- the DBA's before/after ------------------------------------------------
def snapshot(workdir):
    """{(server, db, table): {primary key: row dict}} of every database."""
    out = {}
    for server, sock in sockets(workdir).items():
        with _root(sock) as conn, conn.cursor(pymysql.cursors.DictCursor) \
                as cur:
            cur.execute('SHOW DATABASES')
            dbs = [r['Database'] for r in cur.fetchall()
                   if r['Database'] not in SYSTEM_DBS]
            for db in dbs:
                cur.execute('SELECT TABLE_NAME, COLUMN_NAME FROM '
                            'information_schema.KEY_COLUMN_USAGE WHERE '
                            'TABLE_SCHEMA = %s AND CONSTRAINT_NAME = '
                            '"PRIMARY" ORDER BY ORDINAL_POSITION', (db,))
                pks = {}
                for r in cur.fetchall():
                    pks.setdefault(r['TABLE_NAME'], []).append(
                        r['COLUMN_NAME'])
                cur.execute('SELECT TABLE_NAME FROM information_schema.'
                            'TABLES WHERE TABLE_SCHEMA = %s AND TABLE_TYPE '
                            '= "BASE TABLE"', (db,))
                for (table,) in [(r['TABLE_NAME'],) for r in cur.fetchall()]:
                    cur.execute('SELECT * FROM `%s`.`%s`' % (db, table))
                    rows = {}
                    for row in cur.fetchall():
                        row = {k: _text(v) for k, v in row.items()}
                        key = tuple(row[c] for c in pks.get(table, ())) or \
                            tuple(sorted(row.items()))
                        rows[key] = row
                    out[(server, db, table)] = rows
    return out


def _text(v):
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode('utf-8', 'replace')
    return None if v is None else str(v)


def diff(before, after, prefix, seeds=()):
    """Rows changed by a run, split into the run's own (carrying the
    prefix, or a uuid of a row that does, or an integer id of such a row
    through a ``<thing>_id`` column) and foreign ones.

    :param seeds: uuids known to be the run's (its projects and users).
    :returns: {'own': [...], 'side_effects': [...], 'foreign': [...]} of
        (kind, (server, db, table), key, row).
    """
    changes = []
    for where in sorted(set(before) | set(after)):
        old, new = before.get(where, {}), after.get(where, {})
        table = where[2]
        ignore = VOLATILE | VOLATILE_BY_TABLE.get(table, set())
        for key in set(old) | set(new):
            if key not in old:
                changes.append(('added', where, key, new[key]))
            elif key not in new:
                changes.append(('deleted', where, key, old[key]))
            else:
                moved = {c for c in new[key] if new[key][c] != old[key].get(
                    c) and c not in ignore}
                if moved:
                    changes.append(('changed', where, key,
                                    dict(new[key], _changed=sorted(moved))))
    changes = _drop_recreated(changes)
    marker = re.compile(r'(?i)(?:^|[^a-z0-9])%s[-_]' % re.escape(prefix))
    hexes = {h.replace('-', '').lower() for h in seeds}
    int_ids = set()
    own = [False] * len(changes)
    grew = True
    while grew:
        grew = False
        for i, (kind, where, key, row) in enumerate(changes):
            if own[i]:
                continue
            text = ' '.join(v for v in row.values() if isinstance(v, str))
            norm = text.lower().replace('-', '').replace('_', '')
            linked = any(
                (where[1], c[:-3], v) in int_ids for c, v in row.items()
                if c.endswith('_id') and v and v.isdigit())
            if marker.search(text) or linked or any(
                    h in hexes for h in HEX32.findall(norm)):
                own[i] = grew = True
                if kind == 'added':
                    for c in ('id', 'uuid'):
                        v = (row.get(c) or '').lower().replace('-', '')
                        if HEX32.fullmatch(v):
                            hexes.add(v)
                        elif v.isdigit():
                            int_ids.add((where[1], _stem(where[2]), v))
    result = {'own': [], 'side_effects': [], 'foreign': []}
    for flag, change in zip(own, changes):
        side = (change[0], change[1][2]) in SIDE_EFFECTS
        result['own' if flag else 'side_effects' if side else
               'foreign'].append(change)
    return result


def _drop_recreated(changes):
    """Rows deleted and added again with the same content (all but the
    surrogate id and timestamps), or changed only in created_at, are the
    same state: not a change.
    """
    def content(row):
        return tuple(sorted((k, v) for k, v in row.items()
                            if k not in IDENTITY and k != '_changed'))
    added = {}
    for i, (kind, where, key, row) in enumerate(changes):
        if kind == 'added':
            added.setdefault((where, content(row)), []).append(i)
    drop = set()
    for i, (kind, where, key, row) in enumerate(changes):
        if kind == 'deleted' and added.get((where, content(row))):
            drop.update((i, added[(where, content(row))].pop()))
        elif kind == 'changed' and set(row['_changed']) <= {'created_at'}:
            drop.add(i)
    return [c for i, c in enumerate(changes) if i not in drop]


def _stem(table):
    """'instance_actions' -> 'action' (what an ``action_id`` refers to)."""
    last = table.split('_')[-1]
    return last[:-1] if last.endswith('s') else last
