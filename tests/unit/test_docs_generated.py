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

"""Generated and hand-written docs stay true to the code."""

import os
import subprocess
import sys

import testtools

from cellv2_conformance.cmd import exitcodes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class DocsTest(testtools.TestCase):

    def test_configuration_reference_is_up_to_date(self):
        page = os.path.join(ROOT, 'doc', 'source', 'configuration.rst')
        p = subprocess.run(
            [sys.executable, os.path.join(ROOT, 'tools',
                                          'gen_config_reference.py'),
             '--check', page], capture_output=True, text=True, timeout=120)
        self.assertEqual(0, p.returncode, p.stderr)
        with open(page, encoding='utf-8') as f:
            text = f.read()
        from cellv2_conformance import config
        for group, opts in config.list_opts():
            self.assertIn('[%s]' % group.name, text)
            for opt in opts:
                self.assertIn('``%s``' % opt.dest, text)

    def test_cli_page_lists_every_exit_code(self):
        with open(os.path.join(ROOT, 'doc', 'source', 'cli.rst'),
                  encoding='utf-8') as f:
            text = ' '.join(f.read().split())
        for code, meaning in exitcodes.TABLE:
            self.assertIn('%d %s' % (code, ' '.join(
                meaning.replace('`', '``').split())), text)
