"""Masakari (instance HA) API v1 clients (CONF-free, tempest.lib only)."""

from cellv2_conformance.services.instance_ha.v1.clients import \
    NotificationsClient
from cellv2_conformance.services.instance_ha.v1.clients import \
    SegmentHostsClient
from cellv2_conformance.services.instance_ha.v1.clients import \
    SegmentsClient

__all__ = ['SegmentsClient', 'SegmentHostsClient', 'NotificationsClient']
