"""cellv2-conformance: conformance and timing harness for Nova Cells v2 and
Blazar clouds (a tempest plugin plus a CLI that deploys real local clouds)."""
