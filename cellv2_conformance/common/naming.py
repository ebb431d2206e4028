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

"""Names of everything the suite creates: ``<prefix>-<kind>-<random>``.

The prefix is ``[cellv2] resource_prefix`` (default ``cellv2``); the
``cleanup`` command removes only resources whose name starts with
``<prefix>-``, so every create goes through :func:`rand_name`.
"""

from tempest.lib.common.utils import data_utils

DEFAULT_PREFIX = 'cellv2'


def prefix():
    from tempest import config
    try:
        return config.CONF.cellv2.resource_prefix or DEFAULT_PREFIX
    except Exception:   # options not registered (unit tests, CLI)
        return DEFAULT_PREFIX


def rand_name(kind):
    return data_utils.rand_name(prefix=prefix(), name=kind)


def is_ours(name, resource_prefix=DEFAULT_PREFIX):
    """Whether ``name`` carries the run prefix (``<prefix>-...``)."""
    return bool(name) and name.startswith(resource_prefix + '-')


# Extra capability a host the suite enrolled into Blazar carries (value:
# the prefix), so that `cleanup` removes only the enrolments it made.
ENROL_MARK = 'cellv2_conformance_enrolled'
