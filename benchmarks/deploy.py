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

"""Benchmark the local deployer (JSON output; never a test assertion).

For each scenario, deploy twice and tear down:

* ``cold``: with an empty harness cache (no MariaDB template datadir, no
  cached migrated schemas), i.e. what a fresh machine pays once the Python
  environment is installed;
* ``warm``: a repeat with the cache filled by the cold run.

Records wall time per step (start offset and duration), total deploy time,
teardown time and the peak of the summed RSS of every process of the
deployment (sampled every 0.5 s).

    python benchmarks/deploy.py --scenarios single-cell multi-cell \\
        --output benchmarks/results/deploy.json
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import psutil

import _output  # benchmarks/, beside this script


def _rss_sampler(workdir, stop, out):
    peak = 0
    state = os.path.join(workdir, 'state.json')
    while not stop.is_set():
        try:
            with open(state) as f:
                procs = json.load(f)['processes']
        except (OSError, ValueError, KeyError):
            procs = {}
        total = 0
        pgids = {r.get('pgid', r['pid']) for r in procs.values()}
        for p in psutil.process_iter(['pid']):
            try:
                if os.getpgid(p.pid) in pgids:
                    total += p.memory_info().rss
            except (OSError, psutil.Error):
                continue
        peak = max(peak, total)
        stop.wait(0.5)
    out['peak_rss_mib'] = round(peak / 1048576.0, 1)


def one(scenario, cache, workroot):
    wd = tempfile.mkdtemp(prefix='bench-%s-' % scenario, dir=workroot)
    env = dict(os.environ, CELLV2_CACHE=cache)
    stop, rss = threading.Event(), {}
    th = threading.Thread(target=_rss_sampler, args=(wd, stop, rss))
    th.start()
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, '-m', 'cellv2_conformance.cmd.main',
                           'deploy', '--scenario', scenario, '--workdir', wd],
                          env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    stop.set()
    th.join()
    result = {'scenario': scenario, 'ok': proc.returncode == 0,
              'wall_s': round(wall, 2)}
    result.update(rss)
    try:
        with open(os.path.join(wd, 'deploy-timings.json')) as f:
            t = json.load(f)
        result['deploy_total_s'] = t['total_s']
        result['steps'] = t['steps']
        result['schema_cache_hits'] = t.get('schema_cache_hits')
    except OSError:
        result['error'] = proc.stderr[-2000:]
    t1 = time.monotonic()
    subprocess.run([sys.executable, '-m', 'cellv2_conformance.cmd.main',
                    'down', '--workdir', wd], env=env, capture_output=True)
    result['teardown_s'] = round(time.monotonic() - t1, 2)
    shutil.rmtree(wd, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--scenarios', nargs='+',
                    default=['single-cell', 'multi-cell'])
    ap.add_argument('--output', default='-')
    ap.add_argument('--workroot', default=tempfile.gettempdir())
    args = ap.parse_args()
    runs = []
    for sc in args.scenarios:
        cache = tempfile.mkdtemp(prefix='bench-cache-')
        try:
            for phase in ('cold', 'warm'):
                r = one(sc, cache, args.workroot)
                r['phase'] = phase
                runs.append(r)
                print('%-12s %-5s deploy %6.1fs  peak RSS %7.1f MiB  '
                      'teardown %5.1fs  ok=%s' % (
                          sc, phase, r.get('deploy_total_s', -1),
                          r.get('peak_rss_mib', -1), r['teardown_s'],
                          r['ok']), file=sys.stderr)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    doc = {'benchmark': 'deploy', 'schema_version': 1,
           'at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
           'machine': {'cpus': os.cpu_count(),
                       'mem_gib': round(psutil.virtual_memory().total /
                                        2 ** 30, 1),
                       'python': platform.python_version(),
                       'load_avg_at_start': os.getloadavg()},
           'runs': runs}
    _output.write(doc, args.output)
    return 0 if all(r['ok'] for r in runs) else 1


if __name__ == '__main__':
    sys.exit(main())
