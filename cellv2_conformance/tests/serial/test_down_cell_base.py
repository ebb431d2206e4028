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

"""Shared plumbing of the serial cell-fault checks (no tests here).

Faults go through :mod:`cellv2_conformance.faults` (journal + watchdog, so
a killed run still heals); servers are booted with the 2.74 ``host`` field
on the *ordinary* (non-Blazar) hosts of a chosen cell, so where a server
lives is known without reading any database.
"""

import contextlib
import json

import jsonschema
from tempest import config
from tempest.lib.common import api_microversion_fixture
from tempest.lib import exceptions as lib_exc
from tempest import test

from cellv2_conformance.common import naming
from cellv2_conformance.common import waiters
from cellv2_conformance import faults
from cellv2_conformance import inventory
from cellv2_conformance.services.compute import schemas_v269

CONF = config.CONF

FAULT_TTL = 600


class CellFaultTestBase(test.BaseTestCase):
    """Base of serial checks that take one cell (the last one with the
    needed resources) away and give it back.
    """

    credentials = ['admin']
    # what the fault needs of the cell: 'db' (a dedicated database server)
    needs = None

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.cellv2.fault_injection:
            raise cls.skipException('[cellv2] fault_injection is False: '
                                    'the cloud is not disposable')
        if CONF.cellv2.expected_cells < 2:
            raise cls.skipException('needs [cellv2] expected_cells >= 2')
        if not CONF.cellv2.inventory:
            raise cls.skipException('[cellv2] inventory is not set')
        inv = inventory.load(CONF.cellv2.inventory)
        if cls._pick_cells(inv) is None:
            raise cls.skipException(
                'no cell in %s offers what the fault needs (%s) plus an '
                'ordinary (non-Blazar) host, and another such cell' % (
                    inv.path, cls.needs))

    @classmethod
    def _pick_cells(cls, inv):
        """(faulted cell, healthy cell) or None."""
        def ordinary(c):
            return [h for h in c.hosts if h in inv.ordinary_hosts]
        usable = [c for c in inv.enabled_cells if ordinary(c)]
        candidates = [c for c in usable if cls.needs != 'db' or
                      (c.db_server or {}).get('dedicated')]
        if not candidates or len(usable) < 2:
            return None
        down = candidates[-1]
        other = next(c for c in usable if c.name != down.name)
        return down, other

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.inv = inventory.load(CONF.cellv2.inventory)
        cls.down_cell, cls.other_cell = cls._pick_cells(cls.inv)
        cls.client = cls.os_admin.servers_client
        cls.services_client = cls.os_admin.services_client

    @classmethod
    def ordinary_host(cls, cell):
        return [h for h in cell.hosts if h in cls.inv.ordinary_hosts][0]

    # -- microversions ---------------------------------------------------
    @staticmethod
    @contextlib.contextmanager
    def microversion(version):
        with api_microversion_fixture.APIMicroversionFixture(
                compute_microversion=version):
            yield

    # -- servers -----------------------------------------------------------
    @classmethod
    def boot(cls, host=None, cleanup=None, wait=True, prefix='fault'):
        """Boot a server (2.74; on ``host`` if given); return its body."""
        kwargs = dict(name=naming.rand_name(prefix),
                      imageRef=CONF.compute.image_ref,
                      flavorRef=CONF.compute.flavor_ref, networks='none')
        if host:
            kwargs['host'] = host
        with cls.microversion('2.74'):
            server = cls.client.create_server(**kwargs)['server']
        (cleanup or cls.addClassResourceCleanup)(cls.delete_server,
                                                 server['id'])
        if wait:
            cls.wait_status(server['id'], 'ACTIVE')
        return cls.show(server['id'])

    @classmethod
    def show(cls, server_id, version='2.74'):
        with cls.microversion(version):
            return cls.client.show_server(server_id)['server']

    @classmethod
    def wait_status(cls, server_id, status, timeout=None,
                    error_ok=False):
        def fetch():
            return cls.show(server_id)
        return waiters.wait_for(
            fetch, lambda s: s['status'] == status,
            'server %s' % server_id, status,
            timeout or CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            error=None if error_ok else (lambda s: s['status'] == 'ERROR'),
            state_of=lambda s: '%s/%s@%s' % (
                s['status'], s.get('OS-EXT-STS:task_state'),
                s.get('OS-EXT-SRV-ATTR:host')))

    @classmethod
    def delete_server(cls, server_id):
        try:
            with cls.microversion('2.74'):
                cls.client.delete_server(server_id)
        except lib_exc.NotFound:
            return
        waiters.wait_for(lambda: cls.show(server_id), lambda s: False,
                         'deletion of server %s' % server_id, 'DELETED',
                         CONF.cellv2.build_timeout,
                         interval=CONF.cellv2.build_interval,
                         not_found_ok=True)

    # -- raw 2.69 reads, validated with the plugin's schemas ----------------
    def get_json(self, path, version, schema=None, client=None):
        client = client or self.client
        with self.microversion(version):
            resp, body = client.get(path)
        client.expected_success(200, resp.status)
        body = json.loads(body)
        if schema is not None:
            jsonschema.Draft4Validator(
                schema, format_checker=jsonschema.FormatChecker()).validate(
                    body)
        return body

    def list_detail(self, version='2.69', client=None):
        schema = schemas_v269.list_servers_detail if version == '2.69' \
            else None
        return {s['id']: s for s in self.get_json(
            'servers/detail', version, schema, client)['servers']}

    # -- faults --------------------------------------------------------------
    def inject(self, spec, wait_for=None):
        """Inject; on cleanup heal, then (``wait_for``: server ids) wait
        until GET /servers/detail lists them complete again.
        """
        record = faults.inject(self.inv, spec, ttl=FAULT_TTL)
        if wait_for:
            self.addCleanup(self.wait_complete, list(wait_for))
        self.addCleanup(self.heal, record)
        self.addDetail('fault', _text('%s %s: %s' % (
            record['target'], record['action'],
            '; '.join(record['evidence']))))
        return record

    def heal(self, record):
        final = faults.heal(record['id'], inv=self.inv, by='test-cleanup')
        self.assertEqual('healed', final['status'], final.get('error'))
        return final

    def wait_complete(self, server_ids):
        """Wait until GET /servers/detail (2.69) lists every one of
        ``server_ids`` as a full record again.
        """
        def fetch():
            return self.list_detail('2.69')

        def done(listing):
            return all(i in listing and not schemas_v269.is_minimal(
                listing[i]) for i in server_ids)
        return waiters.wait_for(
            fetch, done, 'server list of cell %s' % self.down_cell.name,
            'complete', CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            state_of=lambda listing: ','.join(sorted(
                '%s:%s' % (i[:8], listing[i]['status'] if i in listing
                           else 'missing') for i in server_ids)))


def _text(s):
    from testtools import content
    return content.text_content(s)
