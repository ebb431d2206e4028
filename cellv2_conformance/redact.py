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

_URL_PASSWORD = re.compile(r'(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)'
                           r'(?P<user>[^:/@\s]+):(?P<pw>[^@\s/]+)@')
_KEYVALUE = re.compile(
    r'(?i)(?P<key>\b(?:password|passwd|secret|token|auth_token|'
    r'x-auth-token|x-subject-token|admin_password|os_admin_password|'
    r'bootstrap-password)\b["\']?\s*[:=]\s*["\']?)(?P<val>[^\s"\',}&]+)')
_TOKEN_LIKE = re.compile(r'\bgAAAAA[A-Za-z0-9_\-=]{20,}')


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
    s = _URL_PASSWORD.sub(lambda m: '%s%s:%s@' % (
        m.group('scheme'), m.group('user'), MASK), s)
    s = _KEYVALUE.sub(lambda m: m.group('key') + MASK, s)
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
        if a.startswith('--') and 'password' in a and '=' not in a:
            hide_next = True
        out.append(text(a))
    return out


def data(obj):
    """Deep-copy ``obj`` with secrets masked in every string and in keys
    that name a secret."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if isinstance(k, str) and re.search(r'(?i)password|secret|token',
                                                k) and isinstance(v, str):
                out[k] = MASK
            else:
                out[k] = data(v)
        return out
    if isinstance(obj, (list, tuple)):
        return [data(v) for v in obj]
    if isinstance(obj, str):
        return text(obj)
    return obj
