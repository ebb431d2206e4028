"""Plugin-local compute API schemas (where tempest's reject valid bodies)."""
