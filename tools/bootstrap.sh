#!/usr/bin/env bash
# Set up everything cellv2-conformance needs on a fresh Debian/Ubuntu machine:
#   * the Debian packages mariadb-server and rabbitmq-server (their binaries
#     only: the harness starts private instances on its own ports),
#   * a virtualenv with the pinned OpenStack release set
#     (constraints/upper-constraints.txt) and this project, editable.
# The virtualenv is cached under ~/.cache/cellv2-conformance keyed by the
# requirement files' hash, so a second clone or a CI re-run reuses it.
# Prints the venv path on its last line.  Idempotent.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${CELLV2_CACHE:-$HOME/.cache/cellv2-conformance}
PY=${PYTHON:-python3}
log() { echo "bootstrap: $*" >&2; }

# --- system packages -------------------------------------------------------
need_pkgs=()
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || need_pkgs+=(mariadb-server)
command -v mariadb-install-db >/dev/null 2>&1 || need_pkgs+=(mariadb-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need_pkgs+=(rabbitmq-server)
command -v gcc >/dev/null 2>&1 || need_pkgs+=(gcc)
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
# Wanted, not required: a real headless browser for the test that renders
# report --compare's HTML (the test skips, saying so, without it).
want_pkgs=()
command -v chromium >/dev/null 2>&1 || want_pkgs+=(chromium)
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
    log "error: $PY is missing or older than 3.10 (set PYTHON=/path/to/python3.11)"
    exit 2
fi
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need_pkgs+=(python3-venv)
fi
if ! "$PY" -c 'import sysconfig,os,sys; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"],"Python.h")) else 1)'; then
    need_pkgs+=(python3-dev)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
    mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
    if [ "$(id -u)" = 0 ]; then
        log "installing Debian packages: ${need_pkgs[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # The harness never uses the packaged system services; do not let the
        # package scripts start them on a machine that has none running.
        apt-get update -qq >&2
        apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
    else
        log "error: missing Debian packages. Run as root:"
        log "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need_pkgs[*]}"
        exit 2
    fi
fi
if [ ${#want_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing optional Debian packages: ${want_pkgs[*]}"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install \
              -y -qq --no-install-recommends "${want_pkgs[@]}"; } >&2 \
            || log "warning: could not install ${want_pkgs[*]} (optional)"
    else
        log "note: optional ${want_pkgs[*]} missing (for the browser test):"
        log "  sudo apt-get install -y --no-install-recommends ${want_pkgs[*]}"
    fi
fi

# --- virtualenv ---------------------------------------------------------------
key=$(cat "$ROOT/requirements.txt" "$ROOT/deploy-requirements.txt" \
          "$ROOT/test-requirements.txt" "$ROOT/constraints/upper-constraints.txt" \
      | { "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])'; })
VENV=${CELLV2_VENV:-$CACHE/venv-$key}
mkdir -p "$CACHE"
if [ ! -f "$VENV/.complete" ]; then
    log "creating virtualenv $VENV (first run: several minutes)"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q -U 'pip>=24' wheel setuptools >&2
    "$VENV/bin/pip" install -q -c "$ROOT/constraints/upper-constraints.txt" \
        -r "$ROOT/requirements.txt" -r "$ROOT/deploy-requirements.txt" \
        -r "$ROOT/test-requirements.txt" >&2
    # Blazar's nova-scheduler filter; its metadata asks for a nova git
    # checkout, so it goes in without dependencies (nova is already there).
    "$VENV/bin/pip" install -q --no-deps \
        -c "$ROOT/constraints/upper-constraints.txt" blazar-nova >&2
    touch "$VENV/.complete"
fi
# The project itself, editable, pointing at this checkout (cheap).
# CELLV2_NO_EDITABLE=1 keeps whatever checkout the venv points at (for a
# second work tree that runs with PYTHONPATH=<its root> against a shared venv).
if [ -z "${CELLV2_NO_EDITABLE:-}" ]; then
    "$VENV/bin/pip" install -q --no-deps --no-build-isolation -e "$ROOT" >&2
fi
echo "$VENV"
