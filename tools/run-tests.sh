#!/usr/bin/env bash
# The harness's own tests:
#   tools/run-tests.sh        bootstrap, then tox -e pep8,docs,releasenotes,py3
#                             (flake8 + hacking + tempest's check-uuid, the
#                             docs, the release notes and the unit tests, in
#                             tox's own virtualenvs from PyPI), then the
#                             functional tests (serial: they really deploy
#                             single-cell and multi-cell clouds, boot into
#                             each cell, check the cell databases, run the
#                             DevStack plugin and the local Zuul job's
#                             playbooks, and tear down).
#   tools/run-tests.sh unit   only the unit tests, in the bootstrap venv.
#   tools/run-tests.sh tox    only the tox environments.
# Closes with one plain line over every test run: 'N passed, N failed,
# N skipped' (from subunit-stats).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CELLV2_CACHE:-$HOME/.cache/cellv2-conformance}
VENV=$("$ROOT/tools/bootstrap.sh" | tail -n1) || exit 2
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
# The functional main job copies its report directory here (kept for
# whoever reads a failed CI run).
export CELLV2_ARTIFACTS=${CELLV2_ARTIFACTS:-$ROOT/reports/functional}
what=${1:-all}
rc=0
runs=()
mkdir -p "$ROOT/.stestr-streams"
keep_last_run() {  # $1 = name: the last stestr run's subunit stream
    local out="$ROOT/.stestr-streams/$1.subunit"
    stestr last --subunit > "$out" 2>/dev/null || : > "$out"
    runs+=("$out")
}
run_stestr() {  # $1 = test path, rest = stestr run args
    local path=$1; shift
    stestr --test-path "$path" --top-dir ./ run "$@" || rc=1
    keep_last_run "$(basename "$path")"
}
run_tox() {
    # tox from PyPI in its own venv; its work dir (the envs) is cached so a
    # re-run only reinstalls this project.  One tox at a time per cache.
    local toxvenv="$CACHE/tox-venv"
    mkdir -p "$CACHE"
    if [ ! -x "$toxvenv/bin/tox" ]; then
        if ! { python3 -m venv "$toxvenv" &&
               "$toxvenv/bin/pip" install -q 'tox>=4.0,<5' >&2; }; then
            echo "run-tests: could not install tox from PyPI" >&2
            rm -rf "$toxvenv"; rc=1; return
        fi
    fi
    local next="$ROOT/.stestr/next-stream" before
    before=$(cat "$next" 2>/dev/null)
    flock "$CACHE/tox.lock" "$toxvenv/bin/tox" --workdir "$CACHE/tox" \
        -e pep8,docs,releasenotes,py3 || rc=1
    # py3 ran the unit tests with stestr in this checkout's .stestr; count
    # them only if it did (not an older run's stream)
    if [ "$(cat "$next" 2>/dev/null)" != "$before" ]; then
        keep_last_run unit
    else
        echo "run-tests: tox ran no unit tests" >&2; rc=1
    fi
}
case "$what" in
    unit) run_stestr ./tests/unit --concurrency 2 ;;
    tox) run_tox ;;
    all) run_tox
         run_stestr ./tests/functional --serial ;;
    *) echo "usage: $0 [all|unit|tox]" >&2; exit 64 ;;
esac
# One plain closing line over every run, for CI readers, from subunit's own
# subunit-stats ("Passed tests:  157" ...).
cat "${runs[@]}" | subunit-stats --no-passthrough > "$ROOT/.stestr-streams/stats"
count() { awk -F: -v k="$1" '$1 == k {gsub(/ /, "", $2); print $2}' \
              "$ROOT/.stestr-streams/stats"; }
failed=$(count 'Failed tests')
[ "${failed:-0}" = 0 ] || rc=1
echo "$(count 'Passed tests') passed, ${failed:-0} failed, $(count 'Skipped tests') skipped"
exit $rc
