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

"""Scenario files: load, validate and default a deployment description.

A scenario is a small YAML document that says what cloud to build: how many
cells, how many computes in each, whether Blazar runs, where the databases and
message queues come from, and which service options to override.  This room
knows nothing about processes; :mod:`cellv2_conformance.deploy` turns a
validated :class:`Scenario` into running services.
"""

from cellv2_conformance.scenario.loader import BUNDLED  # noqa: F401
from cellv2_conformance.scenario.loader import bundled_names  # noqa: F401
from cellv2_conformance.scenario.loader import load  # noqa: F401
from cellv2_conformance.scenario.loader import load_text  # noqa: F401
from cellv2_conformance.scenario.loader import Scenario  # noqa: F401
from cellv2_conformance.scenario.loader import ScenarioError  # noqa: F401
