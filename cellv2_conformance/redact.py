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

"""Keep passwords and tokens out of everything we print or write.

``register()`` records a secret value the moment it is generated or read;
``text()`` masks every registered value, URL passwords and token headers in a
string.  Reports, logs we write and error messages all go through here.
"""

import re
import threading

MASK = '***'
_SECRETS = set()
_LOCK = threading.Lock()

# A key that names a secret: password, OS_PASSWORD, db_password,
# memcache_secret_key, X-Auth-Token, credential, api_key, ...
_SECRET_WORD = (r'(?:passw(?:or)?d|pwd|secret|token|credential|'
                r'api[_-]?key|private[_-]?key|access[_-]?key|cookie)')
_KEY_CHARS = r'[A-Za-z0-9_.-]'
_SECRET_KEY = re.compile(r'(?i)' + _SECRET_WORD)
_KEYVALUE = re.compile(
    r'(?i)(?P<key>(?<!' + _KEY_CHARS + r')' + _KEY_CHARS + r'*' +
    _SECRET_WORD + _KEY_CHARS + r'*["\']?\s*[:=]\s*)'
    r'(?:(?P<q>["\'])(?P<qval>[^"\'\n]*)(?P=q)|(?P<val>[^\s"\',}&;]+))')
# `--os-password x`, `--bootstrap-password x` in a command line shown as text
_OPTION_VALUE = re.compile(r'(?i)(?P<opt>--[\w-]*' + _SECRET_WORD +
                           r'[\w-]*)(?P<sep>\s+)(?P<val>[^\s-][^\s]*)')
_AUTH_HEADER = re.compile(
    r'(?i)(?P<key>\b(?:proxy-)?authorization["\']?\s*[:=]\s*["\']?)'
    r'(?P<scheme>(?:basic|bearer|digest|negotiate|token)\s+)?'
    r'(?P<val>[^\s"\',}]+)')
_URL = re.compile(r'(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)'
                  r'(?P<netloc>[^/\s?#"\'<>]*@[^/\s?#"\'<>]*)')
_TOKEN_LIKE = re.compile(r'\bgAAAAA[A-Za-z0-9_\-=]{20,}|'
                         r'\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+\.'
                         r'[A-Za-z0-9_-]*')


def _mask_netloc(m):
    """Every ``user:password@`` of a (multi-host) URL's netloc."""
    hosts = []
    for part in m.group('netloc').split(','):
        if '@' in part:
            userinfo, host = part.rsplit('@', 1)
            if ':' in userinfo:
                userinfo = userinfo.split(':', 1)[0] + ':' + MASK
            part = userinfo + '@' + host
        hosts.append(part)
    return m.group('scheme') + ','.join(hosts)


def _mask_keyvalue(m):
    if m.group('q') is not None:
        return m.group('key') + m.group('q') + MASK + m.group('q')
    return m.group('key') + MASK


def is_secret_key(name):
    """Whether a field or option called ``name`` holds a secret."""
    return isinstance(name, str) and bool(_SECRET_KEY.search(name))


def register(*values):
    with _LOCK:
        for v in values:
            if v and len(str(v)) >= 4:
                _SECRETS.add(str(v))


def text(s):
    if s is None:
        return s
    s = str(s)
    with _LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for v in secrets:
        if v in s:
            s = s.replace(v, MASK)
    s = _URL.sub(_mask_netloc, s)
    s = _AUTH_HEADER.sub(lambda m: m.group('key') + (
        m.group('scheme') or '') + MASK, s)
    s = _KEYVALUE.sub(_mask_keyvalue, s)
    s = _OPTION_VALUE.sub(lambda m: m.group('opt') + m.group('sep') + MASK,
                          s)
    s = _TOKEN_LIKE.sub(MASK, s)
    return s


def url(u):
    return text(u)


def argv(args):
    out = []
    hide_next = False
    for a in args:
        a = str(a)
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        if a.startswith('--') and _SECRET_KEY.search(a) and '=' not in a:
            hide_next = True
        out.append(text(a))
    return out


def data(obj):
    """Deep-copy ``obj`` with secrets masked in every string and in keys
    that name a secret.
    """
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and _SECRET_KEY.search(k) and \
                    isinstance(v, str):
                out[k] = MASK
            else:
                out[k] = data(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [data(v) for v in obj]
    if isinstance(obj, str):
        return text(obj)
    return obj
