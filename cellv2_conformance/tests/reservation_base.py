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

"""Small base for the reservation (Blazar) checks.

Clients: ``self.leases`` (primary project), ``self.admin_leases``,
``self.admin_hosts``; compute/placement clients come from tempest's client
manager.  Helpers build reservation bodies, create leases with a waiting,
NotFound-tolerant cleanup (run before the dynamic credentials - and with
them the keystone trusts Blazar acts through - are deleted), boot servers
without networks and read HTTP status codes of refused calls.
"""

from tempest import config
from tempest.lib.common import api_microversion_fixture
from tempest.lib.common.utils import test_utils
from tempest.lib import exceptions as lib_exc
from tempest import test

from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.common import naming
from cellv2_conformance.common import waiters
from cellv2_conformance import inventory

CONF = config.CONF

# compute microversion: 2.37 for networks='none', 2.53 for uuid hypervisor
# ids (unique across cells), 2.74 for the admin 'host' field.
COMPUTE_MICROVERSION = '2.74'

# placement 1.14: parent_provider_uuid of nested providers
PLACEMENT_MICROVERSION = '1.14'

# a request field to leave out
OMIT = object()


def host_reservation(min=1, max=1, resource_properties='',
                     hypervisor_properties=''):
    return {'resource_type': 'physical:host', 'min': min, 'max': max,
            'resource_properties': resource_properties,
            'hypervisor_properties': hypervisor_properties}


def instance_reservation(amount=1, vcpus=1, memory_mb=128, disk_gb=1,
                         affinity=None, resource_properties=''):
    # resource_properties is sent even when empty: Blazar 18 answers 500
    # (KeyError) without it; a separate check records that.
    return {'resource_type': 'virtual:instance', 'amount': amount,
            'vcpus': vcpus, 'memory_mb': memory_mb, 'disk_gb': disk_gb,
            'affinity': affinity, 'resource_properties': resource_properties}


def flavor_reservation(flavor_id, amount=1, affinity=None):
    return {'resource_type': 'flavor:instance', 'flavor_id': flavor_id,
            'amount': amount, 'affinity': affinity}


def hostname_is(name):
    return '["==", "$hypervisor_hostname", "%s"]' % name


def create_or_find(client, **body):
    """POST /leases; when the call itself fails (a read timeout under load)
    the lease may still have been created: look it up by its (unique,
    prefixed) name so that the caller's cleanup can delete it, then
    re-raise.  A lease left behind outlives the project that owns it, and
    Blazar cannot delete a lease whose owner's trust is gone.

    :returns: the lease, or raises with ``exc.lease`` set to the found
        lease (or None).
    """
    try:
        return client.create_lease(**body)['lease']
    except Exception as e:
        found = None
        try:
            found = next((x for x in client.list_leases()['leases']
                          if x.get('name') == body.get('name')), None)
        except Exception:   # nothing more can be done; keep the cause
            pass
        e.lease = found
        raise


def status_of(call, *args, **kwargs):
    """HTTP status of ``call``: the success code, or the refusal's code
    with its error message (a :class:`findings.Status`, compares as int).
    """
    try:
        return findings.Status(call(*args, **kwargs).response.status)
    except lib_exc.RestClientException as e:
        resp = getattr(e, 'resp', None)
        if resp is None:
            raise
        return findings.Status(resp.status, findings.status_message(e))


class ReservationBase(test.BaseTestCase):

    credentials = ['primary', 'admin']

    @classmethod
    def skip_checks(cls):
        super().skip_checks()
        if not CONF.service_available.blazar:
            raise cls.skipException('[service_available] blazar is False')

    @classmethod
    def setup_clients(cls):
        super().setup_clients()
        cls.leases = cls.os_primary.reservation_v1.LeasesClient()
        cls.admin_leases = cls.os_admin.reservation_v1.LeasesClient()
        cls.admin_hosts = cls.os_admin.reservation_v1.HostsClient()

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        cls.inventory = inventory.load(CONF.cellv2.inventory)

    def setUp(self):
        super().setUp()
        self.useFixture(api_microversion_fixture.APIMicroversionFixture(
            compute_microversion=COMPUTE_MICROVERSION,
            placement_microversion=PLACEMENT_MICROVERSION))

    # -- leases ----------------------------------------------------------
    @classmethod
    def lease_name(cls):
        return naming.rand_name('lease')

    def create_lease(self, client=None, reservations=(), start='now',
                     end=None, name=None, **extra):
        """Create a lease and register its waiting cleanup."""
        client = client or self.leases
        try:
            lease = create_or_find(
                client, name=name or self.lease_name(), start_date=start,
                end_date=end, reservations=list(reservations), **extra)
        except Exception as e:
            if getattr(e, 'lease', None):
                self.addCleanup(leases.delete_lease_and_wait, client,
                                e.lease['id'])
            raise
        self.addCleanup(leases.delete_lease_and_wait, client, lease['id'])
        return lease

    @classmethod
    def create_class_lease(cls, client, reservations=(), start='now',
                           end=None, name=None, **extra):
        try:
            lease = create_or_find(
                client, name=name or cls.lease_name(), start_date=start,
                end_date=end, reservations=list(reservations), **extra)
        except Exception as e:
            if getattr(e, 'lease', None):
                cls.addClassResourceCleanup(leases.delete_lease_and_wait,
                                            client, e.lease['id'])
            raise
        cls.addClassResourceCleanup(leases.delete_lease_and_wait, client,
                                    lease['id'])
        return lease

    @classmethod
    def create_class_leases(cls, specs, clients=None):
        """Create several leases: ``specs`` maps a key to
        ``{'reservations': [...], 'start': ..., 'end': ...}``; returns
        {key: lease}.  One class cleanup deletes them all (concurrently)
        and waits until they are gone.

        Host leases are created concurrently.  Instance leases are created
        one after the other: concurrent instance-lease creation sometimes
        fails with HTTP 500 ResourceClassCreationFailed (Blazar 18 creating
        the CUSTOM_RESERVATION_* class in placement), which would make a
        CRUD fixture flaky; that race is not what these classes check.
        """
        import concurrent.futures
        clients = clients or cls.os_primary
        instance = any(r.get('resource_type') in ('virtual:instance',
                                                  'flavor:instance')
                       for v in specs.values()
                       for r in v.get('reservations', ()))

        def make(spec):
            client = clients.reservation_v1.LeasesClient()
            return create_or_find(
                client, name=cls.lease_name(),
                start_date=spec.get('start', 'now'), end_date=spec['end'],
                reservations=list(spec.get('reservations', ())))
        made, errors = {}, []
        with concurrent.futures.ThreadPoolExecutor(
                1 if instance else len(specs)) as pool:
            futures = {k: pool.submit(make, v) for k, v in specs.items()}
            for key, fut in futures.items():
                try:
                    made[key] = fut.result()
                except Exception as e:
                    errors.append('%s: %s' % (key, e))
                    if getattr(e, 'lease', None):   # created after all
                        made['%s (failed call)' % key] = e.lease
        cls.addClassResourceCleanup(
            leases.delete_leases_and_wait,
            clients.reservation_v1.LeasesClient,
            [x['id'] for x in made.values()])
        if errors:
            raise lib_exc.TempestException(
                'creating leases failed: %s' % '; '.join(errors))
        return made

    def refused_lease(self, expected_status, client=None, **body):
        """POST a lease that must be refused; return the observed status.

        A lease wrongly accepted is deleted again (and waited for).
        """
        client = client or self.leases
        body.setdefault('name', self.lease_name())
        try:
            lease = client.create_lease(**body)['lease']
        except lib_exc.RestClientException as e:
            return findings.Status(e.resp.status, findings.status_message(e))
        self.addCleanup(leases.delete_lease_and_wait, client, lease['id'])
        return findings.Status(201)

    # -- nova ------------------------------------------------------------
    def aggregates(self):
        return self.os_admin.aggregates_client.list_aggregates()[
            'aggregates']

    def aggregate_named(self, name):
        for agg in self.aggregates():
            if agg['name'] == name:
                return agg
        return None

    def freepool_hosts(self):
        agg = self.aggregate_named(CONF.reservation.freepool)
        return sorted(agg['hosts']) if agg else []

    def boot(self, clients=None, hints=None, host=None, flavor=None,
             group=None, wait=True, class_cleanup=False):
        """Boot a network-less server; cleanup deletes it and waits
        (at the end of the class with ``class_cleanup``: for servers that
        must live until their lease ends).
        """
        clients = clients or self.os_primary
        kwargs = {'name': naming.rand_name('rsv-server'),
                  'imageRef': CONF.compute.image_ref,
                  'flavorRef': flavor or CONF.compute.flavor_ref,
                  'networks': 'none'}
        hints = dict(hints or {})
        if group:
            hints['group'] = group
        if hints:
            kwargs['scheduler_hints'] = hints
        if host:
            kwargs['host'] = host
        server = clients.servers_client.create_server(**kwargs)['server']
        register = (self.addClassResourceCleanup if class_cleanup
                    else self.addCleanup)
        register(self.delete_server, clients.servers_client, server['id'])
        if wait:
            return self.wait_server(clients.servers_client, server['id'])
        return server

    def wait_server(self, client, server_id, goal='ACTIVE'):
        server = {}

        def fetch():
            server.update(client.show_server(server_id)['server'])
            return server
        waiters.wait_for(
            fetch, lambda s: s['status'] == goal, 'server %s' % server_id,
            goal, CONF.cellv2.build_timeout,
            interval=CONF.cellv2.build_interval,
            error=lambda s: s['status'] == 'ERROR' and goal != 'ERROR',
            state_of=lambda s: s['status'])
        return server

    @staticmethod
    def delete_server(client, server_id):
        test_utils.call_and_ignore_notfound_exc(client.delete_server,
                                                server_id)
        waiters.wait_for(
            lambda: client.show_server(server_id)['server'],
            lambda s: False, 'server %s' % server_id, 'deleted',
            CONF.cellv2.build_timeout, interval=CONF.cellv2.build_interval,
            state_of=lambda s: s['status'], not_found_ok=True)

    def host_of(self, server_id):
        """Compute host of a server (admin view)."""
        return self.os_admin.servers_client.show_server(server_id)[
            'server'].get('OS-EXT-SRV-ATTR:host')
