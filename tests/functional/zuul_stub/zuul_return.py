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

"""Stand-in for Zuul's ``zuul_return`` outside Zuul (tests only).

Zuul's executor action plugin merges ``data`` into the build's results
file; this module does the same into the JSON file named by the
ZUUL_RESULTS environment variable, so a test can read what a playbook
returned.
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule


def _merge(old, new):
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            _merge(old[key], value)
        else:
            old[key] = value
    return old


def main():
    module = AnsibleModule(argument_spec={
        'data': {'type': 'dict', 'required': True}})
    path = os.environ.get('ZUUL_RESULTS')
    if not path:
        module.fail_json(msg='ZUUL_RESULTS is not set')
    results = {}
    if os.path.exists(path):
        with open(path) as f:
            results = json.load(f)
    with open(path, 'w') as f:
        json.dump(_merge(results, module.params['data']), f)
    module.exit_json(changed=True)


if __name__ == '__main__':
    main()
