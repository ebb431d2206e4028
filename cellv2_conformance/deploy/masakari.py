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

"""Masakari (instance HA) as a service of the local cloud.

Everything Masakari needs lives here so the service ports as one unit:
its databases, vhost, keystone user and catalog entry, its config file, the
steps that start masakari-api (uWSGI, like every other API here) and
masakari-engine, and their readiness.  The deployer only calls the hooks
at the bottom of this module.

Switched on by the scenario's ``masakari: {enabled: true}``.  The same
switch turns on what the recovery checks need from the neighbours: nova
noticing a stopped compute within seconds (``report_interval`` /
``service_down_time``) and Blazar's polling resource monitor.
"""

import glob
import os
import shutil
import sys
import time

from cellv2_conformance.deploy import process
from cellv2_conformance.deploy.process import DeployError
from cellv2_conformance.deploy import render

USER = 'masakari'
DATABASES = ('masakari', 'masakari_taskflow')
VHOST = 'masakari'
PORT_NAME = 'masakari-api'
SERVICE_TYPE = 'instance-ha'

# nova: a compute that stopped reporting is "down" after service_down_time.
# nova raises service_down_time to 2.5 x report_interval when it is lower,
# so 5 s / 20 s keeps nova's own sanity rule and detects a dead compute in
# at most ~20 s (default 10 s / 60 s).
NOVA_REPORT_INTERVAL = 5
NOVA_SERVICE_DOWN_TIME = 20
# Blazar's polling monitor: hypervisors.list() every N seconds.
BLAZAR_POLLING_INTERVAL = 5


def enabled(scenario):
    return bool(scenario.masakari.get('enabled'))


def users(scenario):
    return (USER,) if enabled(scenario) else ()


def databases(scenario):
    return DATABASES if enabled(scenario) else ()


def vhosts(scenario):
    return (VHOST,) if enabled(scenario) else ()


def catalog(layout):
    return [(SERVICE_TYPE, 'masakari', layout.url(PORT_NAME) + '/v1')]


def program(bin_dir, name):
    """A console script of the venv, else the one on PATH (an experiment
    with masakari installed with ``pip --target`` next to the venv).
    """
    path = os.path.join(bin_dir, name)
    if os.access(path, os.X_OK):
        return path
    return shutil.which(name)


def paste_ini(bin_dir):
    """masakari's api-paste.ini as shipped in the wheel's data files."""
    import masakari
    pkg_root = os.path.dirname(os.path.dirname(masakari.__file__))
    for cand in (os.path.join(os.path.dirname(bin_dir), 'etc', 'masakari'),
                 os.path.join(sys.prefix, 'etc', 'masakari'),
                 os.path.join(pkg_root, 'etc', 'masakari')):
        path = os.path.join(cand, 'api-paste.ini')
        if os.path.exists(path):
            return path
    found = glob.glob(os.path.join(pkg_root, '**', 'api-paste.ini'))
    return found[0] if found else None


def preflight(bin_dir):
    missing = [p for p in ('masakari-engine', 'masakari-manage')
               if not program(bin_dir, p)]
    try:
        import masakari  # noqa: F401
    except ImportError:
        missing.append('the masakari Python package')
    if missing:
        raise DeployError('scenario enables masakari but %s is not '
                          'installed (run tools/bootstrap.sh)' %
                          ', '.join(missing))
    if not paste_ini(bin_dir):
        raise DeployError('masakari is installed but its api-paste.ini '
                          '(wheel data file etc/masakari) is missing')


# ----------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------
def config(layout, auth, authtoken, log):
    """masakari.conf for the API and the engine (they share it).

    ``auth``/``authtoken``/``log`` are configs' section builders.
    """
    c = render.new()
    d = dict(log(layout, 'masakari-api'), **{
        'transport_url': layout.transports[VHOST],
        'auth_strategy': 'keystone',
        # The nova client the API (host validation) and the engine
        # (disable, evacuate) build: a privileged (admin) user.
        'os_privileged_user_name': USER,
        'os_privileged_user_password': layout.passwords[USER],
        'os_privileged_user_tenant': 'service',
        'os_privileged_user_auth_url': layout.auth_url,
        'os_user_domain_name': 'Default',
        'os_project_domain_name': 'Default',
        'os_region_name': 'RegionOne',
        'nova_catalog_admin_info': 'compute:nova:publicURL',
        # Test-sized timings (defaults in brackets):
        # no random delay before each notification is created [5 s]
        'notification_delay_max': 0,
        # the harness waits for nova to report the compute down before
        # it notifies, like a host monitor; no need to wait again [180 s]
        'wait_period_after_service_update': 2,
        'wait_period_after_evacuation': 90,
        'verify_interval': 1,
        # error notifications are retried once, then failed [120 s]
        'process_unfinished_notifications_interval': 20,
        'retry_notification_new_status_interval': 20,
        # the same host may fail again a minute later in a test run [180 s]
        'duplicate_notification_detection_interval': 5,
        'host_failure_recovery_threads': 3,
    })
    render.update(c, {
        'DEFAULT': d,
        'database': {'connection': layout.db_urls['masakari']},
        'taskflow': {'connection': layout.db_urls['masakari_taskflow']},
        # novaclient's auth plugin is loaded from [keystone_authtoken]
        # auth_type, in the engine as well.
        'keystone_authtoken': authtoken(layout, USER),
        'host_failure': {
            # Only instances the checks marked HA_Enabled=True move: a
            # parallel check's server on the failed host stays put.
            'evacuate_all_instances': False,
            'ignore_instances_in_error_state': False,
            'add_reserved_host_to_aggregate': False,
        },
        'oslo_messaging_notifications': {'driver': 'noop'},
        # Under uWSGI the API's heartbeat thread does not run: RabbitMQ
        # then drops its idle connection (as for nova here).
        'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 0},
        'oslo_policy': {'enforce_scope': False,
                        'enforce_new_defaults': False},
    })
    return c


def nova_settings():
    """Overrides of nova-common.conf: a stopped compute is down soon."""
    return {'DEFAULT': {'report_interval': NOVA_REPORT_INTERVAL,
                        'service_down_time': NOVA_SERVICE_DOWN_TIME}}


def blazar_settings():
    """Blazar's polling monitor: a down or disabled reservable host is
    marked unreservable and its reservations healed.
    """
    return {'physical:host': {'enable_polling_monitor': True,
                              'polling_interval': BLAZAR_POLLING_INTERVAL,
                              # minutes; reservations starting within an
                              # hour are healed too (the default)
                              'healing_interval': 60}}


# ----------------------------------------------------------------------
# steps (methods of the deployer are reached through ``d``)
# ----------------------------------------------------------------------
def conf_path(d):
    return d.L.path('etc', 'masakari', 'masakari.conf')


def write_configs(d, conf):
    etc = d.L.path('etc', 'masakari')
    os.makedirs(etc, exist_ok=True)
    shutil.copy(paste_ini(d.bin), os.path.join(etc, 'api-paste.ini'))
    d._write('masakari/masakari.conf', conf,
             d.scenario.overrides('masakari'))


def step_db(d):
    d._manage('masakari-manage db sync', [
        program(d.bin, 'masakari-manage'), '--config-file', conf_path(d),
        'db', 'sync'])


def step_api(d):
    conf = conf_path(d)
    d._uwsgi(PORT_NAME, {
        'OS_MASAKARI_CONFIG_DIR': os.path.dirname(conf)},
        # The WSGI app re-parses its config from sys.argv only (a file
        # outside /etc/masakari is silently dropped without this).
        extra=['--pyargv', '--config-file %s' % conf],
        # masakari monkey-patches with eventlet: an RPC cast from a second
        # uWSGI thread dies in "greenlet.error: Cannot switch to a
        # different thread" and the request hangs (seen on
        # POST /v1/notifications after the AMQP connection was reset).
        threads=1)
    d._wait_http(PORT_NAME, d.L.url(PORT_NAME) + '/',
                 ok=lambda r: r.status_code == 200, config=conf)


def step_engine(d):
    conf = conf_path(d)
    d._start_daemon('masakari-engine', [
        program(d.bin, 'masakari-engine'), '--config-file', conf,
        '--log-file', d.L.path('logs', 'masakari-engine.log')],
        meta={'log_file': d.L.path('logs', 'masakari-engine.log')})


def step_ready(d):
    """The API answers an authenticated request, which validates the token
    and reaches the database; the engine has consumed its RPC topic.
    """
    conf = conf_path(d)
    deadline = time.monotonic() + 90
    last = 'no answer'
    while time.monotonic() < deadline:
        d._check_abort()
        try:
            d.api('GET', PORT_NAME, '/v1/segments', expect=(200,))
            break
        except DeployError as e:
            last = str(e)
        time.sleep(0.5)
    else:
        raise d._not_ready(PORT_NAME, last, conf)
    log = d.L.path('logs', 'masakari-engine.log')
    rec = d.state.processes['masakari-engine']
    while time.monotonic() < deadline:
        d._check_abort()
        if not process.is_alive(rec):
            raise d._not_ready('masakari-engine', 'exited during start-up',
                               conf)
        try:
            with open(log, errors='replace') as f:
                if 'Starting ha_engine' in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise d._not_ready('masakari-engine', 'did not start its RPC server '
                       'within 90 s (see %s)' % log, conf)


def steps(d, add, db_steps, mq_steps):
    """Add Masakari's steps to the deployer's graph."""
    if not enabled(d.scenario):
        return
    add('masakari-db', db_steps, lambda: step_db(d))
    add('masakari-api', ['masakari-db', 'catalog'] + mq_steps,
        lambda: step_api(d))
    add('masakari-engine', ['masakari-db', 'catalog'] + mq_steps,
        lambda: step_engine(d))
    add('masakari-ready', ['masakari-api', 'masakari-engine',
                           'nova-api'], lambda: step_ready(d))


def inventory(d):
    """The inventory's ``masakari`` section (no secrets)."""
    if not enabled(d.scenario):
        return {'enabled': False}
    return {'enabled': True, 'url': d.L.url(PORT_NAME) + '/v1',
            'config': conf_path(d),
            'report_interval': NOVA_REPORT_INTERVAL,
            'service_down_time': NOVA_SERVICE_DOWN_TIME,
            'blazar_polling_interval': BLAZAR_POLLING_INTERVAL}
