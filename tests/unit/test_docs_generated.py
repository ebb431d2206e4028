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
