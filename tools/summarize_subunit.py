"""Print 'N passed, N failed, N skipped' over the given subunit v2 files."""

import sys

import subunit
import testtools


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        result = testtools.StreamSummary()
        with open(path, 'rb') as f:
            result.startTestRun()
            subunit.ByteStreamToStreamResult(f).run(result)
            result.stopTestRun()
        bad = len(result.errors) + len(result.failures)
        skipped += len(result.skipped)
        failed += bad
        passed += result.testsRun - bad - len(result.skipped)
    print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
