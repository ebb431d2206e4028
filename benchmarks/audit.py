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

"""Benchmark the consistency audit (JSON output; never a test assertion).

Deploys the ``many-cells`` scenario (cell0 + 8 cells), then grows it to
1,000 / 10,000 / 100,000 instances spread over the 8 cells: rows built
with nova's and placement's own SQLAlchemy tables (``instances``,
``instance_mappings``, ``request_specs``, placement ``consumers`` and
``allocations`` on each cell's compute provider, flavor amounts) and
bulk-inserted into the cells' real databases, so the cloud stays
consistent.  At each size it runs ``cellv2-conformance audit`` (read-only
account, without ``nova-status``, whose cost does not grow with the
cloud) ``--repeat`` times and records wall time, CPU time and peak RSS
of the audit process (getrusage), the CPU the MariaDB servers spent
meanwhile, the load average and the number of records (0 expected).  The
cloud is torn down at the end.

    python benchmarks/audit.py --output benchmarks/results/audit.json
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
import time
import uuid

import psutil
import sqlalchemy as sa
import yaml

import _output  # benchmarks/, beside this script

from nova.db.api import models as api_models
from nova.db.main import models as main_models
from placement.db.sqlalchemy import models as placement_models

SIZES = (1000, 10000, 100000)
BATCH = 5000


def cli(*args, timeout=3600):
    return subprocess.run([sys.executable, '-m',
                           'cellv2_conformance.cmd.main'] + list(args),
                          capture_output=True, text=True, timeout=timeout)


class Cloud:
    """Admin engines on the deployed databases, from the inventory."""

    def __init__(self, inv_path):
        with open(inv_path) as f:
            self.inv = yaml.safe_load(f)
        api_url = self.inv['api']['database']
        self.api = sa.create_engine(api_url)
        self.placement = sa.create_engine(api_url.rsplit('/', 1)[0] +
                                          '/placement')
        self.cells = [(c['name'], c['uuid'], sa.create_engine(
            c['database'].split('?')[0])) for c in self.inv['cells']]
        with self.api.connect() as conn:
            self.cell_id = {r.uuid: r.id for r in conn.execute(sa.text(
                'SELECT id, uuid FROM cell_mappings'))}
            self.flavor = conn.execute(sa.text(
                'SELECT id, vcpus, memory_mb, root_gb FROM flavors '
                'WHERE flavorid = \'c1\'')).one()
        with self.placement.connect() as conn:
            self.rp = {r.name: r.id for r in conn.execute(sa.text(
                'SELECT id, name FROM resource_providers'))}
            self.rc = {r.name: r.id for r in conn.execute(sa.text(
                'SELECT id, name FROM resource_classes WHERE name IN '
                '(\'VCPU\', \'MEMORY_MB\', \'DISK_GB\')'))}
        self.nodes = {}
        for name, _, engine in self.cells:
            with engine.connect() as conn:
                self.nodes[name] = conn.execute(sa.text(
                    'SELECT id, host, hypervisor_hostname FROM '
                    'compute_nodes WHERE deleted = 0')).first()

    def owner_ids(self, project, user):
        """placement projects/users rows for the benchmark's owner."""
        with self.placement.begin() as conn:
            for table, ext in (('projects', project), ('users', user)):
                conn.execute(sa.text(
                    'INSERT IGNORE INTO %s (external_id, created_at) '
                    'VALUES (:e, NOW())' % table), {'e': ext})
            p = conn.execute(sa.text('SELECT id FROM projects WHERE '
                                     'external_id = :e'), {'e': project})
            u = conn.execute(sa.text('SELECT id FROM users WHERE '
                                     'external_id = :e'), {'e': user})
            return p.scalar(), u.scalar()


def _batches(rows):
    for i in range(0, len(rows), BATCH):
        yield rows[i:i + BATCH]


def grow(cloud, count, project, user, pid, uid):
    """Add ``count`` consistent instances, spread over the cells."""
    now = datetime.datetime.utcnow()
    f = cloud.flavor
    per_cell = {name: [] for name, _, _ in cloud.cells}
    names = list(per_cell)
    for i in range(count):
        per_cell[names[i % len(names)]].append(str(uuid.uuid4()))
    spec = json.dumps({'nova_object.name': 'RequestSpec',
                       'nova_object.data': {}})
    mappings, specs, consumers, allocations = [], [], [], []
    for name, cell_uuid, engine in cloud.cells:
        node = cloud.nodes[name]
        rows = [{'uuid': u, 'created_at': now, 'deleted': 0,
                 'hidden': False, 'host': node.host,
                 'node': node.hypervisor_hostname, 'compute_id': node.id,
                 'vm_state': 'active', 'power_state': 1,
                 'project_id': project, 'user_id': user,
                 'instance_type_id': f.id, 'vcpus': f.vcpus,
                 'memory_mb': f.memory_mb, 'root_gb': f.root_gb,
                 'ephemeral_gb': 0, 'display_name': 'bench',
                 'launched_on': node.host, 'cleaned': 0, 'locked': False}
                for u in per_cell[name]]
        with engine.begin() as conn:
            for chunk in _batches(rows):
                conn.execute(main_models.Instance.__table__.insert(), chunk)
        rp = cloud.rp[node.hypervisor_hostname]
        for u in per_cell[name]:
            mappings.append({'instance_uuid': u, 'created_at': now,
                             'cell_id': cloud.cell_id[cell_uuid],
                             'project_id': project, 'user_id': user,
                             'queued_for_delete': False})
            specs.append({'instance_uuid': u, 'spec': spec,
                          'created_at': now})
            consumers.append({'uuid': u, 'project_id': pid, 'user_id': uid,
                              'generation': 1, 'created_at': now})
            for rc, used in (('VCPU', f.vcpus), ('MEMORY_MB', f.memory_mb),
                             ('DISK_GB', f.root_gb)):
                allocations.append({'consumer_id': u, 'used': used,
                                    'resource_provider_id': rp,
                                    'resource_class_id': cloud.rc[rc],
                                    'created_at': now})
    with cloud.api.begin() as conn:
        for chunk in _batches(mappings):
            conn.execute(api_models.InstanceMapping.__table__.insert(),
                         chunk)
        for chunk in _batches(specs):
            conn.execute(api_models.RequestSpec.__table__.insert(), chunk)
    with cloud.placement.begin() as conn:
        for chunk in _batches(consumers):
            conn.execute(placement_models.Consumer.__table__.insert(), chunk)
        for chunk in _batches(allocations):
            conn.execute(placement_models.Allocation.__table__.insert(),
                         chunk)


def db_cpu(workdir):
    """CPU seconds used so far by the deployment's MariaDB servers."""
    with open(os.path.join(workdir, 'state.json')) as f:
        procs = json.load(f)['processes']
    total = 0.0
    for name, rec in procs.items():
        if name.startswith('mariadb'):
            try:
                t = psutil.Process(rec['pid']).cpu_times()
                total += t.user + t.system
            except psutil.Error:
                continue
    return total


def audit(inv_path):
    """Run the audit command once: wall, CPU time and peak RSS of its own
    process (getrusage of the child), CPU the database servers spent
    meanwhile, exit code, records.
    """
    argv = [sys.executable, '-m', 'cellv2_conformance.cmd.main', 'audit',
            '--inventory', inv_path, '--no-nova-status', '--json']
    out_path = tempfile.mktemp(prefix='bench-audit-out-')
    workdir = os.path.dirname(inv_path)
    db0 = db_cpu(workdir)
    t0 = time.monotonic()
    with open(out_path, 'w') as out_f:
        proc = subprocess.Popen(argv, stdout=out_f,
                                stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    db_s = db_cpu(workdir) - db0
    with open(out_path) as f:
        out = f.read()
    os.unlink(out_path)
    records = None
    if '\n{' in out:
        try:
            records = json.JSONDecoder().raw_decode(
                out[out.index('\n{') + 1:])[0]['count']
        except ValueError:
            records = None
    last = [ln for ln in out.splitlines() if '(' in ln and 'read' in ln]
    return {'wall_s': round(wall, 2),
            'cpu_s': round(usage.ru_utime + usage.ru_stime, 2),
            'db_cpu_s': round(db_s, 2),
            'peak_rss_mib': round(usage.ru_maxrss / 1024.0, 1),
            'exit': os.waitstatus_to_exitcode(status), 'records': records,
            'load_avg': os.getloadavg(),
            'summary': last[-1] if last else out.strip()[-300:]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--output', default='-')
    ap.add_argument('--workroot', default=tempfile.gettempdir())
    ap.add_argument('--sizes', type=int, nargs='+', default=list(SIZES))
    ap.add_argument('--repeat', type=int, default=2,
                    help='audits per size (the machine is shared: load '
                         'varies; each is reported)')
    args = ap.parse_args()
    load_at_start = os.getloadavg()
    wd = tempfile.mkdtemp(prefix='bench-audit-', dir=args.workroot)
    work = os.path.join(wd, 'cloud')
    runs, error = [], None
    try:
        t0 = time.monotonic()
        r = cli('deploy', '--scenario', 'many-cells', '--workdir', work)
        deploy_s = round(time.monotonic() - t0, 1)
        if r.returncode != 0:
            raise RuntimeError('deploy failed: %s' % r.stderr[-2000:])
        inv_path = os.path.join(work, 'cells-inventory.yaml')
        cloud = Cloud(inv_path)
        project, user = 'bench-project', 'bench-user'
        pid, uid = cloud.owner_ids(project, user)
        have = 0
        runs.append(dict(audit(inv_path), instances=0))
        for size in sorted(args.sizes):
            t1 = time.monotonic()
            grow(cloud, size - have, project, user, pid, uid)
            insert_s = round(time.monotonic() - t1, 1)
            have = size
            for attempt in range(args.repeat):
                res = audit(inv_path)
                res.update({'instances': size, 'insert_s': insert_s,
                            'attempt': attempt + 1})
                runs.append(res)
                print('%7d instances: audit %6.2fs wall, %6.2fs CPU (+%.2fs '
                      'in MariaDB), peak RSS %7.1f MiB, exit %s, %s '
                      'record(s), load %.1f (insert %.1fs)' % (
                          size, res['wall_s'], res['cpu_s'], res['db_cpu_s'],
                          res['peak_rss_mib'], res['exit'], res['records'],
                          res['load_avg'][0], insert_s), file=sys.stderr)
    except Exception as e:    # keep what was measured
        error = '%s: %s' % (type(e).__name__, e)
        deploy_s = locals().get('deploy_s')
    finally:
        cli('down', '--workdir', work)
        shutil.rmtree(wd, ignore_errors=True)
    doc = {'benchmark': 'audit', 'schema_version': 1,
           'at': datetime.datetime.now(datetime.timezone.utc).isoformat(),
           'scenario': 'many-cells', 'cells': 8,
           'machine': {'cpus': os.cpu_count(),
                       'mem_gib': round(psutil.virtual_memory().total /
                                        2 ** 30, 1),
                       'python': platform.python_version(),
                       'load_avg_at_start': load_at_start},
           'deploy_s': deploy_s, 'runs': runs, 'error': error,
           'target': {'instances': 100000, 'wall_s': 30,
                      'peak_rss_mib': 1024}}
    _output.write(doc, args.output)
    return 0 if not error and all(r['exit'] == 0 for r in runs) else 1


if __name__ == '__main__':
    sys.exit(main())
