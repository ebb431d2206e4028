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

"""Read-only access to the API and cell databases.

Every connection is opened read-only at the session level
(``SET SESSION TRANSACTION READ ONLY``) on top of whatever the account
allows; the inventory's ``readonly_database`` URLs use an account with
SELECT grants only.  ``query`` refuses anything but SELECT/SHOW.
"""

import contextlib
import re
import urllib.parse

import pymysql
import pymysql.cursors

from cellv2_conformance import redact

_READ = re.compile(r'^\s*(SELECT|SHOW|EXPLAIN|DESCRIBE)\b', re.I)


class InspectError(RuntimeError):
    pass


def _args(url, timeout):
    u = urllib.parse.urlsplit(url)
    if not u.scheme.startswith('mysql'):
        raise InspectError('only MySQL/MariaDB URLs are supported, got %s'
                           % redact.url(url))
    q = dict(urllib.parse.parse_qsl(u.query))
    args = dict(host=u.hostname or '127.0.0.1', port=u.port or 3306,
                user=urllib.parse.unquote(u.username or ''),
                password=urllib.parse.unquote(u.password or ''),
                database=u.path.lstrip('/') or None,
                connect_timeout=timeout, read_timeout=timeout * 2,
                write_timeout=timeout * 2, autocommit=True,
                cursorclass=pymysql.cursors.DictCursor)
    if q.get('unix_socket'):
        args['unix_socket'] = q['unix_socket']
    return args


@contextlib.contextmanager
def connect(url, timeout=5):
    try:
        conn = pymysql.connect(**_args(url, timeout))
    except pymysql.Error as e:
        raise InspectError('cannot connect to database %s: %s' % (
            redact.url(url), redact.text(e)))
    try:
        with conn.cursor() as cur:
            cur.execute('SET SESSION TRANSACTION READ ONLY')
        yield conn
    finally:
        conn.close()


def query(conn, sql, params=None):
    if not _READ.match(sql):
        raise InspectError('inspection is read-only; refused: %s' %
                           sql.split()[0])
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def one(conn, sql, params=None):
    rows = query(conn, sql, params)
    return rows[0] if rows else None


def select(url, sql, params=None, timeout=5):
    """One-shot read: connect, query, close."""
    with connect(url, timeout=timeout) as conn:
        return query(conn, sql, params)


def alembic_version(url):
    rows = select(url, 'SELECT version_num FROM alembic_version')
    return sorted(r['version_num'] for r in rows)
