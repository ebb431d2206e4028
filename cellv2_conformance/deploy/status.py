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

"""`status` and `logs` for a deployment workdir."""

import json
import os

from cellv2_conformance.deploy import process
from cellv2_conformance.deploy.process import DeployError


def _state(workdir):
    if not process.State.exists(workdir):
        raise DeployError('no deployment in %s (no state file); deploy one '
                          'with `cellv2-conformance deploy --workdir %s`' %
                          (workdir, workdir))
    return process.State.load(workdir)


def rows(workdir):
    st = _state(workdir)
    out = []
    for name, rec in sorted(st.processes.items()):
        alive = process.is_alive(rec)
        out.append({'service': name, 'state': 'up' if alive else 'down',
                    'pid': rec['pid'], 'port': rec.get('port'),
                    'rss_mib': process.rss_mib(rec) if alive else 0,
                    'log': rec.get('log')})
    return st, out


def show(workdir, as_json=False):
    st, rs = rows(os.path.abspath(workdir))
    if as_json:
        print(json.dumps({'status': st.data.get('status'),
                          'scenario': st.data.get('scenario_name'),
                          'services': rs}, indent=1))
    else:
        print('deployment %s: scenario %s, status %s' % (
            st.workdir, st.data.get('scenario_name'),
            st.data.get('status')))
        print('%-26s %-5s %8s %6s %8s  %s' % ('SERVICE', 'STATE', 'PID',
                                              'PORT', 'RSS MiB', 'LOG'))
        for r in rs:
            print('%-26s %-5s %8s %6s %8s  %s' % (
                r['service'], r['state'], r['pid'], r['port'] or '-',
                r['rss_mib'], r['log']))
        total = sum(r['rss_mib'] for r in rs)
        print('total RSS %.0f MiB; %d/%d up' % (
            total, sum(1 for r in rs if r['state'] == 'up'), len(rs)))
    down = [r for r in rs if r['state'] != 'up']
    return 1 if down and st.data.get('status') == 'ready' else 0


def logs(workdir, service, lines=50):
    st = _state(os.path.abspath(workdir))
    rec = st.processes.get(service)
    candidates = []
    if rec:
        candidates.append(rec['log'])
    candidates.append(os.path.join(st.workdir, 'logs', service + '.log'))
    for path in candidates:
        if os.path.exists(path):
            print('==> %s <==' % path)
            print(process.tail(path, lines))
            return 0
    raise DeployError('no service %r in %s; known: %s' % (
        service, st.workdir, ', '.join(sorted(st.processes))))
