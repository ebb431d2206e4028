"""Scenario -> running services.  The only room that starts or stops
OpenStack processes; everything else reads the cells inventory it writes."""

from cellv2_conformance.deploy.process import DeployError  # noqa: F401
