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

"""Fault soak: many random fault cycles on a deployed cloud, with the
injecting process, the watchdog or the whole cloud (`down`) killed at
random moments.  JSON output; bounded in cycles and in time; loopback only
(the cloud is the local deployer's).

Every cycle injects one fault (a random target and action from
`fault targets`, every pair in turn) with `fault inject --hold`, then one
of:

* ``heal``: SIGTERM to the holding command, which heals;
* ``kill-injector``: kill -9 of it once active: the watchdog heals;
* ``kill-early``: kill -9 of it while it injects: the watchdog heals;
* ``kill-watchdog``: kill -9 of the watchdog, then SIGTERM: the command
  heals;
* ``kill-both``: kill -9 of both: nobody is left; `fault list` must say
  so and `fault heal-all` heals;
* ``down`` (a few, spread over the run): `down` mid-fault, then 0
  processes and 0 listening ports of the deployment, then a redeploy.

After each cycle: the fault is closed, 0 open faults, every recorded
service up.  At the end: every nova service up in os-services and (with
``--down-at-end``) nothing left after `down`.

    python benchmarks/fault_soak.py --workdir work/soak --cycles 200 \\
        --max-seconds 3600 --output benchmarks/results/fault_soak.json
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import time

import psutil
import requests
import yaml

import _output  # benchmarks/, beside this script

from cellv2_conformance.deploy import ports as ports_mod
from cellv2_conformance.deploy import process
from cellv2_conformance.faults import journal as journal_mod

MODES = (('heal', 35), ('kill-injector', 25), ('kill-early', 12),
         ('kill-watchdog', 15), ('kill-both', 8))
CLOSE_TIMEOUT = 300


def cli(*args, timeout=900):
    return subprocess.run([sys.executable, '-m',
                           'cellv2_conformance.cmd.main'] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def _now_wall():
    return time.time()


def _iso(ts):
    return datetime.datetime.fromisoformat(ts).timestamp()


def _commit():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=here,
                              capture_output=True, text=True).stdout.strip(
                                  ) or os.environ.get('CELLV2_COMMIT')
    except OSError:
        return os.environ.get('CELLV2_COMMIT')


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (k - lo), 2)


class Soak:
    def __init__(self, args):
        self.args = args
        self.wd = os.path.abspath(args.workdir)
        self.rng = random.Random(args.seed)
        self.cycles = []
        self.findings = []
        self.kills = {'injector': 0, 'watchdog': 0}
        self.downs = 0
        self.deploys = []
        self.alias_refusals = 0
        self.t0 = time.monotonic()

    # -- deployment ---------------------------------------------------
    def state(self):
        with open(os.path.join(self.wd, 'state.json')) as f:
            return json.load(f)

    def ensure_deployed(self):
        try:
            if self.state().get('status') == 'ready':
                return
        except (OSError, ValueError):
            pass
        t0 = time.monotonic()
        r = cli('deploy', '--scenario', self.args.scenario, '--workdir',
                self.wd, timeout=1800)
        if r.returncode != 0:
            raise SystemExit('deploy failed:\n%s' % r.stderr[-3000:])
        self.deploys.append(round(time.monotonic() - t0, 1))

    def journal(self):
        return journal_mod.Journal(os.path.join(self.wd, 'faults.jsonl'))

    def pairs(self):
        r = cli('fault', 'targets', '--workdir', self.wd)
        if r.returncode != 0:
            raise SystemExit('fault targets failed: %s' % r.stderr)
        out = []
        for line in r.stdout.splitlines():
            target, _, actions = line.strip().partition(' ')
            for a in actions.replace(',', ' ').split():
                out.append((target, a))
        return out

    # -- checks -------------------------------------------------------
    def services_up(self, timeout=120):
        """Recorded services not running (what `status` reports), read
        in-process: a CLI round trip per cycle costs seconds under load.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                st = process.State.load(self.wd)
                down = [n for n, r in st.processes.items()
                        if not process.is_alive(r)]
            except process.DeployError as e:
                down = ['state: %s' % e]
            if not down:
                return []
            if time.monotonic() > deadline:
                return down
            time.sleep(1)

    def nothing_left(self, state):
        alive = []
        for name, rec in state['processes'].items():
            try:
                p = psutil.Process(rec['pid'])
                if abs(p.create_time() - (rec.get('create_time') or 0)) < 1 \
                        and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(name)
            except psutil.Error:
                pass
        for p in psutil.process_iter(['cmdline']):
            try:
                if any(self.wd in (a or '') for a in p.info['cmdline'] or
                       []) and p.pid != os.getpid():
                    alive.append('pid %d %s' % (p.pid, ' '.join(
                        p.info['cmdline'])[:80]))
            except psutil.Error:
                pass
        busy = [n for n, port in state['ports'].items()
                if not ports_mod.is_free(port)]
        return alive, busy

    # -- one cycle ------------------------------------------------------
    def wait_closed(self, fault_id, timeout=CLOSE_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                rec = self.journal().get(fault_id)
            except KeyError:
                rec = None
            if rec and rec.get('status') in journal_mod.CLOSED:
                return rec
            time.sleep(0.2)
        return None

    def new_fault_id(self, before, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            new = set(self.journal().records()) - before
            if new:
                return new.pop()
            time.sleep(0.05)
        return None

    def cycle(self, n, target, action, mode):
        c = {'n': n, 'target': target, 'action': action, 'mode': mode}
        before = set(self.journal().records())
        proc = subprocess.Popen(
            [sys.executable, '-m', 'cellv2_conformance.cmd.main', 'fault',
             'inject', '--workdir', self.wd, '--target', target, '--action',
             action, '--ttl', str(self.args.ttl), '--hold'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        fault_id = None
        try:
            if mode == 'kill-early':
                fault_id = self.new_fault_id(before)
                time.sleep(self.rng.uniform(0, 1.5))
                trigger = _now_wall()
                proc.kill()
                self.kills['injector'] += 1
            else:
                active = False
                for line in proc.stdout:
                    if line.startswith('holding the fault'):
                        active = True
                        break
                    m = re.match(r'fault (f-[0-9a-f]+):', line)
                    if m:
                        fault_id = m.group(1)
                if not active:
                    proc.wait(60)
                    c.update(outcome='inject-failed', code=proc.returncode,
                             error=proc.stderr.read().strip()[-300:])
                    self.findings.append('cycle %d: %s %s could not be '
                                         'injected (exit %s): %s' % (
                                             n, target, action, c['code'],
                                             c['error']))
                    fault_id = fault_id or self.new_fault_id(before, 1)
                    return self.after(c, fault_id, None)
                if mode == 'down-mid-fault':
                    return self.down_mid_fault(c, proc, fault_id)
                if self.rng.random() < 0.1 and target.endswith('.db'):
                    self.try_alias(c, target, action)
                rec = self.journal().get(fault_id)
                watchdog = (rec.get('watchdog') or {}).get('pid')
                trigger = _now_wall()
                if mode == 'heal':
                    proc.send_signal(signal.SIGTERM)
                elif mode == 'kill-injector':
                    proc.kill()
                    self.kills['injector'] += 1
                elif mode in ('kill-watchdog', 'kill-both'):
                    if watchdog:
                        try:
                            os.kill(watchdog, signal.SIGKILL)
                            self.kills['watchdog'] += 1
                        except ProcessLookupError:
                            pass
                    if mode == 'kill-both':
                        proc.kill()
                        self.kills['injector'] += 1
                        time.sleep(1)
                        listed = cli('fault', 'list', '--workdir', self.wd)
                        c['listed_needs_attention'] = \
                            'NEEDS ATTENTION' in listed.stdout
                        if not c['listed_needs_attention']:
                            self.findings.append(
                                'cycle %d: orphaned fault %s not shown as '
                                'needing attention' % (n, fault_id))
                        trigger = _now_wall()
                        cli('fault', 'heal-all', '--workdir', self.wd)
                    else:
                        proc.send_signal(signal.SIGTERM)
            return self.after(c, fault_id, trigger)
        finally:
            if proc.poll() is None:
                try:
                    proc.wait(CLOSE_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    self.findings.append('cycle %d: inject --hold did not '
                                         'exit' % n)
            proc.stdout.close()
            proc.stderr.close()

    def try_alias(self, c, target, action):
        cell = re.match(r'cell\(([^)]+)\)', target).group(1)
        r = cli('fault', 'inject', '--workdir', self.wd, '--target',
                'service(mariadb-%s)' % cell, '--action', action, '--ttl',
                '30')
        if r.returncode == 2 and 'already under open fault' in r.stderr:
            self.alias_refusals += 1
        else:
            self.findings.append('cycle %d: alias of %s not refused (exit '
                                 '%s): %s' % (c['n'], target, r.returncode,
                                              r.stdout + r.stderr))
            cli('fault', 'heal-all', '--workdir', self.wd)

    def after(self, c, fault_id, trigger):
        c['fault'] = fault_id
        if fault_id:
            rec = self.wait_closed(fault_id)
            if rec is None:
                c['outcome'] = c.get('outcome') or 'not-closed'
                self.findings.append('cycle %d: fault %s (%s %s, %s) not '
                                     'closed within %ds' % (
                                         c['n'], fault_id, c['target'],
                                         c['action'], c['mode'],
                                         CLOSE_TIMEOUT))
                cli('fault', 'heal-all', '--workdir', self.wd)
            else:
                c['closed_as'] = rec['status']
                c['healed_by'] = rec.get('healed_by')
                if trigger and rec['status'] == 'healed':
                    c['heal_latency_s'] = round(
                        _iso(rec['written_at']) - trigger, 2)
        open_ = [r['id'] for r in self.journal().open_faults()]
        if open_:
            self.findings.append('cycle %d: open faults after the cycle: %s'
                                 % (c['n'], open_))
            cli('fault', 'heal-all', '--workdir', self.wd)
        down = self.services_up()
        if down:
            self.findings.append('cycle %d: services down after %s %s (%s): '
                                 '%s' % (c['n'], c['target'], c['action'],
                                         c['mode'], down))
        c['services_down_after'] = down
        c.setdefault('outcome', 'ok' if not down else 'unhealthy')
        return c

    def down_mid_fault(self, c, proc, fault_id):
        state = self.state()
        t0 = time.monotonic()
        r = cli('down', '--workdir', self.wd)
        c['down_s'] = round(time.monotonic() - t0, 1)
        c['down_exit'] = r.returncode
        self.downs += 1
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        time.sleep(1)
        alive, busy = self.nothing_left(state)
        c.update(processes_left=alive, ports_left=busy)
        if r.returncode != 0 or alive or busy:
            self.findings.append('cycle %d: down mid-fault (%s %s): exit '
                                 '%d, left %s, ports %s: %s' % (
                                     c['n'], c['target'], c['action'],
                                     r.returncode, alive, busy,
                                     r.stderr[-300:]))
        c['outcome'] = 'ok' if not (alive or busy) else 'left-behind'
        self.ensure_deployed()
        return c

    # -- run --------------------------------------------------------------
    def run(self):
        self.ensure_deployed()
        load_start = os.getloadavg()
        pairs = self.pairs()
        modes = [m for m, w in MODES for _ in range(w)]
        order = []
        down_at = set()
        if self.args.downs:
            step = self.args.cycles // (self.args.downs + 1)
            down_at = {step * (i + 1) for i in range(self.args.downs)}
        for n in range(1, self.args.cycles + 1):
            if time.monotonic() - self.t0 > self.args.max_seconds:
                break
            if not order:
                order = list(pairs)
                self.rng.shuffle(order)
            target, action = order.pop()
            mode = 'down-mid-fault' if n in down_at else \
                self.rng.choice(modes)
            t0 = time.monotonic()
            c = self.cycle(n, target, action, mode)
            c['seconds'] = round(time.monotonic() - t0, 1)
            self.cycles.append(c)
            print('%3d %-34s %-15s %-15s %-10s heal %ss (%ss)' % (
                n, target, action, mode, c.get('outcome'),
                c.get('heal_latency_s'), c['seconds']), flush=True)
        return self.report(load_start, pairs)

    def final_check(self):
        out = {'open_faults': [r['id'] for r in
                               self.journal().open_faults()],
               'services_down': self.services_up()}
        with open(os.path.join(self.wd, 'cells-inventory.yaml')) as f:
            inv = yaml.safe_load(f)
        a = inv['auth']
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': a['username'], 'domain': {'name': 'Default'},
                     'password': a['password']}}},
            'scope': {'project': {'name': a['project_name'],
                                  'domain': {'name': 'Default'}}}}}
        deadline = time.monotonic() + 180
        while True:
            try:
                r = requests.post(a['auth_url'] + '/auth/tokens', json=body,
                                  timeout=30)
                token = r.headers['X-Subject-Token']
                nova = inv['services']['nova-api']['url']
                svcs = requests.get(nova + '/v2.1/os-services', headers={
                    'X-Auth-Token': token}, timeout=30).json()['services']
                out['nova_services_down'] = sorted(
                    '%s@%s' % (s['binary'], s['host']) for s in svcs
                    if s['state'] != 'up')
            except (requests.RequestException, KeyError, ValueError) as e:
                out['nova_services_down'] = ['API: %s' % type(e).__name__]
            if not out['nova_services_down'] or \
                    time.monotonic() > deadline:
                break
            time.sleep(5)
        if self.args.down_at_end:
            state = self.state()
            r = cli('down', '--workdir', self.wd)
            alive, busy = self.nothing_left(state)
            out.update(down_exit=r.returncode, processes_left=alive,
                       ports_left=busy)
        return out

    def report(self, load_start, pairs):
        final = self.final_check()
        lat = [c['heal_latency_s'] for c in self.cycles
               if c.get('heal_latency_s') is not None]
        by_mode = {}
        for c in self.cycles:
            m = by_mode.setdefault(c['mode'], {'cycles': 0, 'latency': []})
            m['cycles'] += 1
            if c.get('heal_latency_s') is not None:
                m['latency'].append(c['heal_latency_s'])
        modes = {m: {'cycles': v['cycles'],
                     'heal_latency_p50_s': _pct(v['latency'], 0.5),
                     'heal_latency_p95_s': _pct(v['latency'], 0.95)}
                 for m, v in sorted(by_mode.items())}
        covered = {(c['target'], c['action']) for c in self.cycles}
        return {
            'benchmark': 'fault_soak',
            'date': datetime.datetime.now(datetime.timezone.utc).isoformat(),
            'scenario': self.args.scenario, 'seed': self.args.seed,
            'code': _commit(),
            'limits': {'cycles': self.args.cycles,
                       'max_seconds': self.args.max_seconds,
                       'ttl_s': self.args.ttl},
            'machine': {'cpus': os.cpu_count(),
                        'python': platform.python_version(),
                        'load_avg_at_start': load_start,
                        'load_avg_at_end': os.getloadavg()},
            'wall_s': round(time.monotonic() - self.t0, 1),
            'cycles': len(self.cycles),
            'target_action_pairs': len(pairs),
            'pairs_covered': len(covered),
            'kills': dict(self.kills), 'downs_mid_fault': self.downs,
            'deploys_s': self.deploys,
            'alias_refusals': self.alias_refusals,
            'outcomes': {o: sum(1 for c in self.cycles
                                if c.get('outcome') == o)
                         for o in sorted({c.get('outcome')
                                          for c in self.cycles})},
            'heal_latency_s': {'n': len(lat), 'p50': _pct(lat, 0.5),
                               'p95': _pct(lat, 0.95),
                               'max': max(lat) if lat else None,
                               'mean': round(statistics.mean(lat), 2)
                               if lat else None},
            'by_mode': modes,
            'final': final,
            'findings': self.findings,
            'cycle_log': self.cycles,
        }


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--workdir', default='work/soak')
    p.add_argument('--scenario', default='multi-cell')
    p.add_argument('--cycles', type=int, default=200)
    p.add_argument('--max-seconds', type=int, default=3600)
    p.add_argument('--downs', type=int, default=2,
                   help='cycles that run `down` mid-fault (then redeploy)')
    p.add_argument('--ttl', type=int, default=240)
    p.add_argument('--seed', type=int, default=9)
    p.add_argument('--down-at-end', action='store_true')
    p.add_argument('--output', default='-')
    args = p.parse_args()
    doc = Soak(args).run()
    _output.write(doc, args.output)
    bad = doc['findings'] or doc['final'].get('open_faults') or \
        doc['final'].get('services_down') or \
        doc['final'].get('nova_services_down') or \
        doc['final'].get('processes_left') or doc['final'].get('ports_left')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
