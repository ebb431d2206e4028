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

"""The two errors every command maps to an exit code (ground level: no
imports, so the command line catches them without loading the rooms).

Each room's own error (DeployError, ScenarioError, InventoryError,
FaultError) derives from :class:`CannotRun`: bad input, an unusable cloud,
a missing binary -- one message naming what and where, exit 2.
"""


class CannotRun(Exception):
    """The command cannot do its job; the message says what, where and
    what to do (exit code 2).
    """


class Interrupted(CannotRun):
    """Ctrl-C or SIGTERM stopped the command after it cleaned up (130)."""
