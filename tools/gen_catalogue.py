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
            for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
                tests = [f for f in cls.body if isinstance(f, ast.FunctionDef)
                         and f.name.startswith('test')]
                if not tests:
                    continue
                mod = 'cellv2_conformance.tests.%s.%s' % (kind, fn[:-3])
                for fid, summary in _findings(cls):
                    found.setdefault(fid, (summary, []))[1].append(
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
              'as findings (reported as expected failures; an unexpected '
              'success the day the deviation is fixed).', '']
    for fid in sorted(found):
        summary, classes = found[fid]
        lines += ['``%s``' % fid, '  %s (%s)' % (summary, ', '.join(
            '``%s``' % c.rsplit('.', 1)[-1] for c in sorted(set(classes)))),
            '']
    lines += ['Total: %d findings.' % len(found), '']
    with open(out, 'w') as f:
        f.write('\n'.join(lines))
    print('%d checks -> %s' % (total, out))


def _findings(cls):
    """(id, summary) of every ``findings.nonconformance(self, id, summary)``
    call in a test class."""
    for node in ast.walk(cls):
        if not (isinstance(node, ast.Call) and getattr(
                node.func, 'attr', None) == 'nonconformance'):
            continue
        if len(node.args) < 3 or not isinstance(node.args[1], ast.Constant):
            continue
        summary = node.args[2]
        if isinstance(summary, ast.BinOp):   # 'text %s' % value
            summary = summary.left
        text = summary.value if isinstance(summary, ast.Constant) else \
            ast.unparse(summary)
        yield node.args[1].value, ' '.join(str(text).replace(
            '%s', '...').split())


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        ROOT, 'doc', 'source', 'checks.rst'))
