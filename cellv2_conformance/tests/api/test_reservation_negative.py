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

"""Bad input to the lease API: exact status codes, nothing left behind.

Slots 20-29 belong to this module (only used when Blazar wrongly accepts).
"""

import datetime

from tempest.lib import decorators

from cellv2_conformance.common import findings
from cellv2_conformance.common import leases
from cellv2_conformance.tests import reservation_base as base

API_REF = 'blazar api-ref v1 leases (400/403/404/406/409)'

# Known deviations, each with the exact observation it expects (read from
# blazar 18.0.0: blazar/api/v1/utils.py Rest.route maps an RPC error of a
# Blazar exception class without ``code`` to 500 with the exception's
# message, and any other exception to 500 "Internal Server Error").
UNSUPPORTED_RESOURCE_TYPE_500 = findings.Finding(
    'blazar-unsupported-resource-type-500',
    'an unknown resource_type is refused with HTTP 500 '
    '(UnsupportedResourceType has no code), not 400',
    documented=findings.http(400),
    deviation=findings.http(
        500, r'cellv2:nothing resource type is not supported'),
    reference=API_REF)
LONG_LEASE_NAME_500 = findings.Finding(
    'blazar-long-lease-name-500',
    'a lease name longer than the 80-character column is refused with '
    'HTTP 500 (database error), not 400',
    documented=findings.http(400),
    deviation=findings.http(500, r'^Internal Server Error$'),
    reference=API_REF)
INSTANCE_WITHOUT_PROPERTIES_500 = findings.Finding(
    'blazar-instance-resource-properties-required',
    'an instance reservation without the optional resource_properties '
    'fails with HTTP 500 (KeyError in instance_plugin.pickup_hosts)',
    documented=findings.http(201),
    deviation=findings.http(500, r'^Internal Server Error$'),
    reference=API_REF)
MICROVERSION_0X_400 = findings.Finding(
    'blazar-microversion-0x-400',
    'a well-formed microversion below the minimum ("0.9") is refused as '
    'malformed (400), not as unsupported (406)',
    documented=findings.http(406),
    deviation=findings.http(
        400, r'API Version String 0\.9 is of invalid format'),
    reference='OpenStack API-WG microversion guideline; blazar '
              'api_version_request.py (major version must be >= 1)')


class LeaseInputNegativeTest(base.ReservationBase):
    """Invalid lease requests are refused with the documented client error
    (400) and leave no lease behind; where Blazar answers 500 instead, the
    check records a finding (expected failure).

    Why: a client can only correct its request when the API says it was
    the request that was wrong (4xx), not the server (5xx).
    """

    def _refused(self, expected, reservations=(), start=None, end=None,
                 **body):
        """POST the lease; return the observed status; assert that no lease
        of that name exists afterwards.
        """
        far_start, far_end = leases.far_window(20)
        name = body.pop('name', None) or self.lease_name()
        body.update(name=name, reservations=list(reservations),
                    start_date=start or far_start,
                    end_date=end or far_end)
        body = {k: v for k, v in body.items() if v is not base.OMIT}
        observed = self.refused_lease(expected, **body)
        if observed != 201:
            names = [x['name'] for x in self.leases.list_leases()['leases']]
            self.assertNotIn(name, names,
                             'a refused lease (HTTP %s) was left behind'
                             % observed)
        return observed

    @decorators.idempotent_id('098932ae-e321-47fb-af20-747fdcaa9186')
    def test_start_in_the_past(self):
        past = leases.fmt(leases.utcnow() - datetime.timedelta(days=1))
        self.assertEqual(400, self._refused(400, start=past))

    @decorators.idempotent_id('0646c5d1-4e59-445b-a7db-f95e2e71852c')
    def test_end_before_start(self):
        start, _ = leases.far_window(21)
        end = leases.fmt(leases.parse(start) - datetime.timedelta(hours=1))
        self.assertEqual(400, self._refused(400, start=start, end=end))

    @decorators.idempotent_id('5999c71a-9375-46a0-91e0-9dc3217569e1')
    def test_impossible_calendar_date(self):
        year = leases.utcnow().year + 3
        self.assertEqual(400, self._refused(
            400, start='%d-02-31 10:00' % year,
            end='%d-03-01 10:00' % year))

    @decorators.idempotent_id('414265ca-e48d-468e-bdc1-b38d054a16cd')
    def test_missing_end_date(self):
        self.assertEqual(400, self._refused(400, end=base.OMIT))

    @decorators.idempotent_id('dac1be5a-3938-428d-9f2d-2ce4d4c619ab')
    def test_host_min_greater_than_max(self):
        self.assertEqual(400, self._refused(
            400, [base.host_reservation(min=2, max=1)]))

    @decorators.idempotent_id('05bd5496-d641-42a5-bc2e-44dfad1b81bf')
    def test_host_min_zero(self):
        self.assertEqual(400, self._refused(
            400, [base.host_reservation(min=0, max=1)]))

    @decorators.idempotent_id('7e0a2f2f-a242-439d-acc4-807fdefab806')
    def test_instance_amount_zero(self):
        self.assertEqual(400, self._refused(
            400, [base.instance_reservation(amount=0)]))

    @decorators.idempotent_id('16dd37e8-c7d3-49f4-8668-27d9c1aee267')
    def test_instance_affinity_not_a_bool(self):
        self.assertEqual(400, self._refused(
            400, [base.instance_reservation(affinity='sometimes')]))

    @decorators.idempotent_id('0c990480-bd00-4ea8-961c-f8498befb619')
    def test_malformed_host_filter_json(self):
        self.assertEqual(400, self._refused(400, [base.host_reservation(
            resource_properties='["==", "$hypervisor_hostname"')]))

    @decorators.idempotent_id('03f665e7-3b58-44f7-9a4f-095d304c2b00')
    def test_unknown_resource_type(self):
        observed = self._refused(400, [{'resource_type': 'cellv2:nothing'}])
        findings.check(self, UNSUPPORTED_RESOURCE_TYPE_500, observed)

    @decorators.idempotent_id('d70f8841-a604-4077-80b7-76df3ae533ed')
    def test_over_long_lease_name(self):
        # leases.name is VARCHAR(80); the API does not validate the length.
        observed = self._refused(400, name='n' * 81)
        findings.check(self, LONG_LEASE_NAME_500, observed)

    @decorators.idempotent_id('8a282ea5-12a1-42d6-8942-cc72d0c8678a')
    def test_instance_reservation_without_resource_properties(self):
        rsv = base.instance_reservation()
        del rsv['resource_properties']
        start, end = leases.far_window(22)
        observed = self._refused(201, [rsv], start=start, end=end)
        findings.check(self, INSTANCE_WITHOUT_PROPERTIES_500, observed)


class LeaseLookupNegativeTest(base.ReservationBase):
    """Unknown leases answer 404 on show, update and delete; a PENDING
    lease refuses an end date in the past and unknown reservation ids with
    400 and stays PENDING.

    Why: 404 versus 400 tells a client whether to stop or to fix its
    request; a refused update must not damage the lease.
    """

    UNKNOWN = '00000000-0000-4000-8000-0000000000c2'

    @decorators.idempotent_id('f55dce3d-98ee-4257-ba19-074fab8c4c65')
    def test_show_unknown_lease(self):
        self.assertEqual(404, base.status_of(self.leases.show_lease,
                                             self.UNKNOWN))

    @decorators.idempotent_id('0d2b0197-d6fb-4eca-9b6c-10c152722741')
    def test_update_unknown_lease(self):
        self.assertEqual(404, base.status_of(
            self.leases.update_lease, self.UNKNOWN, name='x'))

    @decorators.idempotent_id('70013570-52c5-4759-9014-5b5c66e5058f')
    def test_delete_unknown_lease(self):
        self.assertEqual(404, base.status_of(self.leases.delete_lease,
                                             self.UNKNOWN))

    @classmethod
    def resource_setup(cls):
        super().resource_setup()
        start, end = leases.far_window(23)
        cls.lease = cls.create_class_lease(cls.leases, start=start, end=end)

    @decorators.idempotent_id('ab98a4d7-8b23-4f98-ac8a-0be258f51548')
    def test_update_end_date_into_the_past(self):
        lease = self.lease
        past = leases.fmt(leases.utcnow() - datetime.timedelta(days=1))
        self.assertEqual(400, base.status_of(
            self.leases.update_lease, lease['id'], end_date=past))
        self.assertEqual('PENDING', self.leases.show_lease(
            lease['id'])['lease']['status'])

    @decorators.idempotent_id('0b5d0411-0a67-406d-99ba-a85a6b35138c')
    def test_update_unknown_reservation_id(self):
        lease = self.lease
        self.assertEqual(400, base.status_of(
            self.leases.update_lease, lease['id'],
            reservations=[{'id': self.UNKNOWN, 'max': 2}]))
        self.assertEqual('PENDING', self.leases.show_lease(
            lease['id'])['lease']['status'])


class MicroversionNegativeTest(base.ReservationBase):
    """A malformed ``OpenStack-API-Version: reservation`` value is refused
    with 400 and a version outside 1.0..1.0 with 406.

    Why: that is the microversion contract shared by OpenStack APIs;
    clients rely on 406 to fall back.
    """

    def _status(self, version):
        with self.leases.microversion(version):
            return base.status_of(self.leases.list_leases)

    @decorators.idempotent_id('d58b2ebb-d105-45f9-bcfb-bbfe510af093')
    def test_malformed_microversion(self):
        self.assertEqual(400, self._status('one.zero'))

    @decorators.idempotent_id('5a5ac145-5ebc-49af-a8ff-ebe72bb9b56b')
    def test_unsupported_microversion(self):
        self.assertEqual(406, self._status('1.1'))

    @decorators.idempotent_id('0f05e7b5-e679-4566-a19a-f6ed53e54607')
    def test_microversion_below_minimum(self):
        # "0.9" is a well-formed version below the minimum: 406.
        observed = self._status('0.9')
        findings.check(self, MICROVERSION_0X_400, observed)
