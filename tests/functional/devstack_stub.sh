# Minimal stand-ins for the DevStack functions devstack/settings and
# devstack/plugin.sh call, with DevStack's semantics (openstack/devstack
# 493835a6: inc/python, inc/ini-config, functions-common).  Sourced by
# tests/functional/test_devstack_plugin.py, which sets what stack.sh would:
#   DEST DATA_DIR GLOBAL_VENV DEVSTACK_VENV REQUIREMENTS_DIR ENABLED_SERVICES
#   NOVA_CONF NOVA_CONF_DIR TEMPEST_CONFIG NOVA_NUM_CELLS
#   OS_CLIENT_CONFIG_FILE STUB_OS_CLOUD (for get_or_create_role)
# and then sources the plugin per phase under errexit, as stack.sh does
# (run_plugins: `source $dir/devstack/plugin.sh stack <phase>`).

function echo_summary {
    echo "$@" >&2
}

function die {
    local exitcode=$?
    local line=$1; shift
    [ $exitcode == 0 ] && exitcode=1
    echo "[ERROR] plugin.sh:$line $*" >&2
    exit $exitcode
}

# is_service_enabled service [service ...]: any of them in ENABLED_SERVICES
function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && return 0
    done
    return 1
}

function get_python_exec_prefix {
    if [[ "$GLOBAL_VENV" == "True" ]]; then
        echo "$DEVSTACK_VENV/bin"
    else
        echo "/usr/local/bin"
    fi
}

# pip_install pip_arguments: DevStack's venv pip, always constrained.
function pip_install {
    $DEVSTACK_VENV/bin/pip install \
        -c $REQUIREMENTS_DIR/upper-constraints.txt "$@"
}

# setup_develop project_dir [extras]: drop the project from the
# constraints (DevStack's edit-constraints), then `pip install -e`.
function setup_develop {
    local project_dir
    project_dir=$(cd $1 && pwd)
    local name
    name=$(awk '/^name.*=/ {print $3}' $project_dir/setup.cfg)
    sed -i "/^${name}[=<>!~]/d" $REQUIREMENTS_DIR/upper-constraints.txt
    pip_install -e $project_dir${2:+[$2]}
}

# iniset [-sudo] config-file section option value
function iniset {
    [[ "$1" == "-sudo" ]] && shift
    python3 - "$@" <<'EOF'
import configparser
import sys

path, section, option, value = sys.argv[1:5]
parser = configparser.RawConfigParser()
parser.optionxform = str
parser.read(path)
if not parser.has_section(section):
    parser.add_section(section)
parser.set(section, option, value)
with open(path, 'w') as f:
    parser.write(f)
EOF
}

# get_or_create_role name: prints the role id.  DevStack runs
# `openstack --os-cloud devstack-system-admin role create NAME --or-show`;
# this asks keystone directly, with the admin cloud of clouds.yaml.
function get_or_create_role {
    python3 - "$1" <<'EOF'
import os
import sys

import requests
import yaml

name = sys.argv[1]
with open(os.environ['OS_CLIENT_CONFIG_FILE']) as f:
    auth = yaml.safe_load(f)['clouds'][os.environ['STUB_OS_CLOUD']]['auth']
body = {'auth': {
    'identity': {'methods': ['password'], 'password': {'user': {
        'name': auth['username'], 'password': auth['password'],
        'domain': {'name': auth.get('user_domain_name', 'Default')}}}},
    'scope': {'project': {'name': auth['project_name'], 'domain': {
        'name': auth.get('project_domain_name', 'Default')}}}}}
url = auth['auth_url'].rstrip('/')
if not url.endswith('/v3'):
    url += '/v3'
r = requests.post(url + '/auth/tokens', json=body, timeout=30)
r.raise_for_status()
headers = {'X-Auth-Token': r.headers['X-Subject-Token']}
r = requests.post(url + '/roles', json={'role': {'name': name}},
                  headers=headers, timeout=30)
if r.status_code == 409:
    r = requests.get(url + '/roles', params={'name': name},
                     headers=headers, timeout=30)
    r.raise_for_status()
    print(r.json()['roles'][0]['id'])
else:
    r.raise_for_status()
    print(r.json()['role']['id'])
EOF
}
