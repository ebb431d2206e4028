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

"""The main job end to end: `cellv2-conformance run` deploys the default
multi-cell scenario, runs the whole conformance suite (Cells v2 and Blazar
checks, serial fault checks included), writes the reports and tears down.
No check may fail (known deviations are expected failures with a recorded
finding), no secret may appear in any report file, nothing may be left
running."""

import json
import os

import yaml

from tests.functional import base


class TestMainJob(base.FunctionalTest):

    def _run_suite(self, scenario_name):
        wd = self.make_workdir()
        work = os.path.join(wd, 'cloud')
        reports = os.path.join(wd, 'reports')
        self.addCleanup(base.cli, 'down', '--workdir', work)
        r = base.cli('run', '--scenario', scenario_name, '--workdir', work,
                     '--report-dir', reports, '--keep', timeout=3000)
        # Keep the artifacts of a failed run where CI can find them.
        out_dir = os.environ.get('CELLV2_ARTIFACTS')
        if out_dir:
            import shutil
            shutil.copytree(reports, os.path.join(out_dir, scenario_name),
                            dirs_exist_ok=True)
        with open(os.path.join(reports, 'run.json')) as f:
            doc = json.load(f)
        failed = [t for t in doc['results']
                  if t['status'] in ('fail', 'error', 'uxsuccess')]
        # What a CI reader needs first: which check failed and why.
        why = '\n\n'.join('%s:\n%s' % (t['id'], (t.get('failure') or '')[
            -3000:]) for t in failed)
        self.assertEqual([], [t['id'] for t in failed],
                         why + '\n' + r.stdout[-2000:] + r.stderr[-2000:])
        self.assertEqual(0, r.returncode, r.stderr[-3000:])
        counts = doc['counts']
        self.assertGreater(counts.get('success', 0), 50, counts)
        for name in ('run.json', 'junit.xml', 'results.subunit',
                     'report.html', 'summary.md'):
            self.assertTrue(os.path.getsize(os.path.join(reports, name)),
                            name)

        # no password or token of this deployment in any report file
        with open(os.path.join(work, 'cells-inventory.yaml')) as f:
            inv = yaml.safe_load(f)
        secrets = {inv['auth']['password'], inv['mq']['password']}
        from urllib.parse import urlsplit
        for c in inv['cells']:
            secrets.add(urlsplit(c['database']).password)
            secrets.add(urlsplit(c['readonly_database']).password)
        for dirpath, _, files in os.walk(reports):
            for fn in files:
                with open(os.path.join(dirpath, fn), 'rb') as f:
                    data = f.read()
                for s in secrets:
                    self.assertNotIn(s.encode(), data,
                                     'a password leaked into %s' % fn)

        state = self.read_state(work)
        r = base.cli('down', '--workdir', work)
        self.assertEqual(0, r.returncode, r.stderr)
        self.assert_nothing_left(state, work)
        return doc

    def test_main_job_multi_cell(self):
        doc = self._run_suite('multi-cell')
        # both suites ran against two cells
        ids = ' '.join(t['id'] for t in doc['results'])
        self.assertIn('test_reservation', ids)
        self.assertIn('cellv2_conformance.tests.api', ids)
