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

"""The self-contained HTML report and its hand-written SVG charts."""

import re
import xml.etree.ElementTree as ET

import testtools

from cellv2_conformance.report import html
from cellv2_conformance.report import svg
from tests.unit import test_report_document as docs
from tests.unit import test_report_results as fx

REQUESTS = [{'service': 'nova-api', 'method': 'GET', 'path': '/v2.1/x',
             'status': 200, 'seconds': v, 'at': fx.T0.isoformat()}
            for v in (0.01, 0.05, 0.2, 1.5)]
SAMPLES = [{'op': 'boot', 'cell': c, 'seconds': v}
           for c, v in (('cell1', 1.0), ('cell1', 1.4), ('cell2', 3.0))]


class HtmlTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.page = html.render(docs.sample_doc(), samples=SAMPLES,
                                requests=REQUESTS)

    def test_self_contained(self):
        self.assertNotIn('<script', self.page)
        self.assertIsNone(re.search(r'(src|href)="(https?:)?//', self.page))
        self.assertNotIn('@import', self.page)

    def test_sections(self):
        for anchor in ('findings', 'failures', 'cells', 'latency',
                       'timeline', 'deploy', 'slowest', 'requests',
                       'environment', 'tests'):
            self.assertIn('id="%s"' % anchor, self.page)
        self.assertIn('FAIL: 3 check(s) failed', self.page)
        self.assertIn('blazar-500', self.page)
        self.assertIn('fault f1', self.page)      # shaded window label

    def test_redaction_keeps_markup(self):
        # the finding's observed text holds "token: ..." right before
        # markup: only the value may be masked
        self.assertIn('<code>token: ***</code></td>', self.page)

    def test_no_secrets(self):
        for s in (docs.SECRET, 'AdminPw999', 'gAAAAAsecret'):
            self.assertNotIn(s, self.page)

    def test_every_svg_is_well_formed(self):
        svgs = re.findall(r'<svg.*?</svg>', self.page, re.S)
        self.assertGreaterEqual(len(svgs), 5)
        for s in svgs:
            ET.fromstring(s)

    def test_labels_escaped(self):
        out = svg.gantt([('<b>&', [(0, 1, '#000', '"<x>"')])], 1)
        self.assertNotIn('<b>', out)
        ET.fromstring(out)

    def test_empty_inputs(self):
        page = html.render({'verdict': 'empty', 'results': []})
        self.assertIn('NO RESULTS', page)
        self.assertEqual('', svg.boxplots([('a', [])]))
        self.assertEqual('', svg.histogram([]))
        self.assertEqual('', svg.scatter([('a', '#000', [])], 1))

    def test_heat_scale(self):
        self.assertEqual('hsl(120,70%,82%)', svg.heat(0.1, 0.1, 10))
        self.assertEqual('hsl(0,70%,82%)', svg.heat(10, 0.1, 10))
        self.assertEqual('#fafafa', svg.heat(None, 0, 1))

    def test_fmt(self):
        self.assertEqual(['-', '0s', '5.0ms', '120ms', '1.50s', '12.0s',
                          '150s'], [svg.fmt_s(v) for v in (
                              None, 0, 0.005, 0.12, 1.5, 12, 150)])


class AxisTest(testtools.TestCase):

    def test_time_ticks(self):
        self.assertEqual(60, svg._time_step(540))
        self.assertEqual(1, svg._time_step(9))
        self.assertEqual(['0', '5m', '1.5m'], [
            svg._tick(0, 60), svg._tick(300, 60), svg._tick(90, 30 * 2)])
        self.assertEqual('15s', svg._tick(15, 15))
