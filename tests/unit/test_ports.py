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

import socket

import testtools

from cellv2_conformance.deploy import ports
from cellv2_conformance.deploy.process import DeployError
from cellv2_conformance import scenario


class TestPorts(testtools.TestCase):

    def test_plan_per_cell_db_servers(self):
        plan = ports.plan(scenario.load('multi-cell'))
        self.assertIn('db-cell1', plan)
        self.assertIn('db-cell2', plan)
        self.assertEqual(len(plan), len(set(plan.values())))

    def test_plan_node_isolation(self):
        sc = scenario.load_text('mq: {isolation: node}\n'
                                'blazar: {enabled: false}\n'
                                'cells: [{name: a}, {name: b}]\n')
        plan = ports.plan(sc)
        self.assertIn('mq-management-b', plan)
        self.assertEqual(len(plan), len(set(plan.values())))

    def test_port_in_use_is_named(self):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 0))
        s.listen(1)
        self.addCleanup(s.close)
        busy = s.getsockname()[1]
        sc = scenario.load_text('base_port: %d\nblazar: {enabled: false}\n'
                                'cells: [{name: a}]\n' % busy)
        e = self.assertRaises(DeployError, ports.allocate, sc)
        self.assertIn('%d (wanted by keystone)' % busy, str(e))
        self.assertIn('base_port=%d' % busy, str(e))

    def test_auto_allocation_free(self):
        got = ports.allocate(scenario.load('single-cell'))
        for p in got.values():
            self.assertTrue(ports.is_free(p))
