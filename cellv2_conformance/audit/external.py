"""Rules that ask outside the databases: RabbitMQ (management API) and
`nova-status upgrade check` (run with the operator's nova config)."""

import os
import re
import subprocess

from cellv2_conformance.inspect import mq as inspect_mq
from cellv2_conformance import redact

STATUS_TIMEOUT = 180


def message_queue(ix, inv, out):
    """Every mapped compute host listens on its own cell's vhost
    (``compute.<host>`` queue) and on no other cell's."""
    fam = 'message-queue'
    cells = [c for c in inv.cells if c.uuid in ix.cell_uuid.values()
             and ((c.mq or {}).get('management_url') or
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


_BLOCK = re.compile(r'Check:\s*(?P<name>.+?)\s*\|\s*\n.*?Result:\s*'
                    r'(?P<result>\w+)\s*\|\s*\n(?P<details>.*?)(?=\n\+)',
                    re.S)


def parse_status(text):
    """[(check name, result, details)] from nova-status's table."""
    out = []
    for m in _BLOCK.finditer(text):
        details = ' '.join(
            ln.strip(' |') for ln in m.group('details').splitlines()
            if ln.strip(' |'))
        details = re.sub(r'^Details:\s*', '', details)
        out.append((m.group('name').strip(), m.group('result'),
                    details if details != 'None' else ''))
    return out


def nova_status(inv, out):
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
                                              .strip().splitlines()[-1:]
                                              and (p.stderr or p.stdout)
                                              .strip().splitlines()[-1])),
                ' '.join(argv))
        return results
    for name, result, details in results:
        if result.lower() != 'success':
            out.add(fam, name, '', ('nova-status upgrade check',
                                    'the cloud'),
                    '%s: %s' % (result, redact.text(details)),
                    'see `%s` and doc/source/audit.rst' % ' '.join(
                        argv[:1] + argv[-2:]))
    return results
