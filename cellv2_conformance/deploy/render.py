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

"""Render oslo.config INI files, keeping repeated keys (multi-valued options).

A config is a dict ``{section: [(key, value), ...]}``.  ``merge`` applies a
scenario's overrides: a scalar replaces every value of that key, a list gives
the key several values (as ``available_filters`` needs).
"""

import collections


def new():
    return collections.OrderedDict()


def put(conf, section, key, value):
    conf.setdefault(section, [])
    conf[section] = [(k, v) for k, v in conf[section] if k != key]
    if isinstance(value, (list, tuple)):
        for v in value:
            conf[section].append((key, v))
    else:
        conf[section].append((key, value))


def update(conf, mapping):
    for section, opts in mapping.items():
        for key, value in opts.items():
            put(conf, section, key, value)
    return conf


def _fmt(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    return str(v)


def to_text(conf, header=None):
    lines = []
    if header:
        lines += ['# ' + h for h in header.splitlines()]
    for section, opts in conf.items():
        lines.append('[%s]' % section)
        for k, v in opts:
            lines.append('%s = %s' % (k, _fmt(v)))
        lines.append('')
    return '\n'.join(lines) + '\n'


def get(conf, section, key, default=None):
    for k, v in conf.get(section, []):
        if k == key:
            return v
    return default
