"""Scenario files: load, validate and default a deployment description.

A scenario is a small YAML document that says what cloud to build: how many
cells, how many computes in each, whether Blazar runs, where the databases and
message queues come from, and which service options to override.  This room
knows nothing about processes; :mod:`cellv2_conformance.deploy` turns a
validated :class:`Scenario` into running services.
"""

from cellv2_conformance.scenario.loader import (  # noqa: F401
    BUNDLED, Scenario, ScenarioError, bundled_names, load, load_text)
