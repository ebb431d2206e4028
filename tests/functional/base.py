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

"""Helpers for functional tests that drive the real CLI and a real cloud."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil
import testtools
import yaml

from cellv2_conformance.common import keystone
from cellv2_conformance.deploy import ports as ports_mod


def cli(*args, timeout=900, check=False):
    """Run the real command line in a subprocess."""
    proc = subprocess.run(
        [sys.executable, '-m', 'cellv2_conformance.cmd.main'] + list(args),
        capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError('cellv2-conformance %s failed (%d):\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout[-3000:],
            proc.stderr[-3000:]))
    return proc


class Cloud:
    """Admin access to a deployed cloud, from its inventory only."""

    def __init__(self, inventory_path):
        with open(inventory_path) as f:
            self.inv = yaml.safe_load(f)
        a = self.inv['auth']
        self.session = keystone.password_session(
            a['auth_url'], a['username'], a['password'], a['project_name'])
        access = self.session.auth.get_access(self.session)
        self.catalog = {e['type']: [x['url'] for x in e['endpoints']
                                    if x['interface'] == 'public'][0]
                        for e in access.service_catalog.catalog}

    def call(self, method, service, path, mv=None, expect=None, **kw):
        headers = {}
        if mv:
            headers['OpenStack-API-Version'] = 'compute %s' % mv
        r = self.session.request(self.catalog[service] + path, method,
                                 headers=headers, raise_exc=False,
                                 timeout=60, **kw)
        if expect is not None and r.status_code != expect:
            raise AssertionError('%s %s -> %d (wanted %d): %s' % (
                method, path, r.status_code, expect, r.text[:500]))
        return r.json() if r.content else None

    def wait_server(self, sid, status, timeout=120):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            s = self.call('GET', 'compute', '/servers/%s' % sid,
                          expect=200)['server']
            if not seen or seen[-1] != s['status']:
                seen.append(s['status'])
            if s['status'] == status:
                return s
            if s['status'] == 'ERROR':
                raise AssertionError('server %s went to ERROR: %s' % (
                    sid, s.get('fault')))
            if time.monotonic() > deadline:
                raise AssertionError('server %s not %s after %ds: %s' % (
                    sid, status, timeout, seen))
            time.sleep(0.3)

    def wait_gone(self, sid, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.session.get(self.catalog['compute'] + '/servers/' + sid,
                                 raise_exc=False, timeout=30)
            if r.status_code == 404:
                return
            time.sleep(0.3)
        raise AssertionError('server %s still there after %ds' % (sid,
                                                                  timeout))


class FunctionalTest(testtools.TestCase):

    def make_workdir(self):
        parent = os.environ.get('CELLV2_FUNCTIONAL_TMP') or \
            tempfile.gettempdir()
        wd = tempfile.mkdtemp(prefix='cellv2-func-', dir=parent)
        self.addCleanup(shutil.rmtree, wd, True)
        return wd

    def assert_nothing_left(self, state, workdir):
        """No process of the deployment alive; every port free."""
        for name, rec in state['processes'].items():
            try:
                p = psutil.Process(rec['pid'])
                alive = abs(p.create_time() - rec['create_time']) < 0.5 \
                    and p.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                alive = False
            self.assertFalse(alive, 'process %s (pid %s) still running' % (
                name, rec['pid']))
        stray = []
        for p in psutil.process_iter(['pid', 'cmdline']):
            try:
                if any(workdir in (a or '') for a in p.info['cmdline'] or []):
                    stray.append((p.pid, ' '.join(p.info['cmdline'])[:120]))
            except psutil.Error:
                pass
        self.assertEqual([], stray, 'processes still using %s' % workdir)
        busy = [(n, p) for n, p in state['ports'].items()
                if not ports_mod.is_free(p)]
        self.assertEqual([], busy, 'ports still in use after down')

    def read_state(self, workdir):
        with open(os.path.join(workdir, 'state.json')) as f:
            return json.load(f)
