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

"""Request latency from tempest.log lines."""

import testtools

from cellv2_conformance.timing import requests

SERVICES = {
    'nova-api': {'url': 'http://127.0.0.1:20504', 'port': 20504},
    'keystone': {'url': 'http://127.0.0.1:20500', 'port': 20500},
    'placement': {'port': 20501},
    'mariadb-main': {'port': 20510},
}
LINE = ('2026-11-24 01:21:21.160 17523 INFO tempest.lib.common.rest_client '
        '[req-6fa9 req-6fa9 ] Request (FlavorsV2TestJSON:test_list): 200 '
        'GET http://127.0.0.1:20504/v2.1/servers/'
        '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/action?all_tenants=1 0.123s')


class RequestsTest(testtools.TestCase):

    def test_parse_line(self):
        r = requests.parse_line(LINE, SERVICES)
        self.assertEqual('nova-api', r['service'])
        self.assertEqual('GET', r['method'])
        self.assertEqual('/v2.1/servers/{id}/action?all_tenants', r['path'])
        self.assertEqual(0.123, r['seconds'])
        self.assertEqual(200, r['status'])
        self.assertEqual('FlavorsV2TestJSON', r['class'])
        self.assertEqual('test_list', r['test'])
        self.assertEqual(17523, r['pid'])

    def test_other_lines_ignored(self):
        self.assertIsNone(requests.parse_line(
            '2026-11-24 01:21:21.160 1 DEBUG x Request - Headers: {}'))
        self.assertIsNone(requests.parse_line('garbage'))

    def test_line_without_duration(self):
        r = requests.parse_line(LINE.rsplit(' ', 1)[0], SERVICES)
        self.assertIsNone(r['seconds'])

    def test_normalise_path(self):
        n = requests.normalise_path
        self.assertEqual('/v3/users/{id}/roles/{id}', n(
            'http://h:1/v3/users/0123456789abcdef0123456789abcdef/roles/7'))
        self.assertEqual('/v2.1/os-aggregates/{id}/action', n(
            'http://h:1/v2.1/os-aggregates/12/action'))
        self.assertEqual('/v2.1/servers/{id}/metadata/cellv2-meta-{n}', n(
            'http://h/v2.1/servers/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/'
            'metadata/cellv2-meta-641628845'))
        self.assertEqual('/', n('http://h:1'))

    def test_service_map(self):
        m = requests.ServiceMap(SERVICES)
        self.assertEqual('keystone', m.name('http://127.0.0.1:20500/v3/x'))
        self.assertEqual('placement', m.name('http://127.0.0.1:20501/'))
        # DevStack style: one port, path prefixes
        self.assertEqual('nova-api', m.name('http://10.0.0.1/compute/v2.1'))
        self.assertEqual('keystone', m.name('http://10.0.0.1/identity/v3'))
        self.assertEqual('10.0.0.9:9', m.name('http://10.0.0.9:9/zzz'))

    def test_service_map_longest_prefix(self):
        m = requests.ServiceMap({
            'a': {'url': 'http://h:80/compute'},
            'b': {'url': 'http://h:80/compute/v2.1'}})
        self.assertEqual('b', m.name('http://h/compute/v2.1/servers'))
        self.assertEqual('a', m.name('http://h/compute/'))

    def test_aggregate(self):
        lines = [LINE, LINE.replace('0.123s', '0.321s'),
                 LINE.replace(' 200 ', ' 404 ').replace('0.123s', '0.2s'),
                 LINE.replace('20504/v2.1/servers/0a1b2c3d-4e5f-4a6b-8c7d-'
                              '9e0f1a2b3c4d/action?all_tenants=1',
                              '20500/v3/auth/tokens')]
        agg = requests.aggregate(requests.parse(lines, SERVICES))
        self.assertEqual(4, agg['count'])
        self.assertEqual(3, agg['per_service']['nova-api']['count'])
        per = agg['per_request'][
            'nova-api GET /v2.1/servers/{id}/action?all_tenants']
        self.assertEqual(3, per['count'])
        self.assertEqual(1, per['errors'])
        self.assertEqual(0.2, per['p50'])
        self.assertEqual({'2xx': 3, '4xx': 1}, agg['status_classes'])
