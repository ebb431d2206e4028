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
