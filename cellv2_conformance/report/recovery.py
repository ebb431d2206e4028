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

"""The recovery section: host failures and what healed them.

Built from the timing samples the recovery checks write
(``tests/serial/test_host_failure_recovery.py``):

``recovery-detection``
    compute killed -> nova reports it down (per failed host)
``recovery-notification-to-active``
    Masakari notification -> that server ACTIVE on its new host (per
    evacuated server; ``dest`` names the host)
``recovery-failure-to-last-active``
    compute killed -> last evacuated server ACTIVE (per failure)
``recovery-notification-to-final``
    Masakari notification -> its final status (``status``: finished,
    failed, ...), per notification
``blazar-failure-to-healed``
    compute killed -> Blazar gave the lease's reservation a replacement

``summarize`` returns None when a run has none of them (the run document
then has no ``recovery`` key).
"""

from cellv2_conformance.timing import stats

DETECTION = 'recovery-detection'
MOVE = 'recovery-notification-to-active'
FAILURE = 'recovery-failure-to-last-active'
LEASE = 'blazar-failure-to-healed'
FINAL = 'recovery-notification-to-final'
OPS = (DETECTION, MOVE, FAILURE, LEASE, FINAL)


def summarize(samples):
    mine = [s for s in samples or () if s.get('op') in OPS]
    if not mine:
        return None
    failures = {}

    def failure(s):
        return failures.setdefault(s.get('host'), {
            'host': s.get('host'), 'cell': s.get('cell'),
            'detection_s': None, 'notification': None, 'status': None,
            'notification_to_final_s': None,
            'failure_to_last_active_s': None, 'moves': []})
    for s in mine:
        if s['op'] == DETECTION:
            failure(s)['detection_s'] = s.get('seconds')
        elif s['op'] == MOVE:
            f = failure(s)
            f['notification'] = s.get('notification')
            f['moves'].append({'server': s.get('server'),
                               'dest': s.get('dest'),
                               'seconds': s.get('seconds')})
        elif s['op'] == FINAL:
            f = failure(s)
            f['notification'] = s.get('notification')
            f['status'] = s.get('status')
            f['notification_to_final_s'] = s.get('seconds')
        elif s['op'] == FAILURE:
            f = failure(s)
            f['notification'] = s.get('notification')
            f['failure_to_last_active_s'] = s.get('seconds')
    leases = [{'host': s.get('host'), 'cell': s.get('cell'),
               'replacement': s.get('replacement'),
               'replacement_cell': s.get('replacement_cell'),
               'seconds': s.get('seconds')}
              for s in mine if s['op'] == LEASE]
    lease_hosts = {lease['host'] for lease in leases}
    return {
        'failures': [f for h, f in sorted(failures.items(),
                                          key=lambda i: str(i[0]))
                     if f['moves'] or f['notification'] or
                     h not in lease_hosts],
        'leases': leases,
        'instances_moved': sum(1 for s in mine if s['op'] == MOVE),
        # notification -> ACTIVE per evacuated server, per cell
        'per_cell': stats.group([s for s in mine if s['op'] == MOVE],
                                lambda s: s.get('cell') or '-',
                                lambda s: s.get('seconds')),
    }


def _s(v):
    return '-' if v is None else '%.1f s' % v


def markdown(rec):
    """Lines of the summary.md section."""
    if not rec:
        return []
    lines = ['', '## Recovery (host failures)', '',
             '| failed host | cell | nova saw it down | notification | '
             'final status | moves | failure to last ACTIVE |',
             '|---|---|---:|---|---|---|---:|']
    for f in rec['failures']:
        moves = ', '.join('%s -> %s (%s)' % (
            (m['server'] or '?')[:8], m['dest'], _s(m['seconds']))
            for m in f['moves']) or 'none'
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            f['host'], f['cell'], _s(f['detection_s']),
            f['notification'] or '-', '%s after %s' % (
                f['status'], _s(f['notification_to_final_s']))
            if f['status'] else '-', moves,
            _s(f['failure_to_last_active_s'])))
    for cell, s in sorted(rec['per_cell'].items()):
        lines.append('')
        lines.append('Notification to ACTIVE in %s: p50 %s, p95 %s (%d '
                     'server(s))' % (cell, _s(s.get('p50')),
                                     _s(s.get('p95')), s['count']))
    for lease in rec['leases']:
        lines.append('')
        lines.append('Blazar healed the lease on %s (%s) with %s (%s) in %s'
                     % (lease['host'], lease['cell'],
                        lease['replacement'] or 'nothing',
                        lease['replacement_cell'] or '-',
                        _s(lease['seconds'])))
    return lines


def html(rec, esc):
    """The report.html section (``esc`` escapes text)."""
    if not rec:
        return ''
    rows = []
    for f in rec['failures']:
        moves = '<br>'.join('%s &rarr; %s (%s)' % (
            esc(m['server']), esc(m['dest']), esc(_s(m['seconds'])))
            for m in f['moves']) or 'none'
        rows.append('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                    '<td>%s</td><td>%s</td><td>%s</td></tr>' % (
                        esc(f['host']), esc(f['cell']),
                        esc(_s(f['detection_s'])),
                        esc(f['notification'] or '-'),
                        esc('%s after %s' % (f['status'], _s(
                            f['notification_to_final_s'])))
                        if f['status'] else '-', moves,
                        esc(_s(f['failure_to_last_active_s']))))
    out = ['<table><tr><th>failed host</th><th>cell</th><th>nova saw it '
           'down</th><th>Masakari notification</th><th>final status</th>'
           '<th>instance moves '
           '(notification &rarr; ACTIVE)</th><th>failure &rarr; last '
           'ACTIVE</th></tr>%s</table>' % ''.join(rows)]
    for cell, s in sorted(rec['per_cell'].items()):
        out.append('<p>Notification to ACTIVE in <b>%s</b>: p50 %s, p95 %s '
                   '(%d server(s))</p>' % (esc(cell), esc(_s(s.get('p50'))),
                                           esc(_s(s.get('p95'))),
                                           s['count']))
    for lease in rec['leases']:
        out.append('<p>Blazar healed the lease on %s (%s) with %s (%s) in '
                   '%s</p>' % (esc(lease['host']), esc(lease['cell']),
                               esc(lease['replacement'] or 'nothing'),
                               esc(lease['replacement_cell'] or '-'),
                               esc(_s(lease['seconds']))))
    return '\n'.join(out)
