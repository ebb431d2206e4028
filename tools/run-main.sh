#!/usr/bin/env bash
# The main job: bootstrap, deploy the default local multi-cell scenario, run
# the conformance suite against it, tear everything down and write the
# report (reports/latest/report.html, run.json, junit.xml, results.subunit).
# Extra arguments go to `cellv2-conformance run` (e.g. --scenario single-cell).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$("$ROOT/tools/bootstrap.sh" | tail -n1)
cd "$ROOT"
exec "$VENV/bin/cellv2-conformance" run --scenario multi-cell \
    --workdir "$ROOT/work/main-run" --report-dir "$ROOT/reports/latest" "$@"
