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

"""Small base classes and mixins for the Cells v2 checks.

``CellsBaseTest`` loads the cells inventory and the admin clients; the
mixins add one configuration gate each (two cells, read-only DB access,
RabbitMQ management access, nova-manage) and the read-only helpers that go
with it.  Compose them, most specific first::

    class MyTest(base.DatabaseMixin, base.MultiCellMixin, base.CellsBaseTest):
"""

import urllib.parse

from tempest import config
from tempest.lib.common import api_version_utils
from tempest.lib import exceptions as lib_exc
from tempest import test

from cellv2_conformance.common import crosscheck
from cellv2_conformance.common import servers
from cellv2_conformance.inspect import db as inspect_db
from cellv2_conformance.inspect import mq as inspect_mq
from cellv2_conformance import inventory
from cellv2_conformance.timing import recorder

CONF = config.CONF
CELL0 = 'cell0'
CELL0_UUID = '00000000-0000-0000-0000-000000000000'


def db_address(url):
    """host:port/database of a DB URL (no credentials, no options)."""
    u = urllib.parse.urlsplit(url)
    return '%s:%s/%s' % (u.hostname, u.port or 3306, u.path.lstrip('/'))


def mq_address(url):
    """host:port/vhost of every broker of a transport URL."""
    u = urllib.parse.urlsplit(url)
    vhost = urllib.parse.unquote(u.path.lstrip('/')) or '/'
    hosts = []
    for part in u.netloc.split(','):
        hostport = part.rsplit('@', 1)[-1]
        if ':' not in hostport:
            hostport += ':5672'
        hosts.append('%s/%s' % (hostport, vhost))
    return tuple(sorted(hosts))


class CellsBaseTest(test.BaseTestCase):
    """Inventory, admin compute clients and server helpers."""

    credentials = ['primary', 'admin']
    # Microversion the class's requests use unless a block says otherwise.
    compute_microversion = servers.HOST_MICROVERSION

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.nova:
            raise cls.skipException('nova is not available')
        if not CONF.cellv2.inventory:
            raise cls.skipException('[cellv2] inventory is not set')
        api_version_utils.check_skip_with_microversion(
            cls.compute_microversion, 'latest',
            CONF.compute.min_microversion, CONF.compute.max_microversion)

    @classmethod
    def setup_credentials(cls):
        cls.set_network_resources()
        super().setup_credentials()

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.inv = inventory.load(CONF.cellv2.inventory)
        if 'primary' in cls.credentials:
            cls.servers_client = cls.os_primary.servers_client
        cls.admin_servers_client = cls.os_admin.servers_client
        cls._usable = None

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.setup_api_microversion_fixture(
            compute_microversion=cls.compute_microversion)

    # -- hosts ----------------------------------------------------------
    _usable = None

    @classmethod
    def blazar_hosts(cls):
        """Hypervisors enrolled in Blazar, from Blazar's os-hosts API (the
        evidence; a discovered inventory does not know them).
        """
        if not CONF.service_available.blazar:
            return []
        try:
            hosts = cls.os_admin.reservation_v1.HostsClient().list_hosts()
        except lib_exc.EndpointNotFound:
            # [service_available] blazar defaults to true (shared with
            # blazar-tempest-plugin); the reservation checks report the
            # missing endpoint, the free pool aggregate still counts here
            return []
        return sorted(h['hypervisor_hostname'] for h in hosts['hosts'])

    @classmethod
    def freepool_hosts(cls):
        """Members of Blazar's free pool aggregate (Nova's view)."""
        for agg in cls.os_admin.aggregates_client.list_aggregates()[
                'aggregates']:
            if agg['name'] == CONF.reservation.freepool:
                return sorted(agg['hosts'])
        return []

    @classmethod
    def usable_hosts(cls):
        """Inventory hosts that can take ordinary servers, by evidence:
        not in Blazar (os-hosts, free pool aggregate), nova-compute
        enabled and up.  Asked once per class.
        """
        if cls._usable is None:
            services = cls.os_admin.services_client.list_services(
                binary='nova-compute')['services']
            cls._usable = crosscheck.usable_ordinary_hosts(
                cls.inv.ordinary_hosts, cls.blazar_hosts(),
                cls.freepool_hosts(), services)
        return cls._usable

    @classmethod
    def ordinary_host(cls, cell):
        """A host of ``cell`` that ordinary boots may land on, or None."""
        ordinary = set(cls.usable_hosts())
        for host in cell.hosts:
            if host in ordinary:
                return host
        return None

    @classmethod
    def cells_with_ordinary_host(cls):
        return [c for c in cls.inv.enabled_cells if cls.ordinary_host(c)]

    # -- servers --------------------------------------------------------
    @classmethod
    def boot_into_cells(cls, cells, client=None, per_cell=1,
                        name_prefix='server'):
        """Boot ``per_cell`` servers on an ordinary host of each cell at
        once (class fixture); records boot-to-ACTIVE per cell.

        :returns: list of (cell, server), in cell order.
        """
        client = client or cls.admin_servers_client
        targets = [c for c in cells for _ in range(per_cell)]
        reqs = [{'host': cls.ordinary_host(c),
                 'server_name': servers.name('%s-%s' % (name_prefix,
                                                        c.name))}
                for c in targets]

        def timed(req, server, seconds):
            recorder.record('boot-to-active', seconds,
                            cell=cls.inv.cell_of_host(req['host']).name,
                            test_id=cls.__name__, concurrent=len(reqs))

        booted = servers.boot_many(
            client, CONF.compute.flavor_ref, CONF.compute.image_ref,
            cls.addClassResourceCleanup, CONF.cellv2.build_timeout, reqs,
            interval=CONF.cellv2.build_interval, on_active=timed)
        return list(zip(targets, booted))

    def wait_server(self, server_id, status='ACTIVE', client=None):
        return servers.wait_status(
            client or self.admin_servers_client, server_id, status,
            CONF.cellv2.build_timeout, interval=CONF.cellv2.build_interval)[0]

    @staticmethod
    def host_of(server):
        return server.get('OS-EXT-SRV-ATTR:host')


class MultiCellMixin:
    """Gate: the check needs at least two cells with an ordinary host."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if CONF.cellv2.expected_cells < 2:
            raise cls.skipException('needs 2 cells; [cellv2] expected_cells '
                                    '= %d' % CONF.cellv2.expected_cells)


class DatabaseMixin:
    """Gate + helpers: read-only SQL on the API, cell0 and cell DBs."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.whitebox_db:
            raise cls.skipException('[cellv2] whitebox_db is false')

    @classmethod
    def api_db(cls):
        return cls.inv.api.get('readonly_database') or cls.inv.api[
            'database']

    @classmethod
    def cell0_db(cls):
        return cls.inv.cell0.get('readonly_database') or cls.inv.cell0[
            'database']

    @classmethod
    def cell_dbs(cls, with_cell0=True):
        """{cell name: reader URL} for every cell (and cell0)."""
        out = {c.name: c.reader_url for c in cls.inv.cells}
        if with_cell0:
            out[CELL0] = cls.cell0_db()
        return out

    @staticmethod
    def sql(url, query, params=None):
        return inspect_db.select(url, query, params)

    @classmethod
    def instance_row(cls, cell_name, uuid):
        rows = cls.sql(cls.cell_dbs()[cell_name],
                       'SELECT * FROM instances WHERE uuid = %s '
                       'AND deleted = 0', (uuid,))
        return rows[0] if rows else None

    @classmethod
    def cells_holding(cls, uuid):
        """Names of the cells (cell0 included) whose DB has a live
        ``instances`` row for ``uuid``.
        """
        return sorted(name for name, url in cls.cell_dbs().items()
                      if cls.sql(url, 'SELECT id FROM instances WHERE '
                                 'uuid = %s AND deleted = 0', (uuid,)))

    @classmethod
    def mapped_cell(cls, uuid):
        """Name of the cell instance_mappings.cell_id points at."""
        rows = cls.sql(cls.api_db(),
                       'SELECT c.name, c.uuid FROM instance_mappings m '
                       'LEFT JOIN cell_mappings c ON c.id = m.cell_id '
                       'WHERE m.instance_uuid = %s', (uuid,))
        if not rows:
            return None
        if rows[0]['uuid'] == CELL0_UUID:
            return CELL0
        return rows[0]['name']


class MessageQueueMixin:
    """Gate + helpers: RabbitMQ management API (read-only)."""

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.whitebox_mq:
            raise cls.skipException('[cellv2] whitebox_mq is false')

    @classmethod
    def mq(cls, cell=None):
        return inspect_mq.for_cell(cls.inv, cell or cls.inv.cells[0])

    @classmethod
    def api_vhost(cls):
        vhosts = cls.inv.mq.get('vhosts') or {}
        if vhosts.get('api'):
            return vhosts['api']
        return mq_address(cls.inv.api['transport'])[0].split('/', 1)[1]
