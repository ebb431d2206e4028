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

"""Append-only JSON-lines files named by a [cellv2] option (or an
environment variable when running outside tempest)."""

import json
import os
import threading

_LOCK = threading.Lock()


def configured_path(option, env_var):
    try:
        from tempest import config
        path = getattr(config.CONF.cellv2, option)
    except Exception:
        path = None
    return path or os.environ.get(env_var)


def append(path, entry):
    if not path:
        return
    with _LOCK:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(entry) + '\n')
