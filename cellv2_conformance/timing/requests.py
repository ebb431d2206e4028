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

"""Per-request latency from tempest's own log.

tempest.lib's REST client logs one INFO line per request::

    2026-11-24 01:20:00.123 4242 INFO tempest.lib.common.rest_client
    [req-...] Request (FlavorsV2TestJSON:test_list_flavors): 200 GET
    http://127.0.0.1:20104/v2.1/flavors/detail 0.123s

(one line in the file).  We read those lines, normalise the path (UUIDs,
hex ids and numbers become ``{id}``, query values are dropped) and name the
service from the inventory's service URLs/ports, so a report can say "GET
/v2.1/servers/detail on nova-api: p95 0.41 s".  The log is never copied
into the run document; only numbers and redacted URLs leave here.
"""

import datetime
import re
import urllib.parse

from cellv2_conformance import redact
from cellv2_conformance.timing import stats

_LINE = re.compile(
    r'^(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?)\s+(?P<pid>\d+)'
    r'\s.*?\bRequest \((?P<caller>.*?)\): (?P<status>\d{3}) '
    r'(?P<method>[A-Z]+) (?P<url>\S+)(?: (?P<secs>\d+(?:\.\d+)?)s)?\s*$')
_UUID = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                   r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')
_HEX = re.compile(r'^[0-9a-fA-F]{16,}$')
_NUM = re.compile(r'^\d+$')
_REQ_ID = re.compile(r'^req-[0-9a-fA-F-]+$')
_VERSION = re.compile(r'^v\d+(\.\d+)?$')
# data_utils.rand_name() suffix: "cellv2-meta-641628845"
_RAND = re.compile(r'^(?P<stem>.*?[A-Za-z].*?)-\d{5,}$')

# Fallback when the inventory does not know the endpoint (e.g. DevStack,
# where every API sits behind one port under a path prefix).
_PATH_HINTS = (
    ('/identity', 'keystone'), ('/v3/', 'keystone'), ('/compute', 'nova-api'),
    ('/v2.1', 'nova-api'), ('/placement', 'placement'),
    ('/resource_providers', 'placement'),
    ('/allocation_candidates', 'placement'), ('/image', 'glance'),
    ('/v2/images', 'glance'), ('/reservation', 'blazar-api'),
    ('/v1/leases', 'blazar-api'), ('/v1/os-hosts', 'blazar-api'),
    ('/networking', 'neutron'), ('/v2.0/', 'neutron'),
)


def normalise_path(url):
    """``http://h:1/v2.1/servers/<uuid>/action?x=1`` ->
    ``/v2.1/servers/{id}/action?x``.
    """
    parts = urllib.parse.urlsplit(url)
    segs = []
    for seg in parts.path.split('/'):
        if _VERSION.match(seg):
            segs.append(seg)
        elif (_UUID.match(seg) or _HEX.match(seg) or _NUM.match(seg) or
              _REQ_ID.match(seg)):
            segs.append('{id}')
        elif _RAND.match(seg):
            segs.append(_RAND.match(seg).group('stem') + '-{n}')
        else:
            segs.append(seg)
    path = '/'.join(segs).rstrip('/') or '/'
    if parts.query:
        keys = sorted({k for k, _ in urllib.parse.parse_qsl(
            parts.query, keep_blank_values=True)})
        if keys:
            path += '?' + '&'.join(keys)
    return path


class ServiceMap:
    """Name the service behind a URL from the inventory's services."""

    def __init__(self, services=None):
        self.prefixes = []   # (scheme://host:port/path, name)
        self.ports = {}
        for name, svc in sorted((services or {}).items()):
            if not isinstance(svc, dict):
                continue
            url = svc.get('url')
            if url:
                u = urllib.parse.urlsplit(url)
                if u.port:
                    self.ports.setdefault(u.port, name)
                self.prefixes.append((_origin(u) + u.path.rstrip('/'), name))
            port = svc.get('port')
            if isinstance(port, int) or (isinstance(port, str) and
                                         port.isdigit()):
                self.ports.setdefault(int(port), name)
        self.prefixes.sort(key=lambda p: len(p[0]), reverse=True)

    def name(self, url):
        u = urllib.parse.urlsplit(url)
        full = _origin(u) + u.path
        for prefix, name in self.prefixes:
            if full == prefix or full.startswith(prefix + '/'):
                return name
        try:
            port = u.port
        except ValueError:
            port = None
        if port in self.ports:
            return self.ports[port]
        for hint, name in _PATH_HINTS:
            if u.path.startswith(hint) or hint in u.path:
                return name
        return u.netloc.rsplit('@', 1)[-1] or 'unknown'


def _origin(u):
    host = (u.hostname or '').lower()
    try:
        port = u.port
    except ValueError:
        port = None
    if (u.scheme, port) in (('http', 80), ('https', 443)):
        port = None
    return '%s://%s%s' % (u.scheme, host, ':%d' % port if port else '')


def _parse_ts(ts):
    """The log's naive local time as an aware UTC datetime."""
    ts = ts.replace(',', '.').replace('T', ' ')
    try:
        dt = datetime.datetime.strptime(ts, '%Y-%m-%d %H:%M:%S.%f')
    except ValueError:
        dt = datetime.datetime.strptime(ts, '%Y-%m-%d %H:%M:%S')
    return dt.astimezone(datetime.timezone.utc)


def parse_line(line, services=None):
    """One request dict from a log line, or None when it is not one."""
    if 'Request (' not in line:
        return None
    m = _LINE.match(line.rstrip('\n'))
    if not m:
        return None
    caller = m.group('caller')
    cls, _, test = caller.partition(':')
    url = m.group('url')
    smap = services if isinstance(services, ServiceMap) else ServiceMap(
        services)
    return {
        'at': _parse_ts(m.group('ts')).isoformat(),
        'pid': int(m.group('pid')),
        'class': cls, 'test': test or None,
        'status': int(m.group('status')),
        'method': m.group('method'),
        'path': normalise_path(url),
        'service': smap.name(url),
        'seconds': float(m.group('secs')) if m.group('secs') else None,
    }


def parse(lines, services=None):
    """All request records of a tempest log (iterable of lines)."""
    smap = ServiceMap(services)
    out = []
    for line in lines:
        rec = parse_line(line, smap)
        if rec is not None:
            out.append(rec)
    return out


def parse_file(path, services=None):
    with open(path, encoding='utf-8', errors='replace') as f:
        return parse(f, services)


def aggregate(records):
    """Latency summaries per ``METHOD path``, per service, per status class
    and overall.  Records without a duration are counted but not timed.
    """
    timed = [r for r in records if r.get('seconds') is not None]
    per_request = {}
    for key, summ in stats.group(
            timed, lambda r: (r['service'], r['method'], r['path']),
            lambda r: r['seconds']).items():
        service, method, path = key
        summ = dict(summ, service=service, method=method, path=path,
                    errors=sum(1 for r in records
                               if (r['service'], r['method'], r['path']) ==
                               key and r['status'] >= 400))
        per_request['%s %s %s' % (service, method, redact.text(path))] = summ
    return {
        'count': len(records),
        'overall': stats.summary(r['seconds'] for r in timed),
        'per_service': stats.group(timed, lambda r: r['service'],
                                   lambda r: r['seconds']),
        'per_request': per_request,
        'status_classes': _count(records, lambda r: '%dxx' % (
            r['status'] // 100)),
    }


def _count(items, key):
    out = {}
    for it in items:
        k = key(it)
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))
