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

"""The audit's rules on synthetic snapshots: a healthy cloud (with every
legitimate transient state) gives no record; each break gives the record
naming its object and cell."""

import collections
import copy

import testtools

from cellv2_conformance import audit
from cellv2_conformance.audit import external
from cellv2_conformance.audit import snapshot
from cellv2_conformance import inventory

CELL0 = snapshot.CELL0_UUID
C1, C2 = '11111111-1111-1111-1111-111111111111', \
    '22222222-2222-2222-2222-222222222222'
I1, I2, I0 = ('aaaaaaaa-0000-0000-0000-00000000000%d' % i for i in (1, 2, 3))
BUILDING = 'aaaaaaaa-0000-0000-0000-000000000009'
N1, N2 = 'nnnnnnnn-0000-0000-0000-000000000001', \
    'nnnnnnnn-0000-0000-0000-000000000002'
PROJ, USER = 'p1', 'u1'


def nt(kind, **kw):
    return collections.namedtuple(kind, kw)(**kw)


def inst(uuid, host, node, compute_id, vm_state='active', task=None,
         hidden=0):
    return nt('Instances', uuid=uuid, host=host, node=node,
              compute_id=compute_id, vm_state=vm_state, task_state=task,
              hidden=hidden, project_id=PROJ, user_id=USER, vcpus=1,
              memory_mb=128, root_gb=1, ephemeral_gb=0, instance_type_id=1)


def mig(uuid, instance, src, dst, status='migrating', cross=0):
    return nt('Migrations', uuid=uuid, instance_uuid=instance,
              source_compute=src, dest_compute=dst, source_node=src,
              dest_node=dst, dest_compute_id=None, status=status,
              migration_type='migration', cross_cell_move=cross)


def cell(hosts, instances, node_ids):
    return {
        'version': 'v1',
        'instances': instances,
        'deleted_instances': [],
        'services': [nt('Services', host=h, binary='nova-compute',
                        disabled=0, forced_down=0, version=74)
                     for h in hosts],
        'compute_nodes': [nt('ComputeNodes', id=i, uuid=u, host=h,
                             hypervisor_hostname=h, mapped=1,
                             hypervisor_type='fake')
                          for h, (i, u) in zip(hosts, node_ids)],
        'migrations': [],
    }


def healthy():
    cm = nt('CellMappings', id=1, uuid=CELL0, name='cell0',
            transport_url='none:///', database_connection='mysql://x@db/c0',
            disabled=0)
    m1 = cm._replace(id=2, uuid=C1, name='cell1',
                     transport_url='rabbit://n:p@mq:5672/c1',
                     database_connection='mysql://x@db1/c1')
    m2 = cm._replace(id=3, uuid=C2, name='cell2',
                     transport_url='rabbit://n:p@mq:5672/c2',
                     database_connection='mysql://x@db2/c2')

    def imap(uuid, cell_id):
        return nt('InstanceMappings', instance_uuid=uuid, cell_id=cell_id,
                  project_id=PROJ, user_id=USER, queued_for_delete=0)
    api = {
        'version': 'a1',
        'cell_mappings': [cm, m1, m2],
        'host_mappings': [nt('HostMappings', host='h1', cell_id=2),
                          nt('HostMappings', host='h2', cell_id=3)],
        'instance_mappings': [imap(I1, 2), imap(I2, 3), imap(I0, 1),
                              imap(BUILDING, None)],
        'build_requests': [nt('BuildRequests', instance_uuid=BUILDING,
                              project_id=PROJ)],
        'request_specs': [nt('RequestSpecs', instance_uuid=u)
                          for u in (I1, I2, I0, BUILDING)],
        'flavors': [nt('Flavors', id=1, flavorid='c1', vcpus=1,
                       memory_mb=128, root_gb=1, ephemeral_gb=0, swap=0)],
        'flavor_extra_specs': [],
        'aggregates': [], 'aggregate_hosts': [], 'aggregate_metadata': [],
    }
    c0 = cell([], [inst(I0, None, None, None, vm_state='error')], [])
    c1 = cell(['h1'], [inst(I1, 'h1', 'h1', 1)], [(1, N1)])
    c2 = cell(['h2'], [inst(I2, 'h2', 'h2', 1)], [(1, N2)])
    rc = [nt('Classes', id=0, name='VCPU'), nt('Classes', id=1,
                                               name='MEMORY_MB'),
          nt('Classes', id=2, name='DISK_GB')]
    providers = [nt('Providers', id=1, uuid=N1, name='h1',
                    root_provider_id=1, parent_provider_id=None),
                 nt('Providers', id=2, uuid=N2, name='h2',
                    root_provider_id=2, parent_provider_id=None)]

    def alloc(consumer, rp):
        return [nt('Allocations', consumer_id=consumer,
                   resource_provider_id=rp, resource_class_id=c, used=u)
                for c, u in ((0, 1), (1, 128), (2, 1))]
    placement = {
        'version': 'p1', 'providers': providers, 'classes': rc,
        'allocations': alloc(I1, 1) + alloc(I2, 2) + alloc(BUILDING, 1),
        'consumers': [nt('Consumers', uuid=u, project=PROJ, user=USER)
                      for u in (I1, I2, BUILDING)],
        'inventory_classes': [nt('Inv', resource_provider_id=p,
                                 resource_class_id=c)
                              for p in (1, 2) for c in (0, 1, 2)],
        'provider_aggregates': [],
    }
    snap = snapshot.Snapshot()
    snap.api, snap.placement = api, placement
    snap.cells = {'cell0': c0, 'cell1': c1, 'cell2': c2}
    snap.sources = [
        snapshot.CellSource('cell0', CELL0, 'mysql://db/c0', mapping=cm),
        snapshot.CellSource('cell1', C1, 'mysql://db1/c1', mapping=m1),
        snapshot.CellSource('cell2', C2, 'mysql://db2/c2', mapping=m2)]
    return snap


def add_alloc(snap, consumer):
    """VCPU=1 on h1's provider for ``consumer``, with its consumer row."""
    pl = snap.placement
    pl['allocations'].append(pl['allocations'][0]._replace(
        consumer_id=consumer))
    if consumer not in {c.uuid for c in pl['consumers']}:
        pl['consumers'].append(pl['consumers'][0]._replace(uuid=consumer))


INV = inventory.Inventory({'version': 1, 'cells': [
    {'name': 'cell1', 'uuid': C1, 'database': 'mysql://x@db1/c1',
     'transport': 'rabbit://n:p@mq:5672/c1'},
    {'name': 'cell2', 'uuid': C2, 'database': 'mysql://x@db2/c2',
     'transport': 'rabbit://n:p@mq:5672/c2'}]})


class TestRules(testtools.TestCase):

    def judge(self, snap):
        found, _ = audit.judge(snap, INV)
        return found.records

    def assertOnly(self, records, family, obj, cell):
        self.assertTrue(records, 'no record')
        self.assertEqual({(family, obj, cell)},
                         {(r.family, r.obj, r.cell) for r in records},
                         '\n'.join(r.line() for r in records))

    def test_healthy_with_transient_states_is_clean(self):
        # a BUILD in flight (mapping without cell, build request, claim),
        # a cell0 instance without host or allocation
        self.assertEqual([], self.judge(healthy()))

    def test_cross_cell_hidden_copy_while_moving_is_clean(self):
        snap = healthy()
        snap.cells['cell2']['instances'].append(
            inst(I1, 'h2', 'h2', 1, hidden=1))
        m = mig('mmmm', I1, 'h1', 'h2', status='post-migrating', cross=1)
        snap.cells['cell1']['instances'][0] = inst(
            I1, 'h1', 'h1', 1, task='resize_migrating')
        snap.cells['cell1']['migrations'].append(m)
        snap.cells['cell2']['migrations'].append(m)
        self.assertEqual([], self.judge(snap))

    def test_hidden_copy_without_move_is_named(self):
        snap = healthy()
        snap.cells['cell2']['instances'].append(
            inst(I1, 'h2', 'h2', 1, hidden=1))
        recs = [r for r in self.judge(snap)
                if r.family == 'instance-mappings']
        self.assertOnly(recs, 'instance-mappings', I1, 'cell2')

    def test_resize_awaiting_confirm_is_clean(self):
        snap = healthy()
        snap.cells['cell1']['instances'][0] = inst(I1, 'h1', 'h1', 1,
                                                   vm_state='resized')
        snap.cells['cell1']['migrations'].append(
            mig('mmmm', I1, 'h1', 'h1', status='finished'))
        # the migration holds the source allocation
        add_alloc(snap, 'mmmm')
        self.assertEqual([], self.judge(snap))

    def test_deleted_instance_queued_for_delete_is_clean(self):
        snap = healthy()
        snap.cells['cell1']['deleted_instances'].append(nt(
            'D', uuid='dead'))
        snap.api['instance_mappings'].append(snap.api['instance_mappings'][
            0]._replace(instance_uuid='dead', queued_for_delete=1))
        snap.api['request_specs'].append(nt('R', instance_uuid='dead'))
        self.assertEqual([], self.judge(snap))

    def test_deleted_instance_not_queued_is_named(self):
        snap = healthy()
        snap.cells['cell1']['deleted_instances'].append(nt(
            'D', uuid='dead'))
        snap.api['instance_mappings'].append(snap.api['instance_mappings'][
            0]._replace(instance_uuid='dead', queued_for_delete=0))
        snap.api['request_specs'].append(nt('R', instance_uuid='dead'))
        self.assertOnly(self.judge(snap), 'instance-mappings', 'dead',
                        'cell1')

    def test_wrong_cell_mapping_is_named(self):
        snap = healthy()
        snap.api['instance_mappings'][0] = snap.api['instance_mappings'][
            0]._replace(cell_id=3)
        self.assertOnly(self.judge(snap), 'instance-mappings', I1, 'cell1')

    def test_missing_mapping_repair_is_map_instances(self):
        snap = healthy()
        del snap.api['instance_mappings'][1]
        recs = self.judge(snap)
        self.assertOnly(recs, 'instance-mappings', I2, 'cell2')
        self.assertIn('map_instances --cell_uuid %s' % C2, recs[0].repair)

    def test_orphan_mapping_without_build_request_is_named(self):
        snap = healthy()
        snap.api['build_requests'] = []
        snap.placement['allocations'] = [
            a for a in snap.placement['allocations']
            if a.consumer_id != BUILDING]
        self.assertOnly(self.judge(snap), 'instance-mappings', BUILDING, '')

    def test_split_brain(self):
        snap = healthy()
        snap.cells['cell2']['instances'].append(inst(I1, 'h2', 'h2', 1))
        recs = [r for r in self.judge(snap)
                if 'split brain' in r.problem]
        self.assertOnly(recs, 'instance-mappings', I1, 'cell1,cell2')

    def test_unmapped_and_misplaced_hosts(self):
        snap = healthy()
        snap.api['host_mappings'] = [nt('HostMappings', host='h2',
                                        cell_id=2)]
        recs = self.judge(snap)
        self.assertEqual({('host-mappings', 'h1', 'cell1'),
                          ('host-mappings', 'h2', 'cell2')},
                         {(r.family, r.obj, r.cell) for r in recs})

    def test_cell0_instance_holding_allocations(self):
        snap = healthy()
        add_alloc(snap, I0)
        self.assertOnly(self.judge(snap), 'placement-allocations', I0,
                        'cell0')

    def test_leaked_move_allocation(self):
        snap = healthy()
        snap.placement['allocations'].append(snap.placement[
            'allocations'][0]._replace(consumer_id=I2))
        recs = self.judge(snap)
        self.assertOnly(recs, 'placement-allocations', I2, 'cell2')
        self.assertIn('allocation unset --provider %s %s' % (N1, I2),
                      recs[0].repair)

    def test_missing_allocation_and_wrong_amount(self):
        snap = healthy()
        snap.placement['allocations'] = [
            a._replace(used=2) if (a.consumer_id, a.resource_class_id) == (
                I1, 0) else a for a in snap.placement['allocations']
            if a.consumer_id != I2]
        recs = self.judge(snap)
        self.assertEqual({('placement-allocations', I1, 'cell1'),
                          ('placement-allocations', I2, 'cell2')},
                         {(r.family, r.obj, r.cell) for r in recs})

    def test_stale_provider_and_node_without_provider(self):
        snap = healthy()
        snap.placement['providers'][1] = snap.placement['providers'][
            1]._replace(uuid='other')
        snap.placement['allocations'] = [
            a for a in snap.placement['allocations'] if a.consumer_id != I2]
        recs = {(r.family, r.obj) for r in self.judge(snap)
                if r.family == 'placement-providers'}
        self.assertEqual({('placement-providers', 'h2')}, recs)

    def test_idle_migration_and_unknown_host(self):
        snap = healthy()
        snap.cells['cell1']['migrations'].append(
            mig('mmmm', I1, 'h1', 'gone'))
        recs = self.judge(snap)
        self.assertEqual({('migrations', 'mmmm', 'cell1')},
                         {(r.family, r.obj, r.cell) for r in recs})
        self.assertEqual(2, len(recs))

    def test_schema_and_shared_database(self):
        snap = healthy()
        snap.cells['cell2']['version'] = 'v0'
        src = snap.sources[2]
        src.mapping = src.mapping._replace(
            database_connection='mysql://x@db1/c1')
        snap.api['cell_mappings'][2] = src.mapping
        recs = {(r.family, r.obj, r.cell) for r in self.judge(snap)}
        self.assertIn(('schema-versions', 'cell2', 'cell2'), recs)
        self.assertIn(('cell-mappings', C2, 'cell2'), recs)

    def test_confirm_keeps_only_what_both_readings_show(self):
        first, second = healthy(), healthy()
        first.api['instance_mappings'][0] = first.api['instance_mappings'][
            0]._replace(cell_id=3)
        snaps = [first, second]
        self.patch(snapshot, 'take', lambda inv, **kw: snaps.pop(0))
        result = audit.run(INV, with_status=False, with_mq=False)
        self.assertEqual([], result.records)
        self.assertEqual([], snaps)

    def test_allocations_grouped_by_sql_are_read_alike(self):
        snap = healthy()
        grouped = {}
        for a in snap.placement['allocations']:
            grouped.setdefault((a.consumer_id, a.resource_provider_id),
                               []).append('%d=%d' % (a.resource_class_id,
                                                     a.used))
        snap.placement['allocations'] = [
            nt('Allocations', consumer_id=c, resource_provider_id=rp,
               amounts=','.join(v)) for (c, rp), v in grouped.items()]
        self.assertEqual([], self.judge(snap))
        snap.placement['allocations'][0] = snap.placement['allocations'][
            0]._replace(amounts='0=2,1=128,2=1')
        self.assertOnly(self.judge(snap), 'placement-allocations', I1,
                        'cell1')

    def test_allocation_without_consumer_row(self):
        snap = healthy()
        snap.placement['consumers'] = [
            c for c in snap.placement['consumers'] if c.uuid != I1]
        recs = self.judge(snap)
        self.assertOnly(recs, 'placement-allocations', I1, '')
        self.assertIn('online_data_migrations', recs[0].repair)

    def test_store_error_is_audit_error(self):
        def boom(inv, **kw):
            raise snapshot.StoreError('cell cell2 database: cannot connect')
        self.patch(snapshot, 'take', boom)
        e = self.assertRaises(audit.AuditError, audit.run, INV)
        self.assertIn('cell cell2 database', str(e))

    def test_to_dict_groups_records(self):
        snap = healthy()
        snap.api['instance_mappings'][0] = snap.api['instance_mappings'][
            0]._replace(cell_id=3)
        snaps = [snap, copy.deepcopy(snap)]
        self.patch(snapshot, 'take', lambda inv, **kw: snaps.pop(0))
        d = audit.run(INV, with_status=False, with_mq=False).to_dict()
        self.assertFalse(d['consistent'])
        fam = [f for f in d['families'] if f['family'] ==
               'instance-mappings'][0]
        self.assertEqual('inconsistent', fam['status'])
        self.assertEqual(I1, fam['records'][0]['object'])


STATUS = """\
+---------------------------------------------------------------------+
| Upgrade Check Results                                               |
+---------------------------------------------------------------------+
| Check: Cells v2                                                     |
| Result: Success                                                     |
| Details: None                                                       |
+---------------------------------------------------------------------+
| Check: Service User Token Configuration                             |
| Result: Failure                                                     |
| Details:  Service user token configuration is required for all Nova |
|   services. For more details see the following: https://docs        |
|   .openstack.org/nova/latest/admin/configuration/service-           |
|   user-token.html                                                   |
+---------------------------------------------------------------------+
"""


class TestNovaStatus(testtools.TestCase):

    def test_parse(self):
        res = external.parse_status(STATUS)
        self.assertEqual(('Cells v2', 'Success', ''), res[0])
        self.assertEqual('Failure', res[1][1])
        self.assertIn('https://docs.openstack.org/nova/latest/admin/'
                      'configuration/service-user-token.html', res[1][2])
