"""Blazar reservation API v1 clients (CONF-free, tempest.lib only)."""

from cellv2_conformance.services.reservation.v1.hosts_client import \
    HostsClient
from cellv2_conformance.services.reservation.v1.leases_client import \
    LeasesClient

__all__ = ['LeasesClient', 'HostsClient']
