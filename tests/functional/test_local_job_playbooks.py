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

"""The local Zuul job's playbooks, run by ansible-playbook on localhost.

``cellv2-conformance-local-multi-cell`` runs playbooks/local/run.yaml and
then playbooks/local/post.yaml on its node.  Here both run for real, with
ansible-core from PyPI (a private venv under the cache directory, created
on first use), the job's variables narrowed (single-cell, a few checks) and
what Zuul provides stood in for: ``zuul.project.src_dir`` (this checkout,
linked where Zuul would put it), ``ansible_user_dir`` (a temporary home)
and the ``zuul_return`` module (tests/functional/zuul_stub).  Afterwards the
report files are where the base job's fetch-output collects them
(~/zuul-output/logs), the build-page artifact points at one of them, and the
cloud is gone.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys

import psutil
import yaml

from tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CACHE = os.environ.get('CELLV2_CACHE') or os.path.expanduser(
    '~/.cache/cellv2-conformance')
ANSIBLE_CORE = 'ansible-core>=2.17,<2.20'
SRC_DIR = 'src/opendev.org/x/cellv2-conformance'
REGEX = r'cellv2_conformance\.tests\.api\.test_topology\.CellTopologyTest'
REPORTS = ('report.html', 'run.json', 'junit.xml', 'results.subunit',
           'summary.md')


def ansible_playbook():
    """ansible-playbook from a cached private venv (created once)."""
    venv = os.path.join(CACHE, 'ansible-venv')
    exe = os.path.join(venv, 'bin', 'ansible-playbook')
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, 'ansible-venv.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(venv, '.complete')):
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
            # --no-compile: byte-compiling all of ansible-core costs more
            # than the few modules a run imports
            subprocess.run([os.path.join(venv, 'bin', 'pip'), 'install',
                            '-q', '--no-compile', ANSIBLE_CORE],
                           check=True, timeout=600)
            open(os.path.join(venv, '.complete'), 'w').close()
    return exe


class TestLocalJobPlaybooks(base.FunctionalTest):

    def _job_vars(self):
        with open(os.path.join(ROOT, 'zuul.d', 'jobs.yaml')) as f:
            jobs = {e['job']['name']: e['job'] for e in yaml.safe_load(f)}
        return jobs['cellv2-conformance-local-multi-cell']

    def _playbook(self, path, extra_vars, env):
        exe = ansible_playbook()
        # the node's Python: the venv's own (not whatever a PATH shim finds)
        env = dict(env, ANSIBLE_PYTHON_INTERPRETER=os.path.join(
            os.path.dirname(exe), 'python'))
        return subprocess.run(
            [exe, '-i', 'localhost,', '-c', 'local',
             '-e', '@' + extra_vars, os.path.join(ROOT, path)],
            env=env, capture_output=True, text=True, timeout=1500)

    def test_run_and_post_leave_the_reports_in_the_logs(self):
        job = self._job_vars()
        home = self.make_workdir()
        src = os.path.join(home, SRC_DIR)
        os.makedirs(os.path.dirname(src))
        os.symlink(ROOT, src)
        workdir = os.path.join(home, 'cellv2-work')
        self.addCleanup(base.cli, 'down', '--workdir', workdir)
        variables = dict(job['vars'], cellv2_scenario='single-cell',
                         cellv2_regex=REGEX, ansible_user_dir=home,
                         zuul={'project': {'src_dir': SRC_DIR},
                               'executor': {'log_root': os.path.join(
                                   home, 'executor-logs')}})
        extra_vars = os.path.join(home, 'vars.json')
        with open(extra_vars, 'w') as f:
            json.dump(variables, f)
        results = os.path.join(home, 'zuul-results.json')
        env = dict(os.environ, ZUUL_RESULTS=results,
                   ANSIBLE_LIBRARY=os.path.join(ROOT, 'tests', 'functional',
                                                'zuul_stub'),
                   ANSIBLE_LOCAL_TEMP=os.path.join(home, '.ansible-tmp'),
                   ANSIBLE_NOCOLOR='1')
        if not shutil.which('sudo'):
            # root without sudo (CI): become through su, which root passes.
            env['ANSIBLE_BECOME_METHOD'] = 'su'

        for field in ('run', 'post-run'):
            played = self._playbook(job[field], extra_vars, env)
            self.assertEqual(0, played.returncode, '%s %s:\n%s\n%s' % (
                field, job[field], played.stdout[-4000:],
                played.stderr[-2000:]))

        logs = os.path.join(home, 'zuul-output', 'logs')
        for name in REPORTS:
            path = os.path.join(logs, 'reports', name)
            self.assertTrue(os.path.isfile(path), '%s missing' % path)
            self.assertGreater(os.path.getsize(path), 0, path)
        with open(results) as f:
            artifacts = json.load(f)['zuul']['artifacts']
        self.assertEqual(['reports/report.html'],
                         [a['url'] for a in artifacts])
        self.assertTrue(os.path.isfile(os.path.join(logs, artifacts[0][
            'url'])))
        with open(os.path.join(logs, 'reports', 'run.json')) as f:
            doc = json.load(f)
        self.assertEqual([], [t['id'] for t in doc['results']
                              if t['status'] in ('fail', 'error')])
        self.assertGreaterEqual(doc['counts'].get('success', 0), 5,
                                doc['counts'])
        # run-main.sh tore the cloud down: no state left, no process of it
        self.assertFalse(os.path.exists(os.path.join(workdir, 'state.json')))
        stray = []
        for proc in psutil.process_iter(['pid', 'cmdline']):
            if any(workdir in (arg or '')
                   for arg in proc.info['cmdline'] or []):
                stray.append((proc.pid, proc.info['cmdline'][:3]))
        self.assertEqual([], stray, 'processes still using %s' % workdir)

    def test_post_run_without_reports_copies_nothing_and_passes(self):
        job = self._job_vars()
        home = self.make_workdir()
        extra_vars = os.path.join(home, 'vars.json')
        with open(extra_vars, 'w') as f:
            json.dump({'ansible_user_dir': home}, f)
        env = dict(os.environ, ZUUL_RESULTS=os.path.join(home, 'r.json'),
                   ANSIBLE_LIBRARY=os.path.join(ROOT, 'tests', 'functional',
                                                'zuul_stub'),
                   ANSIBLE_LOCAL_TEMP=os.path.join(home, '.ansible-tmp'))
        if not shutil.which('sudo'):
            env['ANSIBLE_BECOME_METHOD'] = 'su'
        played = self._playbook(job['post-run'], extra_vars, env)
        self.assertEqual(0, played.returncode, played.stdout[-3000:])
        self.assertFalse(os.path.exists(os.path.join(home, 'zuul-output')))
        self.assertFalse(os.path.exists(os.path.join(home, 'r.json')))
