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

"""A compute host failure: target ``cell(<cell>).host(<host>)``.

Actions:

``down``
    Kill the host's nova-compute process (SIGKILL: a host dies without a
    graceful shutdown) and wait until nova reports the
    service ``down`` (it stopped heartbeating for ``service_down_time``):
    what a host monitor would notice.
``fail``
    ``down``, then send the notification masakari-monitors' host monitor
    sends for a dead host (masakarimonitors/hostmonitor/host_handler/
    handle_host.py ``_make_event``: type COMPUTE_HOST, generated_time now,
    payload ``event: STOPPED``, ``cluster_status: OFFLINE``,
    ``host_status: NORMAL`` -- NORMAL is what it sends once the power-off is
    confirmed (IPMI) or with ``disable_ipmi_check``; UNKNOWN is ignored by
    the engine).  Posted through Masakari's API like the monitor does; no
    Pacemaker here.

Healing makes the host healthy whatever happened in between: it waits
(bounded) for the notification to reach a final status so a running
evacuation is not raced, restarts nova-compute with its recorded command,
clears ``forced_down``, re-enables the compute service (Masakari disabled
it), and sets the Masakari host back ``on_maintenance: false``.
``verify_healed`` checks each of those by asking nova and Masakari.

The record carries the timeline the recovery report reads: ``stopped_at``,
``detected_down_at`` (nova says down), ``notified_at`` and the
notification uuid.
"""

import datetime
import signal
import time

from cellv2_conformance.common import keystone
from cellv2_conformance.faults import journal as journal_mod
from cellv2_conformance.faults import targets
from cellv2_conformance.faults.targets import FaultError
from cellv2_conformance.faults.targets import poll
from cellv2_conformance import redact

NOVA_MV = '2.53'        # services addressed by uuid, forced_down settable
FINAL = ('finished', 'failed', 'ignored', 'error')
DOWN_TIMEOUT = 120      # nova's service_down_time plus a margin
FINAL_WAIT = 90         # heal waits this long for a running recovery


def host_failure_payload():
    """The payload masakari-monitors' host monitor sends for a host whose
    power-off was confirmed.
    """
    return {'event': 'STOPPED', 'host_status': 'NORMAL',
            'cluster_status': 'OFFLINE'}


def utcnow_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.%f')


class Api:
    """Admin REST calls to nova and Masakari with the inventory's
    credentials (keystoneauth1 session; endpoints from the catalog).
    """

    def __init__(self, inv):
        auth = inv.data.get('auth') or {}
        if not auth.get('password'):
            raise FaultError('inventory %s has no auth section: the host '
                             'failure fault talks to nova and Masakari' %
                             inv.path)
        self.region = inv.data.get('region')
        self.session = keystone.password_session(
            auth['auth_url'], auth['username'], auth['password'],
            auth['project_name'], auth.get('user_domain_name', 'Default'),
            auth.get('project_domain_name', 'Default'))

    def call(self, service_type, method, path, expect=(200,), mv=None,
             **kw):
        headers = {}
        if mv:
            headers['OpenStack-API-Version'] = '%s %s' % (
                'compute' if service_type == 'compute' else service_type, mv)
        try:
            r = self.session.request(
                path, method, endpoint_filter={
                    'service_type': service_type, 'interface': 'public',
                    'region_name': self.region},
                headers=headers, raise_exc=False, timeout=30, **kw)
        except Exception as e:
            raise FaultError('%s %s %s: %s' % (
                service_type, method, path, redact.text(
                    keystone.describe(e) if not isinstance(
                        e, RuntimeError) else e)))
        if r.status_code not in expect:
            raise FaultError('%s %s %s -> HTTP %d: %s' % (
                service_type, method, path, r.status_code,
                redact.text(r.text[:300])))
        return r.json() if r.content else {}

    # nova ---------------------------------------------------------------
    def compute_service(self, host):
        svcs = self.call('compute', 'GET', '/os-services?binary=nova-compute'
                         '&host=%s' % host, mv=NOVA_MV)['services']
        if len(svcs) != 1:
            raise FaultError('os-services: %d nova-compute services on host '
                             '%s (expected 1)' % (len(svcs), host))
        return svcs[0]

    def update_service(self, service_id, **body):
        return self.call('compute', 'PUT', '/os-services/%s' % service_id,
                         mv=NOVA_MV, json=body)['service']

    # masakari -----------------------------------------------------------
    def masakari_host(self, host):
        """(segment uuid, host record) of ``host`` in any segment, or
        (None, None).
        """
        for seg in self.call('instance-ha', 'GET', '/segments')['segments']:
            hosts = self.call('instance-ha', 'GET', '/segments/%s/hosts' %
                              seg['uuid'], expect=(200, 404)).get(
                                  'hosts') or []
            for h in hosts:
                if h['name'] == host:
                    return seg['uuid'], h
        return None, None

    def notify(self, host, payload):
        return self.call('instance-ha', 'POST', '/notifications',
                         expect=(202,), json={'notification': {
                             'type': 'COMPUTE_HOST', 'hostname': host,
                             'generated_time': utcnow_iso(),
                             'payload': payload}})['notification']

    def notification(self, uuid):
        return self.call('instance-ha', 'GET', '/notifications/%s' % uuid,
                         expect=(200, 404)).get('notification')


class HostFailureExecutor(targets.ProcessExecutor):
    """One compute host of a cell fails (see the module docstring)."""
    actions = ('down', 'fail')
    kind = 'host'

    def __init__(self, inv, target, cell, host, process_name):
        super().__init__(inv, target, process_name, cell)
        self.host = host
        self._api = None

    @property
    def api(self):
        if self._api is None:
            self._api = Api(self.inv)
        return self._api

    def prepare(self, action, record):
        super().prepare(action, record)
        svc = self.api.compute_service(self.host)
        if svc['state'] != 'up' or svc['status'] != 'enabled' or \
                svc.get('forced_down'):
            raise FaultError('nova-compute on %s is not healthy before the '
                             'fault (state %s, status %s, forced_down %s)' %
                             (self.host, svc['state'], svc['status'],
                              svc.get('forced_down')))
        record['host'] = self.host
        record['service_id'] = svc['id']
        if action == 'fail':
            seg, h = self.api.masakari_host(self.host)
            if h is None:
                raise FaultError('host %s is in no Masakari segment: its '
                                 'failure notification would get HTTP 400' %
                                 self.host)
            record['segment'] = seg

    def inject(self, action, record):
        # A host dies: no graceful shutdown (SIGKILL to the process group).
        self.procs.signal_group(self.procs.record(self.name), signal.SIGKILL)
        record['stopped_at'] = time.time()

    def _down(self, record):
        svc = self.api.compute_service(self.host)
        return svc['state'] == 'down', 'nova-compute on %s: state %s ' \
            'status %s' % (self.host, svc['state'], svc['status'])

    def verify(self, action, record, timeout):
        evidence = super().verify('stop', record, timeout)
        detail = poll(lambda: self._down(record), DOWN_TIMEOUT,
                      'nova reports nova-compute on %s down' % self.host,
                      interval=1.0)
        record['detected_down_at'] = time.time()
        evidence.append('os-services: %s, %.1fs after the stop' % (
            detail, record['detected_down_at'] - record['stopped_at']))
        if action == 'fail':
            n = self.api.notify(self.host, host_failure_payload())
            record['notified_at'] = time.time()
            record['notification'] = n['notification_uuid']
            evidence.append('Masakari notification %s (COMPUTE_HOST %s, '
                            'status %s)' % (n['notification_uuid'],
                                            self.host, n['status']))
        return evidence

    def _wait_final(self, record):
        uuid = record.get('notification')
        if not uuid:
            return None
        deadline = time.monotonic() + FINAL_WAIT
        while True:
            try:
                n = self.api.notification(uuid)
            except FaultError:
                n = None
            status = (n or {}).get('status')
            if n is None or status in FINAL or \
                    time.monotonic() > deadline:
                return status
            time.sleep(1)

    def heal(self, action, record):
        record['notification_status_at_heal'] = self._wait_final(record)
        super().heal('stop', record)
        svc = self.api.compute_service(self.host)
        # nova refuses forced_down=false while "done" evacuation records
        # remain, i.e. until the restarted compute cleaned them up: only
        # ask when it is set (a fault of ours never sets it).
        if svc.get('forced_down'):
            poll(lambda: (self._unforce(svc['id']), 'forced_down'),
                 DOWN_TIMEOUT, 'forced_down cleared on %s' % self.host,
                 interval=2.0)
        if svc['status'] != 'enabled':
            self.api.update_service(svc['id'], status='enabled')
        seg, h = self._masakari_host()
        if h is not None and h.get('on_maintenance'):
            self.api.call('instance-ha', 'PUT', '/segments/%s/hosts/%s' % (
                seg, h['uuid']), json={'host': {'on_maintenance': False}})

    def _masakari_host(self):
        """(segment, host) of this host in Masakari; (None, None) when it
        is in no segment or the cloud has no Masakari (``down`` needs
        none; a notification sent by someone else still put the host on
        maintenance).
        """
        try:
            return self.api.masakari_host(self.host)
        except FaultError:
            return None, None

    def _unforce(self, service_id):
        try:
            self.api.update_service(service_id, forced_down=False)
            return True
        except FaultError:
            return False

    def verify_healed(self, action, record, timeout):
        evidence = super().verify_healed('stop', record, timeout)

        def check():
            svc = self.api.compute_service(self.host)
            ok = svc['state'] == 'up' and svc['status'] == 'enabled' and \
                not svc.get('forced_down')
            return ok, 'nova-compute on %s: state %s status %s ' \
                'forced_down %s' % (self.host, svc['state'], svc['status'],
                                    svc.get('forced_down'))
        evidence.append(poll(check, max(timeout, DOWN_TIMEOUT),
                             'nova-compute on %s up and enabled' %
                             self.host, interval=1.0))
        _, h = self._masakari_host()
        if h is not None and h.get('on_maintenance'):
            raise FaultError('Masakari host %s still on_maintenance' %
                             self.host)
        if h is not None:
            evidence.append('Masakari host %s: on_maintenance false' %
                            self.host)
        record['healed_up_at'] = journal_mod.now()
        return evidence


def executor(inv, cell, host):
    if host not in cell.hosts:
        raise FaultError('host %s is not a compute of cell %s (hosts: %s)' %
                         (host, cell.name, ', '.join(cell.hosts)))
    svc = ((cell.services or {}).get('computes') or {}).get(host) or {}
    if not svc.get('process'):
        raise FaultError('inventory %s: no recorded compute process for '
                         'host %s in cell %s' % (inv.path, host, cell.name))
    return HostFailureExecutor(inv, 'cell(%s).host(%s)' % (cell.name, host),
                               cell, host, svc['process'])
