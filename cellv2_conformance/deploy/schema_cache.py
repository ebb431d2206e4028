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

"""Cache of migrated database schemas, per release set.

The first deployment runs every service's real migrations (keystone-manage
db_sync, placement-manage, glance-manage, neutron-db-manage,
blazar-db-manage, nova's db_sync for the API and main databases) and saves a
``mariadb-dump`` of each freshly migrated database (taken before any
deployment-specific data is written).  Later deployments with the same
installed versions load those dumps instead of migrating: the same tables,
indexes, seed rows and alembic versions, in a fraction of the time.

The cache key is the installed versions of every service package plus the
MariaDB version, so an upgrade of any of them means a fresh migration.
Set ``CELLV2_SCHEMA_CACHE=0`` to always migrate.
"""

import hashlib
import importlib.metadata
import os
import shutil
import subprocess

from cellv2_conformance.deploy import infra

PACKAGES = ('keystone', 'openstack-placement', 'glance', 'neutron', 'nova',
            'blazar', 'SQLAlchemy', 'alembic', 'oslo.db')
# logical schema name -> database it is dumped from
SCHEMAS = ('keystone', 'placement', 'glance', 'neutron', 'blazar',
           'nova_api', 'nova_main')


def enabled():
    return os.environ.get('CELLV2_SCHEMA_CACHE', '1') not in (
        '0', 'no', 'false')


def key():
    parts = []
    for p in PACKAGES:
        try:
            parts.append('%s=%s' % (p, importlib.metadata.version(p)))
        except importlib.metadata.PackageNotFoundError:
            parts.append('%s=none' % p)
    try:
        out = subprocess.run([infra.which('mariadbd'), '--version'],
                             capture_output=True, text=True).stdout
    except (OSError, TypeError):
        out = 'unknown'
    parts.append(out.strip())
    return hashlib.sha256('\n'.join(parts).encode()).hexdigest()[:16]


def directory():
    return os.path.join(infra.cache_dir(), 'schemas-' + key())


def path(schema):
    return os.path.join(directory(), schema + '.sql')


def available(schema):
    return enabled() and os.path.exists(path(schema))


def save(schema, socket, database, no_data_tables=()):
    """Dump ``database`` (just migrated) as ``schema``; atomic."""
    if not enabled():
        return
    d = directory()
    os.makedirs(d, exist_ok=True)
    target = path(schema)
    if os.path.exists(target):
        return
    tmp = target + '.tmp.%d' % os.getpid()
    dump = infra.which('mariadb-dump') or infra.which('mysqldump')
    base = [dump, '--no-defaults', '--socket=' + socket,
            '--user=' + infra.socket_user(),
            '--skip-comments', '--single-transaction', '--skip-dump-date',
            '--routines', '--triggers']
    with open(tmp, 'wb') as f:
        ignore = ['--ignore-table=%s.%s' % (database, t)
                  for t in no_data_tables]
        subprocess.run(base + ignore + [database], stdout=f, check=True,
                       stderr=subprocess.PIPE)
        if no_data_tables:
            subprocess.run(base + ['--no-data', database] +
                           list(no_data_tables), stdout=f, check=True,
                           stderr=subprocess.PIPE)
    os.replace(tmp, target)


def load(schema, socket, database):
    client = infra.which('mariadb') or infra.which('mysql')
    with open(path(schema), 'rb') as f:
        subprocess.run([client, '--no-defaults', '--socket=' + socket,
                        '--user=' + infra.socket_user(), database],
                       stdin=f, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def clear():
    shutil.rmtree(directory(), ignore_errors=True)
