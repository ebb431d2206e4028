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

"""The audit command's exit codes without a cloud, and the Consistency
section of every report."""

import io
import os
import tempfile
import xml.etree.ElementTree as ET

import fixtures
import testtools

from cellv2_conformance.cmd import main
from cellv2_conformance.report import consistency
from cellv2_conformance.report import html as html_mod
from cellv2_conformance.report import junit
from cellv2_conformance.report import markdown

SECTION = {
    'consistent': False, 'count': 2, 'cells': ['cell0', 'cell1', 'cell2'],
    'timings': {'total_s': 0.5},
    'families': [
        {'family': 'instance-mappings', 'compares': 'a vs b',
         'status': 'inconsistent', 'count': 2, 'skipped': None,
         'records': [
             {'family': 'instance-mappings', 'object': 'uuid-1',
              'cell': 'cell1', 'stores': ['API DB', 'cell DB cell1'],
              'problem': 'mapping names cell2', 'repair': 'fix-1'},
             {'family': 'instance-mappings', 'object': 'uuid-2',
              'cell': 'cell2', 'stores': ['API DB', 'cell DB cell2'],
              'problem': 'no mapping', 'repair': 'fix-2'}]},
        {'family': 'blazar-hosts', 'compares': 'c vs d',
         'status': 'skipped', 'count': 0, 'skipped': 'no Blazar',
         'records': []},
        {'family': 'host-mappings', 'compares': 'e vs f',
         'status': 'consistent', 'count': 0, 'skipped': None,
         'records': []}],
}


def doc(section=SECTION):
    return {'mode': 'audit', 'verdict': 'fail', 'counts': {}, 'results': [],
            'consistency': section}


class TestSection(testtools.TestCase):

    def test_markdown_groups_by_family_and_cell(self):
        text = markdown.render(doc())
        self.assertIn('## Consistency', text)
        self.assertIn('### instance-mappings (2)', text)
        self.assertLess(text.index('uuid-1'), text.index('uuid-2'))
        self.assertIn('repair: `fix-2`', text)

    def test_junit_has_one_testcase_per_family(self):
        root = junit.build(doc())
        suite = [s for s in root.iter('testsuite')
                 if s.get('name') == 'consistency'][0]
        cases = {c.get('name'): c for c in suite.iter('testcase')}
        self.assertEqual({'instance-mappings', 'blazar-hosts',
                          'host-mappings'}, set(cases))
        fail = cases['instance-mappings'].find('failure')
        self.assertIn('uuid-1', fail.text)
        self.assertIn('uuid-2', fail.text)
        self.assertIsNotNone(cases['blazar-hosts'].find('skipped'))
        self.assertIsNone(cases['host-mappings'].find('failure'))
        self.assertEqual('1', suite.get('failures'))
        ET.tostring(root)

    def test_html_lists_records(self):
        page = html_mod.render(doc())
        self.assertIn('id="consistency"', page)
        self.assertIn('uuid-2', page)
        self.assertIn('cell cell2', page)

    def test_no_section_without_audit(self):
        d = doc(None)
        self.assertNotIn('Consistency', markdown.render(d))
        self.assertEqual([], consistency.markdown(d))

    def test_headline_clean(self):
        clean = dict(SECTION, consistent=True, count=0)
        self.assertIn('consistent: 2 families checked (1 skipped) over '
                      'cell0 and 2 cell(s)', consistency.headline(clean))


class TestAuditCommand(testtools.TestCase):

    def run_cli(self, *argv):
        err = self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                                   io.StringIO()))
        out = self.useFixture(fixtures.MonkeyPatch('sys.stdout',
                                                   io.StringIO()))
        del err, out
        import sys
        rc = main.main(list(argv))
        return rc, sys.stdout.getvalue(), sys.stderr.getvalue()

    def _inventory(self, text):
        fd, path = tempfile.mkstemp(suffix='.yaml')
        os.write(fd, text.encode())
        os.close(fd)
        os.chmod(path, 0o600)
        self.addCleanup(os.unlink, path)
        return path

    def test_missing_inventory_is_exit_2(self):
        rc, out, err = self.run_cli('audit', '--inventory',
                                    '/nonexistent/inv.yaml')
        self.assertEqual(2, rc)
        self.assertIn('/nonexistent/inv.yaml does not exist', err)
        self.assertNotIn('Traceback', err)

    def test_unreachable_api_database_is_exit_2(self):
        path = self._inventory(
            'version: 1\napi: {readonly_database: "mysql+pymysql://ro:'
            'sekret@127.0.0.1:1/nova_api"}\ncells:\n- {name: c1, uuid: u1,'
            ' database: "mysql+pymysql://a:b@127.0.0.1:1/c1", transport: '
            '"rabbit://a:b@127.0.0.1:1/c1"}\n')
        rc, out, err = self.run_cli('audit', '--inventory', path)
        self.assertEqual(2, rc, out + err)
        self.assertIn('cannot audit: API database', err)
        self.assertEqual(1, len(err.strip().splitlines()), err)
        self.assertNotIn('sekret', out + err)

    def test_unknown_family_is_a_usage_error(self):
        path = self._inventory(
            'version: 1\ncells:\n- {name: c1, uuid: u1, database: x, '
            'transport: y}\n')
        rc, out, err = self.run_cli('audit', '--inventory', path,
                                    '--family', 'nope')
        self.assertEqual(64, rc)
        self.assertIn('unknown family nope', err)


class TestAuditIntoReport(testtools.TestCase):

    def test_tempest_conf_reaches_the_audit(self):
        # validate has the tempest.conf: placement is read through its API
        # when the inventory names no placement database (as `audit
        # --tempest-conf`), not skipped as if no tempest.conf was given.
        from unittest import mock

        from cellv2_conformance import audit
        from cellv2_conformance.cmd import audit as audit_cmd
        report_dir = self.useFixture(fixtures.TempDir()).path
        conf, inv = object(), object()
        with mock.patch.object(audit, 'run',
                               side_effect=audit.AuditError('x')) as run:
            section = audit_cmd.audit_into_report(report_dir, inv,
                                                  out=lambda m: None,
                                                  tempest_conf=conf)
        run.assert_called_once_with(inv, tempest_conf=conf)
        self.assertEqual('x', section['error'])
        self.assertTrue(os.path.exists(os.path.join(report_dir,
                                                    consistency.FILE)))


class TestPlacementAPISession(testtools.TestCase):

    def _conf(self, extra=''):
        import configparser
        cp = configparser.ConfigParser()
        cp.read_string('[identity]\nuri_v3 = https://k/v3\n%s\n[auth]\n'
                       'admin_username = admin\nadmin_password = pw\n'
                       % extra)
        return cp

    def _verify(self, cp):
        from unittest import mock

        from cellv2_conformance.audit import placement_api
        session = mock.Mock()
        session.get_endpoint.return_value = 'https://p/'
        with mock.patch.object(placement_api.keystone, 'password_session',
                               return_value=session) as ps:
            placement_api._session(cp, 5)
        return ps.call_args.kwargs['verify']

    def test_tls_settings_of_the_tempest_conf_are_honoured(self):
        # as tempest's clients and validate's keystone check do
        self.assertIs(True, self._verify(self._conf()))
        self.assertIs(False, self._verify(self._conf(
            'disable_ssl_certificate_validation = true')))
        self.assertEqual('/etc/ca.pem', self._verify(self._conf(
            'ca_certificates_file = /etc/ca.pem')))
