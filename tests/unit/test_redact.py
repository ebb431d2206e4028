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

import testtools

from cellv2_conformance import redact


class TestRedact(testtools.TestCase):

    def test_url_password(self):
        self.assertEqual('mysql+pymysql://os:***@127.0.0.1:1/nova',
                         redact.text('mysql+pymysql://os:s3cr3t@127.0.0.1:1'
                                     '/nova'))

    def test_registered_secret(self):
        redact.register('Zq81-unique-secret')
        self.assertEqual('pw is ***', redact.text('pw is Zq81-unique-secret'))

    def test_key_value(self):
        self.assertEqual('password = ***', redact.text('password = hunter22'))
        self.assertEqual('"X-Auth-Token": ***',
                         redact.text('"X-Auth-Token": gAAAAABfoo'))

    def test_argv(self):
        self.assertEqual(['x', '--bootstrap-password', '***'],
                         redact.argv(['x', '--bootstrap-password', 'abc']))

    def test_data(self):
        self.assertEqual({'password': '***', 'u': 'rabbit://a:***@h/v',
                          'n': [1]},
                         redact.data({'password': 'p', 'u':
                                      'rabbit://a:b@h/v', 'n': [1]}))
