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

"""Unit tests of the Masakari integration's own logic: the scenario switch,
the port plan, the config writer, the host-failure target and payload."""

import fixtures
import testtools

from cellv2_conformance.deploy import configs
from cellv2_conformance.deploy import masakari
from cellv2_conformance.deploy import ports
from cellv2_conformance.faults import host_failure
from cellv2_conformance.faults import targets
from cellv2_conformance import scenario
from tests.unit import test_faults


def _layout(enabled=True):
    extra = ('masakari',) if enabled else ()
    users = ('admin',) + configs.SERVICE_USERS + extra
    return configs.Layout(
        workdir='/w', venv_bin='/v/bin',
        ports={'keystone': 1, 'masakari-api': 2, 'blazar-api': 3,
               'nova-api': 4, 'placement': 5, 'glance': 6, 'neutron': 7},
        passwords={u: 'pw-' + u for u in users},
        db_urls={'blazar': 'mysql+pymysql://os:x@h/blazar',
                 'masakari': 'mysql+pymysql://os:x@h/masakari',
                 'masakari_taskflow': 'mysql+pymysql://os:x@h/mtf'},
        transports={'masakari': 'rabbit://os:x@h/masakari',
                    'blazar': 'rabbit://os:x@h/blazar'},
        cells=[], blazar_enabled=True, masakari_enabled=enabled)


def _ini(conf):
    """{section: {key: value}} of a rendered config (last value wins)."""
    return {sect: dict(opts) for sect, opts in conf.items()}


class TestScenarioSwitch(testtools.TestCase):

    def test_multi_cell_enables_masakari(self):
        sc = scenario.load('multi-cell')
        self.assertTrue(masakari.enabled(sc))
        # an in-cell spare for auto evacuation: two ordinary hosts per cell
        for cell in sc.cells:
            self.assertEqual(2, cell.computes - cell.reservable, cell.name)

    def test_off_elsewhere(self):
        for name in ('single-cell', 'many-cells'):
            sc = scenario.load(name)
            self.assertFalse(masakari.enabled(sc), name)
            self.assertEqual((), masakari.databases(sc))
            self.assertNotIn('masakari-api', ports.plan(sc))

    def test_unknown_key_named(self):
        e = self.assertRaises(scenario.ScenarioError, scenario.load_text,
                              'masakari: {enable: true}\n'
                              'cells: [{name: a}]\n')
        self.assertIn("field masakari: unknown key(s) 'enable'", str(e))

    def test_port_planned(self):
        plan = ports.plan(scenario.load('multi-cell'))
        self.assertIn('masakari-api', plan)
        self.assertEqual(len(plan), len(set(plan.values())))


class TestConfig(testtools.TestCase):

    def test_engine_settings(self):
        c = _ini(configs.masakari(_layout()))
        d = c['DEFAULT']
        self.assertEqual('rabbit://os:x@h/masakari', d['transport_url'])
        self.assertEqual(0, d['notification_delay_max'])
        self.assertEqual('masakari', d['os_privileged_user_name'])
        self.assertEqual('mysql+pymysql://os:x@h/mtf',
                         c['taskflow']['connection'])
        self.assertEqual('password', c['keystone_authtoken']['auth_type'])
        self.assertFalse(c['host_failure']['evacuate_all_instances'])

    def test_nova_sees_a_dead_compute_soon(self):
        on = _ini(configs.nova_common(_layout()))['DEFAULT']
        off = _ini(configs.nova_common(_layout(False)))['DEFAULT']
        # nova raises service_down_time to 2.5 x report_interval otherwise
        self.assertGreater(on['service_down_time'],
                           2.5 * on['report_interval'])
        self.assertNotIn('service_down_time', off)

    def test_blazar_polling_monitor(self):
        on = _ini(configs.blazar(_layout()))['physical:host']
        off = _ini(configs.blazar(_layout(False)))['physical:host']
        self.assertTrue(on['enable_polling_monitor'])
        self.assertFalse(off['enable_polling_monitor'])

    def test_catalog_entry(self):
        types = [t for t, _, _ in configs.catalog(_layout())]
        self.assertIn('instance-ha', types)
        self.assertNotIn('instance-ha', [
            t for t, _, _ in configs.catalog(_layout(False))])


class TestHostFailureTarget(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.wd = self.useFixture(fixtures.TempDir()).path
        self.inv = test_faults._inventory(self.wd)

    def test_parse(self):
        ex = targets.parse(self.inv, 'cell(cell1).host(c1h1)')
        self.assertIsInstance(ex, host_failure.HostFailureExecutor)
        self.assertEqual(('nova-compute-c1h1', 'c1h1'), (ex.name, ex.host))
        ex.check_action('fail')
        ex.check_action('down')
        self.assertRaises(targets.FaultError, ex.check_action, 'freeze')

    def test_host_of_another_cell_refused(self):
        e = self.assertRaises(targets.FaultError, targets.parse, self.inv,
                              'cell(cell2).host(c1h1)')
        self.assertIn('not a compute of cell cell2', str(e))

    def test_actions_offered_by_the_cli(self):
        self.assertIn('fail', targets.known_actions())

    def test_payload_is_the_host_monitors(self):
        # masakari-monitors hostmonitor _make_event for a confirmed
        # power-off; anything but host_status NORMAL is ignored.
        self.assertEqual({'event': 'STOPPED', 'host_status': 'NORMAL',
                          'cluster_status': 'OFFLINE'},
                         host_failure.host_failure_payload())


SAMPLES = [
    {'op': 'recovery-detection', 'seconds': 14.0, 'cell': 'cell1',
     'host': 'cell1-cmp1'},
    {'op': 'recovery-notification-to-active', 'seconds': 30.0,
     'cell': 'cell1', 'host': 'cell1-cmp1', 'dest': 'cell1-cmp2',
     'server': 's1', 'notification': 'n1'},
    {'op': 'recovery-notification-to-active', 'seconds': 40.0,
     'cell': 'cell1', 'host': 'cell1-cmp1', 'dest': 'cell1-cmp2',
     'server': 's2', 'notification': 'n1'},
    {'op': 'recovery-failure-to-last-active', 'seconds': 55.0,
     'cell': 'cell1', 'host': 'cell1-cmp1', 'notification': 'n1'},
    {'op': 'recovery-notification-to-final', 'seconds': 36.0,
     'cell': 'cell1', 'host': 'cell1-cmp1', 'notification': 'n1',
     'status': 'finished'},
    {'op': 'recovery-detection', 'seconds': 18.0, 'cell': 'cell2',
     'host': 'cell2-cmp3'},
    {'op': 'blazar-failure-to-healed', 'seconds': 25.0, 'cell': 'cell2',
     'host': 'cell2-cmp3', 'replacement': 'cell1-cmp3',
     'replacement_cell': 'cell1'},
    {'op': 'boot-to-active', 'seconds': 3.0, 'cell': 'cell1'},
]


class TestRecoveryReport(testtools.TestCase):

    def test_summary(self):
        from cellv2_conformance.report import recovery
        rec = recovery.summarize(SAMPLES)
        self.assertEqual(['cell1-cmp1'], [f['host'] for f in
                                          rec['failures']])
        f = rec['failures'][0]
        self.assertEqual((14.0, 55.0, 'n1'), (
            f['detection_s'], f['failure_to_last_active_s'],
            f['notification']))
        self.assertEqual(['cell1-cmp2', 'cell1-cmp2'],
                         [m['dest'] for m in f['moves']])
        self.assertEqual(2, rec['instances_moved'])
        self.assertEqual(2, rec['per_cell']['cell1']['count'])
        self.assertEqual('cell1-cmp3', rec['leases'][0]['replacement'])
        md = '\n'.join(recovery.markdown(rec))
        self.assertIn('## Recovery (host failures)', md)
        self.assertIn('finished after 36.0 s', md)
        self.assertIn('Blazar healed the lease on cell2-cmp3', md)
        self.assertIn('cell1-cmp1', recovery.html(rec, str))

    def test_no_recovery_no_section(self):
        from cellv2_conformance.report import document
        from cellv2_conformance.report import recovery
        self.assertIsNone(recovery.summarize(SAMPLES[-1:]))
        self.assertEqual([], recovery.markdown(None))
        doc = document.build([], None, None, timing_samples=SAMPLES[-1:])
        self.assertNotIn('recovery', doc)
        doc = document.build([], None, None, timing_samples=SAMPLES)
        self.assertEqual(2, doc['recovery']['instances_moved'])


class TestRecoveryFindings(testtools.TestCase):
    """The findings state observations that can fail: each predicate
    matches the observation recorded on multi-cell and not the documented
    outcome (and vice versa).
    """

    SEEN = {'status': 'failed', 'statuses': ['running', 'error', 'failed'],
            'on_reserved_host': False, 'still_on_failed_host': True,
            'server_status': 'ACTIVE', 'vmoves_succeeded': [],
            'vmoves': [('failed', 'cell2-cmp1', None,
                        "Unexpected API Error. Please contact the "
                        "administrator\n<class 'nova.exception."
                        "ComputeHostNotFound'> (HTTP 500)")]}

    def _module(self):
        from cellv2_conformance.tests.serial import \
            test_host_failure_recovery
        return test_host_failure_recovery

    def test_reserved_host_other_cell(self):
        f = self._module().RESERVED_HOST_OTHER_CELL
        self.assertTrue(f.deviation(self.SEEN))
        self.assertFalse(f.documented(self.SEEN))
        fixed = dict(self.SEEN, status='finished', on_reserved_host=True,
                     still_on_failed_host=False,
                     statuses=['running', 'finished'],
                     vmoves_succeeded=['cell1-cmp2'])
        self.assertTrue(f.documented(fixed))
        self.assertFalse(f.deviation(fixed))
        # another failure (e.g. NoValidHost) is not this finding
        other = dict(self.SEEN, vmoves=[('failed', 'cell2-cmp1', None,
                                         'No valid host was found')])
        self.assertFalse(f.deviation(other))

    def test_evacuate_other_cell_500(self):
        from cellv2_conformance.common import findings
        f = self._module().EVACUATE_OTHER_CELL_500
        self.assertTrue(f.deviation(findings.Status(
            500, "Unexpected API Error. <class 'nova.exception."
            "ComputeHostNotFound'>")))
        self.assertFalse(f.deviation(findings.Status(500, 'other')))
        self.assertTrue(f.documented(findings.Status(400, 'x')))
