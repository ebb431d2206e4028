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

"""Fuzz the inputs a user controls: scenario and inventory documents and
command lines.  Every input ends in success or one clear message with exit
2 (64 for an argparse usage error), never a traceback and never a process
left running.

Nothing here deploys: a scenario that validates is handed to `deploy` with
a workdir that is not ours (not empty, no marker), which must be refused
before anything starts.
"""

import contextlib
import io
import os
import shutil
import tempfile

import fixtures
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import psutil
import testtools
import yaml

from cellv2_conformance.cmd import main as cli
from cellv2_conformance import inventory
from cellv2_conformance import scenario

FUZZ = settings(max_examples=int(os.environ.get('CELLV2_FUZZ_EXAMPLES',
                                                '60')),
                deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 40, 2 ** 40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(
        ['auto', 'a\nb = c', '20000.0', 'cell1', 'mysql+pymysql://x', '',
         'rabbit://u:p@h/v', '../../etc', '{', '- x']))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)

VALID_SCENARIO = {'cells': [{'name': 'cell1', 'computes': 2,
                             'reservable': 1}],
                  'config': {'nova': {'DEFAULT': {'debug': True}}}}
VALID_INVENTORY = {
    'version': 1,
    'api': {'database': 'mysql+pymysql://os:pw@127.0.0.1:1/nova_api'},
    'cells': [{'name': 'cell1', 'uuid': 'u1',
               'database': 'mysql+pymysql://os:pw@127.0.0.1:1/nova_cell1',
               'transport': 'rabbit://os:pw@127.0.0.1:1/nova_cell1',
               'hosts': ['h1'],
               'db_server': {'process': 'mariadb-cell1', 'dedicated': True,
                             'port': 1},
               'services': {'conductor': {'process': 'c', 'pid': 1}}}],
    'mq': {'management_url': 'http://127.0.0.1:1', 'user': 'u',
           'password': 'p'},
    'services': {'nova-scheduler': {'pid': 1, 'process': 'nova-scheduler'}},
}


def _paths(doc, prefix=()):
    """Every key path of a nested document."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, prefix + (i,))
    return out


def _mutated(base):
    """``base`` with one value replaced (or one key added) at random."""
    paths = _paths(base)

    @st.composite
    def build(draw):
        import copy
        doc = copy.deepcopy(base)
        path = draw(st.sampled_from(paths))
        value = draw(_values)
        if not path:
            return value
        node = doc
        for p in path[:-1]:
            node = node[p]
        if draw(st.booleans()) and isinstance(node, dict):
            node[draw(st.text(max_size=8))] = value
        else:
            node[path[-1]] = value
        return doc
    return build()


def _documents(base):
    """Mutations, raw text (duplicate keys, YAML oddities) and whole random
    values.
    """
    texts = st.one_of(
        st.text(max_size=80),
        st.sampled_from([
            'cells: []\ncells: [{name: a}]\n',
            'cells: [{name: a, name: b}]\n',
            'base_port: 20000.0\ncells: [{name: a}]\n',
            'cells: 5\n', '- 1\n- 2\n', '!!python/object:os.system x\n',
            'cells: [{name: a}]\nconfig: {nova: {DEFAULT: {x: "a\\nb=c"}}}\n',
            'cells: &a [*a]\n', '\x00', '? [a]\n: b\n']))
    return st.one_of(_mutated(base).map(
        lambda d: yaml.safe_dump(d, allow_unicode=True)), texts)


class CliRun:
    """The CLI in-process: exit code, stdout, stderr."""

    def __init__(self, argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                self.code = cli.main(argv)
            except SystemExit as e:      # argparse usage errors
                self.code = e.code
        self.out, self.err = out.getvalue(), err.getvalue()


class FuzzBase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.children_before = {p.pid for p in
                                psutil.Process().children(recursive=True)}

    def assert_clean_outcome(self, run, argv, allowed=(0, 1, 2, 64)):
        what = '%r -> %r\nstdout: %s\nstderr: %s' % (
            argv, run.code, run.out[-800:], run.err[-800:])
        self.assertIn(run.code, allowed, what)
        self.assertNotIn('Traceback', run.out + run.err, what)
        self.assertNotIn('internal error', run.err, what)
        if run.code == 2:
            self.assertTrue(run.err.strip(), what)
        left = {p.pid for p in psutil.Process().children(recursive=True)}
        self.assertEqual(set(), left - self.children_before,
                         'process(es) left running: %s' % what)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w', encoding='utf-8', errors='replace') as f:
            f.write(text)
        os.chmod(path, 0o600)
        return path


class TestScenarioFuzz(FuzzBase):

    @FUZZ
    @given(_documents(VALID_SCENARIO))
    def test_load_text(self, text):
        try:
            scenario.load_text(text, source='fuzz.yaml')
        except scenario.ScenarioError as e:
            self.assertTrue(str(e).startswith('scenario fuzz.yaml'), str(e))

    @FUZZ
    @given(_documents(VALID_SCENARIO))
    def test_deploy_refuses_before_starting(self, text):
        path = self.write('scenario.yaml', text)
        foreign = os.path.join(self.tmp, 'not-ours')
        os.makedirs(foreign, exist_ok=True)
        self.write('not-ours/precious.txt', 'keep me')
        argv = ['deploy', '--scenario', path, '--workdir', foreign]
        run = CliRun(argv)
        self.assert_clean_outcome(run, argv, allowed=(2,))
        self.assertEqual(['precious.txt'], os.listdir(foreign))

    def test_config_injection_refused(self):
        e = self.assertRaises(
            scenario.ScenarioError, scenario.load_text,
            'cells: [{name: a}]\nconfig: {nova: {DEFAULT: '
            '{debug: "false\\n[database]\\nconnection = x"}}}\n', 'x.yaml')
        self.assertIn('config.nova.DEFAULT.debug', str(e))

    def test_float_port_and_duplicate_keys(self):
        e = self.assertRaises(scenario.ScenarioError, scenario.load_text,
                              'base_port: 20000.0\ncells: [{name: a}]\n',
                              'x.yaml')
        self.assertIn('base_port', str(e))
        e = self.assertRaises(scenario.ScenarioError, scenario.load_text,
                              'cells: [{name: a}]\ncells: [{name: b}]\n',
                              'x.yaml')
        self.assertIn('duplicate key', str(e))


class TestInventoryFuzz(FuzzBase):

    @FUZZ
    @given(_documents(VALID_INVENTORY))
    def test_load(self, text):
        path = self.write('inv.yaml', text)
        try:
            inventory.load(path)
        except inventory.InventoryError as e:
            self.assertIn(path, str(e))

    @FUZZ
    @given(_documents(VALID_INVENTORY),
           st.sampled_from(['targets', 'list', 'heal-all', 'inject']))
    def test_fault_commands(self, text, command):
        path = self.write('inv.yaml', text)
        wd = os.path.join(self.tmp, 'wd')
        os.makedirs(wd, exist_ok=True)
        argv = ['fault', command, '--workdir', wd]
        if command in ('targets', 'inject'):
            argv += ['--inventory', path]
        if command == 'inject':
            argv += ['--target', 'cell(cell1).db', '--action', 'stop',
                     '--ttl', '5']
        run = CliRun(argv)
        self.assert_clean_outcome(run, argv)
        if command == 'inject':
            # a hand-written inventory: refused without the opt-ins
            self.assertEqual(2, run.code, run.err)

    def test_examples_from_the_issue(self):
        for text in ('cells: 5\n', 'version: 1\ncells: [{name: a}]\n'):
            path = self.write('inv.yaml', text)
            e = self.assertRaises(inventory.InventoryError, inventory.load,
                                  path)
            self.assertIn('field cells', str(e))
        missing = os.path.join(self.tmp, 'nowhere.yaml')
        argv = ['fault', 'targets', '--inventory', missing]
        run = CliRun(argv)
        self.assertEqual(2, run.code)
        self.assertIn('does not exist', run.err)
        argv = ['fault', 'targets', '--workdir', '/nonexistent-cellv2']
        run = CliRun(argv)
        self.assert_clean_outcome(run, argv, allowed=(2,))


_words = st.one_of(st.text(max_size=10), st.sampled_from(
    ['--workdir', '--json', '--keep', '-n', '-5', '0', '--id', 'f-x',
     '--ttl', '-1', '1e3', '--target', 'cell(a).db', 'service(x)',
     '--action', 'stop', '--inventory', '--from', '--api-db',
     'mysql+pymysql://a:b@127.0.0.1:1/x', '--output', '-', '--hold',
     '--nova-conf', '--scenario', 'multi-cell', '\n',
     '--allow-foreign-faults']))
_COMMANDS = [['status'], ['logs'], ['logs', 'keystone'], ['down'],
             ['scenarios'], ['fault', 'targets'], ['fault', 'inject'],
             ['fault', 'heal'], ['fault', 'heal-all'], ['fault', 'list'],
             ['inventory'], ['report'], ['report', '--from'], ['bogus'],
             ['deploy', '--scenario']]


class TestCommandLineFuzz(FuzzBase):

    @FUZZ
    @given(st.sampled_from(_COMMANDS), st.lists(_words, max_size=6))
    def test_any_arguments(self, command, words):
        # every path stays inside our temporary directory
        sandbox = tempfile.mkdtemp(dir=self.tmp)
        self.addCleanup(shutil.rmtree, sandbox, True)
        argv = list(command)
        for w in words:
            if argv and argv[-1] in ('--workdir', '--inventory', '--from',
                                     '--output', '--nova-conf',
                                     '--scenario'):
                w = os.path.join(sandbox, os.path.basename(w) or 'x')
            argv.append(w)
        if '--workdir' not in argv:
            argv += ['--workdir', os.path.join(sandbox, 'w')]
        if argv[0] == 'deploy':
            # never a real deploy: a workdir that is not ours
            os.makedirs(os.path.join(sandbox, 'w'), exist_ok=True)
            self.write(os.path.join(sandbox, 'w', 'x'), 'x')
            argv = [a for a in argv if a != '--workdir']
            argv += ['--workdir', os.path.join(sandbox, 'w')]
        run = CliRun(argv)
        self.assert_clean_outcome(run, argv)
