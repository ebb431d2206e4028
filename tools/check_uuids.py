"""Every tempest check has exactly one @decorators.idempotent_id, and every
id is a valid, unique UUID.  Run by `tox -e pep8` and by a unit test."""

import ast
import os
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, 'cellv2_conformance', 'tests')


def _ids(func):
    out = []
    for d in func.decorator_list:
        if isinstance(d, ast.Call) and getattr(d.func, 'attr', getattr(
                d.func, 'id', None)) == 'idempotent_id':
            out.append(d.args[0].value if d.args and isinstance(
                d.args[0], ast.Constant) else None)
    return out


def scan(path=TESTS):
    problems, seen, count = [], {}, 0
    for dirpath, _, files in os.walk(path):
        for fn in sorted(files):
            if not (fn.startswith('test_') and fn.endswith('.py')):
                continue
            full = os.path.join(dirpath, fn)
            tree = ast.parse(open(full).read(), full)
            for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
                for f in cls.body:
                    if not isinstance(f, ast.FunctionDef) or \
                            not f.name.startswith('test'):
                        continue
                    count += 1
                    where = '%s:%d %s.%s' % (os.path.relpath(full, ROOT),
                                             f.lineno, cls.name, f.name)
                    ids = _ids(f)
                    if len(ids) != 1:
                        problems.append('%s: %d idempotent_id decorators' %
                                        (where, len(ids)))
                        continue
                    try:
                        uuid.UUID(ids[0])
                    except (TypeError, ValueError):
                        problems.append('%s: not a UUID: %r' % (where,
                                                                ids[0]))
                        continue
                    if ids[0] in seen:
                        problems.append('%s: id %s already used by %s' % (
                            where, ids[0], seen[ids[0]]))
                    seen[ids[0]] = where
    return count, problems


def main():
    count, problems = scan()
    for p in problems:
        print(p)
    print('%d checks, %d problem(s)' % (count, len(problems)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
