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

import os
import tempfile

import testtools

from cellv2_conformance import inventory

GOOD = """version: 1
cells:
  - name: cell1
    uuid: 11111111-1111-1111-1111-111111111111
    database: mysql+pymysql://nova:dbpass1@db1/nova_cell1
    transport: rabbit://nova:mqpass2@mq1:5672/nova_cell1
    hosts: [a, b]
  - name: cell2
    uuid: 22222222-2222-2222-2222-222222222222
    database: mysql+pymysql://nova:dbpass1@db2/nova_cell2
    transport: rabbit://nova:mqpass2@mq1:5672/nova_cell2
    hosts: [c]
blazar: {reservable_hosts: [b]}
"""


class TestInventory(testtools.TestCase):

    def _write(self, text):
        fd, path = tempfile.mkstemp(suffix='.yaml')
        os.write(fd, text.encode())
        os.close(fd)
        os.chmod(path, 0o600)
        self.addCleanup(os.unlink, path)
        return path

    def test_load(self):
        inv = inventory.load(self._write(GOOD))
        self.assertEqual(['cell1', 'cell2'], [c.name for c in inv.cells])
        self.assertEqual('nova_cell2', inv.cell('cell2').vhost)
        self.assertEqual('cell2', inv.cell_of_host('c').name)
        self.assertEqual(['a', 'c'], inv.ordinary_hosts)

    def test_missing_path_config(self):
        e = self.assertRaises(inventory.InventoryError, inventory.load, None)
        self.assertIn('[cellv2] inventory', str(e))

    def test_missing_file(self):
        e = self.assertRaises(inventory.InventoryError, inventory.load,
                              '/nope/inv.yaml')
        self.assertIn('/nope/inv.yaml does not exist', str(e))

    def test_missing_field(self):
        path = self._write(GOOD.replace(
            '    transport: rabbit://nova:mqpass2@mq1:5672/nova_cell2\n', ''))
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('cells[1]', str(e))
        self.assertIn('"transport"', str(e))

    def test_mistyped_password_is_not_echoed(self):
        # An unquoted numeric password is an int in YAML: the schema
        # refuses it, naming the field, never showing the value.
        for line, field in (('mq: {user: m, password: 987654321}\n',
                             'mq.password'),
                            ('auth: {password: [hunter2x]}\n',
                             'auth.password')):
            path = self._write(GOOD + line)
            e = self.assertRaises(inventory.InventoryError, inventory.load,
                                  path)
            self.assertIn('field %s' % field, str(e))
            self.assertIn('must be of type', str(e))
            self.assertNotIn('987654321', str(e))
            self.assertNotIn('hunter2x', str(e))

    def test_unparsable_url_names_the_field(self):
        for bad, field in (('mysql+pymysql://nova:dbpass1@[::1/x',
                            'cells[1].database'),
                           ('rabbit://nova:mqpass2@mq1:port/nova_cell2',
                            'cells[1].transport')):
            text = GOOD.replace(
                'mysql+pymysql://nova:dbpass1@db2/nova_cell2' if 'mysql' in
                bad else 'rabbit://nova:mqpass2@mq1:5672/nova_cell2', bad)
            e = self.assertRaises(inventory.InventoryError, inventory.load,
                                  self._write(text))
            self.assertIn('field %s is not a valid URL' % field, str(e))
            self.assertNotIn('pass', str(e))

    def test_bad_yaml(self):
        path = self._write('cells: [\n')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('not valid YAML', str(e))

    def test_bad_version(self):
        path = self._write('version: 7\ncells: []\n')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('version 7', str(e))

    def test_duplicate_cells(self):
        path = self._write(GOOD.replace('name: cell2', 'name: cell1'))
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn('not unique', str(e))

    def test_passwords_registered_for_redaction(self):
        from cellv2_conformance import redact
        inventory.load(self._write(GOOD))
        self.assertNotIn('mqpass2', redact.text('user nova mqpass2 here'))


MAPPINGS = [
    {'id': 1, 'uuid': '00000000-0000-0000-0000-000000000000',
     'name': 'cell0', 'transport_url': 'none:///',
     'database_connection': 'mysql+pymysql://nova:dbpw9@db/nova_cell0',
     'disabled': 0},
    {'id': 2, 'uuid': '11111111-1111-1111-1111-111111111111',
     'name': 'cell1', 'transport_url': 'rabbit://nova:mqpw9@mq/cell1',
     'database_connection': 'mysql+pymysql://nova:dbpw9@db/nova_cell1',
     'disabled': 0},
    {'id': 3, 'uuid': '22222222-2222-2222-2222-222222222222',
     'name': None, 'transport_url': 'rabbit://nova:mqpw9@mq/cell2',
     'database_connection': 'mysql+pymysql://nova:dbpw9@db/nova_cell2',
     'disabled': 1},
]
HOSTS = [{'host': 'h1', 'cell_id': 2}, {'host': 'h2', 'cell_id': 3},
         {'host': 'h3', 'cell_id': 2}]


class TestDiscovery(testtools.TestCase):
    """Cells from the API database (the SQL layer is faked; what is tested
    is how its rows become an inventory).
    """

    def _fake_db(self, mappings=MAPPINGS, hosts=HOSTS, error=None):
        import contextlib
        from unittest import mock

        from cellv2_conformance.inspect import db as inspect_db
        seen = []

        @contextlib.contextmanager
        def connect(url, timeout=5):
            seen.append(url)
            if error:
                raise error
            yield object()

        def query(conn, sql, params=None):
            return list(mappings if 'cell_mappings' in sql else hosts)

        patches = [mock.patch.object(inspect_db, 'connect', connect),
                   mock.patch.object(inspect_db, 'query', query)]
        for p in patches:
            p.start()
            self.addCleanup(p.stop)
        return seen

    _write = TestInventory._write

    def test_discover(self):
        seen = self._fake_db()
        inv = inventory.discover('mysql+pymysql://nova:apipw9@db/nova_api',
                                 read_url='mysql+pymysql://ro:ropw9@db/x')
        self.assertEqual(['mysql+pymysql://ro:ropw9@db/x'], seen)
        self.assertEqual(['cell1', '22222222-2222-2222-2222-222222222222'],
                         [c.name for c in inv.cells])
        self.assertEqual(['h1', 'h3'], inv.cells[0].hosts)
        self.assertTrue(inv.cells[1].disabled)
        self.assertEqual('00000000-0000-0000-0000-000000000000',
                         inv.cell0['uuid'])
        self.assertEqual('cell2', inv.cells[1].vhost)

    def test_load_api_only_discovers_and_keeps_the_rest(self):
        self._fake_db()
        inv = inventory.load(self._write(
            'version: 1\napi: {database: "mysql+pymysql://n:p@db/api"}\n'
            'mq: {user: monitor, password: monpw9}\n'))
        self.assertEqual(2, len(inv.cells))
        self.assertEqual('monitor', inv.mq['user'])
        self.assertEqual('discovered from cell_mappings', inv.data['source'])

    def test_unreachable_api_db_is_a_clear_error(self):
        from cellv2_conformance.inspect import db as inspect_db
        self._fake_db(error=inspect_db.InspectError(
            'cannot connect to database mysql+pymysql://n:***@db/api'))
        path = self._write('api: {database: "mysql+pymysql://n:p@db/api"}\n')
        e = self.assertRaises(inventory.InventoryError, inventory.load, path)
        self.assertIn(path, str(e))
        self.assertIn('cannot discover cells', str(e))

    def test_templated_urls_are_refused(self):
        rows = [dict(MAPPINGS[1], transport_url='rabbit://{username}:'
                     '{password}@{hostname}/cell1')]
        self._fake_db(mappings=rows)
        e = self.assertRaises(inventory.InventoryError, inventory.discover,
                              'mysql+pymysql://n:p@db/api')
        self.assertIn('is a template', str(e))

    def test_no_cells_besides_cell0(self):
        self._fake_db(mappings=MAPPINGS[:1])
        e = self.assertRaises(inventory.InventoryError, inventory.discover,
                              'mysql+pymysql://n:p@db/api')
        self.assertIn('create_cell', str(e))

    def test_nova_conf_api_database(self):
        path = self._write('[api_database]\nconnection = mysql+pymysql://'
                           'nova:novapw9@db/nova_api\n')
        self.assertEqual('mysql+pymysql://nova:novapw9@db/nova_api',
                         inventory.nova_conf_api_database(path))
        e = self.assertRaises(inventory.InventoryError,
                              inventory.nova_conf_api_database,
                              self._write('[DEFAULT]\n'))
        self.assertIn('no [api_database] connection', str(e))

    def test_nova_conf_transport(self):
        from cellv2_conformance import redact
        path = self._write('[DEFAULT]\ntransport_url = rabbit://nova:mqpw4@'
                           'mq:5672/nova_api\n')
        self.assertEqual('rabbit://nova:mqpw4@mq:5672/nova_api',
                         inventory.nova_conf_transport(path))
        self.assertNotIn('mqpw4', redact.text('x mqpw4'))
        self.assertIsNone(inventory.nova_conf_transport(
            self._write('[api_database]\n')))

    def test_several_nova_confs_read_in_order(self):
        common = self._write('[DEFAULT]\ntransport_url = rabbit://a:x@mq1/'
                             'v\n[api_database]\nconnection = mysql+'
                             'pymysql://n:p@db1/nova_api\n')
        api = self._write('[DEFAULT]\ntransport_url = rabbit://a:x@mq2/'
                          'nova_api\n')
        self.assertEqual('rabbit://a:x@mq2/nova_api',
                         inventory.nova_conf_transport([common, api]))
        self.assertEqual('mysql+pymysql://n:p@db1/nova_api',
                         inventory.nova_conf_api_database([common, api]))

    def test_discovered_inventory_says_so(self):
        self._fake_db()
        self.assertTrue(inventory.discover(
            'mysql+pymysql://n:p@db/api').discovered)
        self.assertFalse(inventory.load(self._write(GOOD)).discovered)

    def test_api_and_cell0_passwords_registered_for_redaction(self):
        from cellv2_conformance import redact
        self._fake_db()
        inventory.discover('mysql+pymysql://nova:apipw7@db/nova_api')
        self.assertNotIn('apipw7', redact.text('a apipw7 b'))
        self.assertNotIn('dbpw9', redact.text('a dbpw9 b'))
