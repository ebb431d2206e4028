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

"""`cleanup`: only what carries our mark, dependency order, idempotent,
failures counted (unit tests of our own logic; the functional test in
tests/functional/test_existing_cloud.py runs it against a real cloud)."""

import contextlib
import io

from tempest.lib import exceptions as lib_exc
import testtools

from cellv2_conformance.cmd import cleanup


class FakeCollection:
    """One kind of resource of a fake cloud: list, delete, show."""

    def __init__(self, log, kind, items, fail=()):
        self.log, self.kind, self.items = log, kind, list(items)
        self.fail = set(fail)

    def listed(self):
        return [dict(i) for i in self.items]

    def delete(self, ident):
        self.log.append((self.kind, ident))
        if ident in self.fail:
            raise lib_exc.ServerFault('boom')
        self.items = [i for i in self.items if i['id'] != ident]

    def show(self, ident):
        if not any(i['id'] == ident for i in self.items):
            raise lib_exc.NotFound()
        return {}


class FakeCloud:
    blazar = True

    def __init__(self, fail=()):
        self.log = []

        def mk(kind, items):
            return FakeCollection(self.log, kind, items, fail)
        self.c_servers = mk('server', [
            {'id': 's1', 'name': 'cellv2-lst-1'},
            {'id': 's2', 'name': 'production-db'},
            {'id': 's3', 'name': 'cellv2x-not-ours'}])
        self.c_leases = mk('lease', [
            {'id': 'l1', 'name': 'cellv2-lease-7', 'status': 'ACTIVE'},
            {'id': 'l2', 'name': 'customer-lease', 'status': 'ACTIVE'}])
        self.c_hosts = mk('host', [
            {'id': 'h1', 'hypervisor_hostname': 'cmp1',
             'cellv2_conformance_enrolled': 'cellv2'},
            {'id': 'h2', 'hypervisor_hostname': 'cmp2'},
            {'id': 'h3', 'hypervisor_hostname': 'cmp3',
             'cellv2_conformance_enrolled': 'cellv2'}])
        self.c_flavors = mk('flavor', [
            {'id': 'f1', 'name': 'cellv2-unplaceable-3'},
            {'id': 'f2', 'name': 'm1.small'}])
        self.c_users = mk('user', [
            {'id': 'u1', 'name': 'tempest-MultiCellListTest-12-project'},
            {'id': 'u2', 'name': 'admin'},
            {'id': 'u3', 'name': 'tempest-SomeoneElsesTest-12-project'}])
        self.c_projects = mk('project', [
            {'id': 'p1', 'name': 'tempest-MultiCellListTest-12'},
            {'id': 'p2', 'name': 'admin'}])
        c = self
        self.servers = type('S', (), {
            'list_servers': lambda s, **k: {'servers': c.c_servers.listed()},
            'delete_server': lambda s, i: c.c_servers.delete(i),
            'show_server': lambda s, i: c.c_servers.show(i)})()
        self.leases = type('L', (), {
            'list_leases': lambda s: {'leases': c.c_leases.listed()},
            'delete_lease': lambda s, i: c.c_leases.delete(i),
            'show_lease': lambda s, i: (c.c_leases.show(i), {
                'lease': {'status': 'ACTIVE'}})[1]})()
        self.hosts = type('H', (), {
            'list_hosts': lambda s: {'hosts': c.c_hosts.listed()},
            'delete_host': lambda s, i: c.c_hosts.delete(i),
            'show_host': lambda s, i: c.c_hosts.show(i)})()
        self.flavors = type('F', (), {
            'list_flavors': lambda s, **k: {'flavors': c.c_flavors.listed()},
            'delete_flavor': lambda s, i: c.c_flavors.delete(i),
            'show_flavor': lambda s, i: c.c_flavors.show(i)})()
        self.aggregates = type('A', (), {
            'list_aggregates': lambda s: {'aggregates': []}})()
        self.server_groups = type('G', (), {
            'list_server_groups': lambda s, **k: {'server_groups': []}})()
        self.keypairs = type('K', (), {
            'list_keypairs': lambda s, **k: {'keypairs': []}})()
        self.users = type('U', (), {
            'list_users': lambda s: {'users': c.c_users.listed()},
            'delete_user': lambda s, i: c.c_users.delete(i),
            'show_user': lambda s, i: c.c_users.show(i)})()
        self.projects = type('P', (), {
            'list_projects': lambda s: {'projects': c.c_projects.listed()},
            'delete_project': lambda s, i: c.c_projects.delete(i),
            'show_project': lambda s, i: c.c_projects.show(i)})()


class TestCleanup(testtools.TestCase):

    PATTERN = cleanup.identity_pattern('cellv2', 'tempest',
                                       ['MultiCellListTest'])

    def _run(self, cloud, dry=False, protected=()):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            found, failed = cleanup.Cleaner(cloud, 'cellv2', self.PATTERN,
                                            dry, protected).run()
        return found, failed, out.getvalue()

    def test_removes_only_ours_in_dependency_order(self):
        cloud = FakeCloud()
        found, failed, _ = self._run(cloud)
        self.assertEqual([], failed)
        self.assertEqual([('lease', 'l1'), ('server', 's1'), ('host', 'h1'),
                          ('host', 'h3'), ('flavor', 'f1'), ('user', 'u1'),
                          ('project', 'p1')], cloud.log)
        self.assertEqual(['production-db', 'cellv2x-not-ours'],
                         [s['name'] for s in cloud.c_servers.items])
        self.assertEqual(['customer-lease'],
                         [x['name'] for x in cloud.c_leases.items])

    def test_idempotent(self):
        cloud = FakeCloud()
        self._run(cloud)
        cloud.log.clear()
        found, failed, out = self._run(cloud)
        self.assertEqual(([], [], []), (found, failed, cloud.log))

    def test_dry_run_changes_nothing(self):
        cloud = FakeCloud()
        found, failed, out = self._run(cloud, dry=True)
        self.assertEqual([], cloud.log)
        self.assertEqual(7, len(found))
        self.assertIn('would remove server cellv2-lst-1 (s1)', out)

    def test_failure_is_counted_and_the_rest_continues(self):
        cloud = FakeCloud(fail={'l1'})
        found, failed, out = self._run(cloud)
        self.assertEqual(1, len(failed))
        self.assertIn('lease cellv2-lease-7 (l1)', failed[0])
        self.assertIn('trust', failed[0])
        self.assertIn(('project', 'p1'), cloud.log)

    def test_protected_host_kept(self):
        cloud = FakeCloud()
        self._run(cloud, protected=['cmp3'])
        self.assertEqual(['h2', 'h3'], [h['id'] for h in cloud.c_hosts.items])

    def test_identity_pattern(self):
        self.assertTrue(self.PATTERN.match('cellv2-anything'))
        self.assertTrue(self.PATTERN.match(
            'tempest-MultiCellListTest-1234-project-admin'))
        self.assertFalse(self.PATTERN.match('tempest-OtherTest-1234'))
        self.assertFalse(self.PATTERN.match('MultiCellListTest-1234'))
        self.assertFalse(self.PATTERN.match('admin'))

    def test_our_test_classes(self):
        names = cleanup.our_test_classes()
        self.assertIn('MultiCellListTest', names)
        self.assertIn('LeaseLifecycleTest', names)
