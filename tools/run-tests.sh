#!/usr/bin/env bash
# The harness's own tests: bootstrap, then
#   unit tests       (tests/unit, parallel, seconds)
#   functional tests (tests/functional, serial: they really deploy
#                     single-cell and multi-cell clouds, boot into each
#                     cell, check the cell databases, and tear down).
# `tools/run-tests.sh unit` runs only the unit tests.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$("$ROOT/tools/bootstrap.sh" | tail -n1) || exit 2
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
# The functional main job copies its report directory here (kept for
# whoever reads a failed CI run).
export CELLV2_ARTIFACTS=${CELLV2_ARTIFACTS:-$ROOT/reports/functional}
what=${1:-all}
rc=0
runs=()
run_stestr() {  # $1 = test path, rest = stestr run args
    local path=$1; shift
    local out="$ROOT/.stestr/last-$(basename "$path").subunit"
    stestr --test-path "$path" --top-dir ./ run "$@" || rc=1
    stestr last --subunit > "$out"
    runs+=("$out")
}
run_stestr ./tests/unit --concurrency 2
if [ "$what" = all ]; then
    run_stestr ./tests/functional --serial
fi
# One plain closing line over both runs, for CI readers.
"$VENV/bin/python" "$ROOT/tools/summarize_subunit.py" "${runs[@]}" || rc=1
exit $rc
