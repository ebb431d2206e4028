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

"""Rules that ask outside the databases: RabbitMQ (management API) and
`nova-status upgrade check` (run with the operator's nova config)."""

import os
import subprocess

from cellv2_conformance.inspect import mq as inspect_mq
from cellv2_conformance import redact

STATUS_TIMEOUT = 180


def message_queue(ix, inv, out):
    """Every mapped compute host listens on its own cell's vhost
    (``compute.<host>`` queue) and on no other cell's.
    """
    fam = 'message-queue'
    cells = [c for c in inv.cells if c.uuid in ix.cell_uuid.values() and
             ((c.mq or {}).get('management_url') or
              inv.mq.get('management_url'))]
    if not cells:
        out.skip(fam, 'the inventory names no RabbitMQ management_url')
        return
    queues = {}
    for c in cells:
        try:
            queues[c.name] = {q['name'] for q in inspect_mq.for_cell(
                inv, c).queues(c.vhost)}
        except inspect_mq.MQInspectError as e:
            out.add(fam, c.vhost, c.name, ('API DB cell_mappings',
                                           'RabbitMQ vhost %s' % c.vhost),
                    'cannot list the queues of the cell\'s vhost: %s' % e,
                    'check the cell\'s transport_url and the broker')
    for c in cells:
        if c.name not in queues:
            continue
        for host, cell in sorted(ix.host_mappings.items()):
            if cell != c.name:
                continue
            q = 'compute.%s' % host
            if q in queues[c.name]:
                continue
            elsewhere = sorted(n for n, qs in queues.items() if q in qs)
            out.add(fam, host, c.name, ('API DB host_mappings',
                                        'RabbitMQ vhost %s' % c.vhost),
                    'host is mapped to %s but no queue %s exists in its '
                    'vhost %s%s' % (c.name, q, c.vhost,
                                    ' (it exists in %s)' % ', '.join(
                                        elsewhere) if elsewhere else ''),
                    'point nova-compute on %s at the transport_url of %s '
                    'and restart it' % (host, c.name))


def _status_argv(inv):
    prefix = list(inv.api.get('nova_manage') or [])
    if not prefix:
        return None
    binary = prefix[0]
    status = os.path.join(os.path.dirname(binary), 'nova-status') \
        if os.path.dirname(binary) else 'nova-status'
    if os.path.dirname(binary) and not os.path.exists(status):
        return None
    return [status] + prefix[1:] + ['upgrade', 'check']


# What an operator runs for each `nova-status upgrade check` result.
STATUS_REPAIR = {
    'Cells v2': 'nova-manage cell_v2 map_cell0; nova-manage cell_v2 '
                'create_cell; nova-manage cell_v2 discover_hosts',
    'Placement API': 'upgrade placement; check [placement] credentials of '
                     'nova',
    'Cinder API': 'upgrade cinder to API >= 3.44',
    'Policy File JSON to YAML Migration': 'oslopolicy-convert-json-to-yaml '
                                          '--namespace nova',
    'Older than N-1 computes': 'upgrade the old nova-compute services, or '
                               'openstack compute service delete the stale '
                               'ones',
    'hw_machine_type unset': 'nova-manage libvirt list_unset_machine_type; '
                             'nova-manage libvirt update_machine_type',
    'Service User Token Configuration': 'set [service_user] '
                                        'send_service_user_token = true '
                                        '(with credentials) on every nova '
                                        'service',
}
# Hypervisor types of libvirt computes (the hw_machine_type warning only
# matters there, as nova-status's own text says).
LIBVIRT_TYPES = {'QEMU', 'KVM', 'LXC', 'PARALLELS', 'XEN', 'UML'}


def parse_status(text):
    """[(check name, result, details)] from nova-status's table (a URL
    wrapped at a hyphen or a dot is joined back without a space).
    """
    out, cur = [], None
    for line in text.splitlines():
        if not line.startswith('| '):
            continue
        body = line.strip('| \t')
        if body.startswith('Check: '):
            cur = [body[7:].strip(), '', '']
            out.append(cur)
        elif cur is not None and body.startswith('Result: '):
            cur[1] = body[8:].strip()
        elif cur is not None and body.startswith('Details: '):
            cur[2] = body[9:].strip()
        elif cur is not None and cur[1] and body:
            glue = '' if (cur[2].endswith(('-', '/')) or
                          body.startswith('.')) else ' '
            cur[2] += glue + body
    return [(n, r, '' if d == 'None' else d) for n, r, d in out]


def _libvirt_hosts(ix):
    if ix is None:
        return True
    return any((n.hypervisor_type or '').upper() in LIBVIRT_TYPES
               for cell in ix.read_cells for n in ix.nodes[cell].values())


def nova_status(inv, out, ix=None):
    fam = 'nova-status'
    argv = _status_argv(inv)
    if argv is None:
        out.skip(fam, 'no nova config: the inventory has no api.nova_manage')
        return []
    try:
        p = subprocess.run(argv, capture_output=True, text=True,
                           timeout=STATUS_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        out.add(fam, 'nova-status', '', ('nova-status', 'the cloud'),
                'nova-status upgrade check could not run: %s' % (
                    redact.text(str(e))),
                ' '.join(argv))
        return []
    results = parse_status(p.stdout)
    if p.returncode == 255 or not results:
        out.add(fam, 'nova-status', '', ('nova-status', 'the cloud'),
                'nova-status upgrade check exited %d: %s' % (
                    p.returncode, redact.text((p.stderr or p.stdout)
                                              .strip().splitlines()[-1:] and
                                              (p.stderr or p.stdout)
                                              .strip().splitlines()[-1])),
                ' '.join(argv))
        return results
    kept = []
    for name, result, details in results:
        if (name == 'hw_machine_type unset' and result == 'Warning' and
                not _libvirt_hosts(ix)):
            # nova-status: "can be ignored if your environment does not
            # contain libvirt based compute hosts"; no node is libvirt.
            kept.append((name, result, details + ' [no libvirt compute '
                         'node in any cell: not an inconsistency]'))
            continue
        kept.append((name, result, details))
        if result.lower() != 'success':
            out.add(fam, name, '', ('nova-status upgrade check',
                                    'the cloud'),
                    '%s: %s' % (result, redact.text(details)),
                    STATUS_REPAIR.get(name, ' '.join(argv)))
    return kept
