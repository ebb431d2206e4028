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

"""Build the catalogue of checks (the conformance matrix) from the test
classes' and methods' docstrings: doc/source/checks.rst."""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, 'cellv2_conformance', 'tests')


def main(out):
    lines = ['Catalogue of checks', '===================', '',
             'Generated from the docstrings of the tempest checks by',
             '``tools/gen_catalogue.py``. Each check has a stable idempotent '
             'id.', '']
    total = 0
    found = {}
    for kind in ('api', 'scenario', 'serial'):
        d = os.path.join(TESTS, kind)
        files = sorted(f for f in os.listdir(d)
                       if f.startswith('test_') and f.endswith('.py'))
        if not files:
            continue
        title = {'api': 'API checks', 'scenario': 'Scenario checks',
                 'serial': 'Serial checks (global state, faults)'}[kind]
        lines += [title, '-' * len(title), '']
        for fn in files:
            tree = ast.parse(open(os.path.join(d, fn)).read())
            defs = _finding_defs(tree)
            for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
                tests = [f for f in cls.body
                         if isinstance(f, ast.FunctionDef) and
                         f.name.startswith('test')]
                if not tests:
                    continue
                mod = 'cellv2_conformance.tests.%s.%s' % (kind, fn[:-3])
                for fid, summary, documented, deviation in _findings(
                        cls, defs):
                    found.setdefault(fid, (summary, documented, deviation,
                                           []))[3].append(
                        '%s.%s' % (mod, cls.name))
                lines += ['``%s.%s``' % (mod, cls.name), '']
                doc = ast.get_docstring(cls) or '(no description)'
                lines += ['  ' + ln for ln in doc.splitlines()] + ['']
                for f in tests:
                    total += 1
                    fdoc = (ast.get_docstring(f) or '').split('\n\n')[0]
                    lines.append('  * ``%s``%s' % (
                        f.name, (': ' + ' '.join(fdoc.split())) if fdoc
                        else ''))
                lines.append('')
    lines += ['Total: %d checks.' % total, '']
    lines += ['Known findings', '--------------', '',
              'Deviations from the documented behaviour that checks record '
              'as findings. Each states the documented observation and the '
              'exact deviation it expects: that deviation is reported as a '
              'known finding (expected failure), the documented behaviour '
              'as "finding no longer reproduced" (a failure only with '
              '``[cellv2] strict_findings = true``), anything else as a '
              'plain failure.', '']
    for fid in sorted(found):
        summary, documented, deviation, classes = found[fid]
        lines += ['``%s``' % fid, '  %s (%s)' % (summary, ', '.join(
            '``%s``' % c.rsplit('.', 1)[-1] for c in sorted(set(classes)))),
            '', '  * documented: %s' % documented,
            '  * expected deviation: %s' % deviation, '']
    lines += ['Total: %d findings.' % len(found), '']
    with open(out, 'w') as f:
        f.write('\n'.join(lines))
    print('%d checks -> %s' % (total, out))


def _finding_defs(tree):
    """{name: (id, summary, documented, deviation)} of the module-level
    ``NAME = findings.Finding(id, summary, documented=..., deviation=...)``
    definitions of a check module.
    """
    out = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and
                isinstance(node.targets[0], ast.Name) and
                isinstance(node.value, ast.Call) and
                getattr(node.value.func, 'attr', None) == 'Finding'):
            continue
        call = node.value
        if len(call.args) < 2:
            continue
        kw = {k.arg: k.value for k in call.keywords}
        out[node.targets[0].id] = (
            _text(call.args[0]), _text(call.args[1]),
            _expect_text(kw.get('documented')),
            _expect_text(kw.get('deviation')))
    return out


def _text(node):
    if isinstance(node, ast.Constant):
        return ' '.join(str(node.value).split())
    return ast.unparse(node)


def _expect_text(node):
    """A readable form of ``findings.http(500, 'msg')``,
    ``findings.satisfies('description', ...)``, ``findings.equals(v,
    'description')`` or a plain value.
    """
    if node is None:
        return '?'
    if isinstance(node, ast.Call):
        fn = getattr(node.func, 'attr', None)
        args = node.args
        if fn == 'http' and args:
            text = 'HTTP %s' % _text(args[0])
            if len(args) > 1:
                text += ' (message matching ``%s``)' % _text(args[1])
            return text
        if fn == 'satisfies' and args:
            return _text(args[0])
        if fn in ('equals', 'one_of') and len(args) > 1:
            return _text(args[1])
        if fn in ('equals', 'one_of') and args:
            return ast.unparse(args[0])
    return ast.unparse(node)


def _findings(cls, defs):
    """(id, summary, documented, deviation) of the module's findings a
    test class checks (``findings.check(self, NAME, ...)``).
    """
    for node in ast.walk(cls):
        if (isinstance(node, ast.Call) and
                getattr(node.func, 'attr', None) == 'check' and
                len(node.args) >= 2 and isinstance(node.args[1], ast.Name) and
                node.args[1].id in defs):
            yield defs[node.args[1].id]


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, 'doc', 'source', 'checks.rst'))
