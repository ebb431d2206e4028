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

"""Order statistics of timing samples."""

import testtools

from cellv2_conformance.timing import stats


class StatsTest(testtools.TestCase):

    def test_percentile_interpolates(self):
        self.assertEqual(1.5, stats.percentile([1, 2], 50))
        self.assertEqual(5.5, stats.percentile(list(range(1, 11)), 50))
        self.assertAlmostEqual(9.55, stats.percentile(list(range(1, 11)),
                                                      95))

    def test_single_and_empty(self):
        self.assertEqual(3, stats.percentile([3], 95))
        self.assertIsNone(stats.percentile([], 50))
        self.assertEqual({'count': 0}, stats.summary([]))

    def test_summary(self):
        s = stats.summary([0.3, 0.1, 0.2, None])
        self.assertEqual(3, s['count'])
        self.assertEqual(0.1, s['min'])
        self.assertEqual(0.2, s['p50'])
        self.assertEqual(0.3, s['max'])
        self.assertEqual(0.2, s['mean'])

    def test_group_skips_none_keys(self):
        g = stats.group([('a', 1), ('b', 2), (None, 3), ('a', 3)],
                        lambda x: x[0], lambda x: x[1])
        self.assertEqual(['a', 'b'], list(g))
        self.assertEqual(2, g['a']['count'])
        self.assertEqual(2, g['a']['p50'])
