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

"""`report --compare` on the two real report directories kept as the docs'
example, through the real command line, its HTML rendered by a real
headless browser (Debian's chromium; tools/bootstrap.sh installs it)."""

import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import testtools

from tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, 'doc', 'source', '_static', 'compare-example')
REGRESSED_RED = (0xc6, 0x28, 0x28)     # .banner.fail in report/html.py CSS


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit, non-interlaced RGB or
    RGBA PNG (what chromium writes), decoded with the standard library.
    """
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('%s is not a PNG' % path)
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError('unsupported PNG layout %s' % (header,))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xff
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return width, height, rows


class CompareInBrowserTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.chromium = shutil.which('chromium') or shutil.which(
            'chromium-browser')
        if not self.chromium:
            self.skipTest('chromium is not installed (tools/bootstrap.sh '
                          'installs the Debian package as root)')
        self.out = tempfile.mkdtemp(prefix='cellv2-compare-')
        self.addCleanup(shutil.rmtree, self.out, True)

    def test_compare_html_renders_in_chromium(self):
        proc = base.cli('report', '--compare', os.path.join(EXAMPLE, 'old'),
                        os.path.join(EXAMPLE, 'new'), '--output-dir',
                        self.out, timeout=120)
        # the example's new run has a seeded failure: a regression
        self.assertEqual(1, proc.returncode, proc.stdout + proc.stderr)
        self.assertIn('REGRESSED:', proc.stdout)
        page = os.path.join(self.out, 'compare.html')
        shot = os.path.join(self.out, 'compare.png')
        profile = os.path.join(self.out, 'profile')
        run = subprocess.run(
            [self.chromium, '--headless', '--no-sandbox', '--disable-gpu',
             '--hide-scrollbars', '--user-data-dir=' + profile,
             '--window-size=1280,1600', '--screenshot=' + shot,
             'file://' + page], capture_output=True, text=True, timeout=180)
        self.assertTrue(os.path.exists(shot), 'chromium wrote no screenshot '
                        '(exit %s): %s' % (run.returncode, run.stderr[-2000:]))
        width, height, rows = read_png(shot)
        self.assertEqual((1280, 1600), (width, height))
        pixels = [px for row in rows[::4] for px in row[::4]]
        colours = set(pixels)
        not_white = sum(1 for px in pixels if px != (255, 255, 255))
        self.assertGreater(len(colours), 50, 'screenshot looks blank')
        self.assertGreater(not_white / len(pixels), 0.2,
                           'screenshot is mostly empty')
        # the REGRESSED banner is drawn near the top
        banner = [px for row in rows[:200] for px in row]
        self.assertIn(REGRESSED_RED, banner, 'no red REGRESSED banner in '
                      'the top 200 pixels')
