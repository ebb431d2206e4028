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

"""os-services, os-hypervisors and os-availability-zone span all cells."""

import uuid

from tempest import config
from tempest.lib import decorators
from testtools import content

from cellv2_conformance.common import servers
from cellv2_conformance.tests import base

CONF = config.CONF
UUID_IDS = '2.53'


def _is_uuid(value):
    try:
        return str(uuid.UUID(str(value))) == str(value)
    except ValueError:
        return False


class ServicesHypervisorsTest(base.CellsBaseTest):
    """Admin inventories of services, hypervisors and zones cover every
    cell.

    nova-api gathers ``os-services`` and ``os-hypervisors`` from every cell
    DB; each compute host of every cell appears once as a ``nova-compute``
    service and as a hypervisor, every cell conductor appears, and
    ``os-availability-zone/detail`` lists every host.  From 2.53 service and
    hypervisor ids are UUIDs, unique across cells, and a hypervisor of any
    cell can be shown by that id.  Before 2.53 ids are the cell-local
    integer primary keys, which collide between cells (documented in the
    2.53 release note; recorded here as an observation).
    """

    credentials = ['admin']

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.services = cls.os_admin.services_client
        cls.hypervisors = cls.os_admin.hypervisor_client
        cls.zones = cls.os_admin.availability_zone_client

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        with servers.api_version(UUID_IDS):
            cls.svc = cls.services.list_services()['services']
            cls.hyp = cls.hypervisors.list_hypervisors(
                detail=True)['hypervisors']
        with servers.api_version('2.1'):
            cls.hyp_21 = cls.hypervisors.list_hypervisors(
                detail=True)['hypervisors']

    def _computes(self):
        return [s for s in self.svc if s['binary'] == 'nova-compute']

    @decorators.idempotent_id('d3137b52-14f5-4c29-befc-bfba439e0b98')
    def test_services_list_every_compute_host_once(self):
        hosts = [s['host'] for s in self._computes()]
        self.assertEqual(sorted(self.inv.all_hosts), sorted(hosts))

    @decorators.idempotent_id('be411c64-c9b5-4b6a-b173-45ab83bb1b83')
    def test_services_list_every_cell_conductor(self):
        conductors = {s['host'] for s in self.svc
                      if s['binary'] == 'nova-conductor'}
        for cell in self.inv.cells:
            conductor = (cell.services or {}).get('conductor') or {}
            if conductor.get('host'):
                self.assertIn(conductor['host'], conductors, cell.name)
        self.assertGreaterEqual(len(conductors), len(self.inv.cells))

    @decorators.idempotent_id('644431f3-5c59-4c65-9ed4-207f312ad2bd')
    def test_service_ids_are_unique_uuids(self):
        ids = [s['id'] for s in self.svc]
        self.assertTrue(all(_is_uuid(i) for i in ids), ids)
        self.assertEqual(len(ids), len(set(ids)))

    @decorators.idempotent_id('fa0ffea2-8580-4e1a-a31e-924fc2898820')
    def test_hypervisors_list_every_compute_host_once(self):
        hosts = [h['service']['host'] for h in self.hyp]
        self.assertEqual(sorted(self.inv.all_hosts), sorted(hosts))

    @decorators.idempotent_id('efd42c45-7e1b-4092-a572-8955a1a158fc')
    def test_hypervisor_ids_are_unique_uuids(self):
        ids = [h['id'] for h in self.hyp]
        self.assertTrue(all(_is_uuid(i) for i in ids), ids)
        self.assertEqual(len(ids), len(set(ids)))

    @decorators.idempotent_id('1ee0851e-5989-4e71-8d23-7b3de9ffacd3')
    def test_show_hypervisor_of_every_cell_by_uuid(self):
        with servers.api_version(UUID_IDS):
            for h in self.hyp:
                shown = self.hypervisors.show_hypervisor(h['id'])[
                    'hypervisor']
                self.assertEqual(h['service']['host'],
                                 shown['service']['host'])

    @decorators.idempotent_id('be3d5b0c-0ab2-4fce-90be-d661bf888d74')
    def test_hypervisor_ids_before_2_53_are_integers(self):
        ids = [h['id'] for h in self.hyp_21]
        self.assertTrue(all(isinstance(i, int) for i in ids), ids)
        self.assertEqual(len(self.inv.all_hosts), len(ids))
        collisions = sorted({i for i in ids if ids.count(i) > 1})
        self.addDetail('observation', content.text_content(
            'hypervisor ids at 2.1: %s; colliding across cells: %s '
            '(documented: integer ids are cell-local before 2.53)' % (
                ids, collisions)))

    @decorators.idempotent_id('3ad81767-2e61-48bb-b5a4-57e286b61e68')
    def test_availability_zone_detail_lists_every_host(self):
        with servers.api_version('2.1'):
            zones = self.zones.list_availability_zones(
                detail=True)['availabilityZoneInfo']
        hosts = set()
        for zone in zones:
            for host, svcs in (zone.get('hosts') or {}).items():
                if 'nova-compute' in svcs:
                    hosts.add(host)
        self.assertEqual(set(self.inv.all_hosts), hosts)


class ServicesHypervisorsDatabaseTest(base.DatabaseMixin, base.CellsBaseTest):
    """The API's service and hypervisor UUIDs are the cells' own rows.

    At >= 2.53 a service's id is ``services.uuid`` and a hypervisor's id is
    ``compute_nodes.uuid`` of the cell DB that holds it; before 2.53 the
    hypervisor id is that row's cell-local integer ``id``.  A mismatch means
    nova-api answered from the wrong cell.
    """

    credentials = ['admin']

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        hyp = cls.os_admin.hypervisor_client
        with servers.api_version(UUID_IDS):
            cls.svc = cls.os_admin.services_client.list_services()[
                'services']
            cls.hyp = hyp.list_hypervisors(detail=True)['hypervisors']
        with servers.api_version('2.1'):
            cls.hyp_21 = hyp.list_hypervisors(detail=True)['hypervisors']
        cls.rows = {}
        for cell in cls.inv.cells:
            for row in cls.sql(cell.reader_url, 'SELECT id, uuid, host, '
                               'hypervisor_hostname FROM compute_nodes '
                               'WHERE deleted = 0'):
                cls.rows[row['hypervisor_hostname']] = dict(row,
                                                            cell=cell.name)
        cls.service_rows = {}
        for cell in cls.inv.cells:
            for row in cls.sql(cell.reader_url, 'SELECT uuid, host, `binary` '
                               'FROM services WHERE deleted = 0'):
                cls.service_rows[(row['binary'], row['host'])] = row['uuid']

    @decorators.idempotent_id('8d91c255-a898-419f-be8f-14dd9eb1658e')
    def test_hypervisor_uuid_is_compute_node_uuid(self):
        self.assertNotEqual([], self.hyp, 'GET /os-hypervisors (2.53) '
                            'lists no hypervisor: nothing to compare')
        for h in self.hyp:
            self.assertEqual(self.rows[h['hypervisor_hostname']]['uuid'],
                             h['id'])

    @decorators.idempotent_id('df78ea3e-c9ba-4997-8bc5-63ad6a4dbee7')
    def test_hypervisor_integer_id_is_cell_local_row_id(self):
        self.assertNotEqual([], self.hyp_21, 'GET /os-hypervisors (2.1) '
                            'lists no hypervisor: nothing to compare')
        for h in self.hyp_21:
            self.assertEqual(self.rows[h['hypervisor_hostname']]['id'],
                             h['id'])

    @decorators.idempotent_id('5190f92a-03e8-4e40-b15d-c379b0cbe287')
    def test_service_uuid_is_cell_service_uuid(self):
        self.assertIn('nova-compute', [s['binary'] for s in self.svc],
                      'GET /os-services lists no nova-compute: nothing to '
                      'compare')
        for s in self.svc:
            if s['binary'] != 'nova-compute':
                continue
            self.assertEqual(self.service_rows[(s['binary'], s['host'])],
                             s['id'])
