"""Typed client for ward_api, as monitoring_ingest calls it."""

from __future__ import annotations

from shared.http_client import ServiceClient


class WardApiClient(ServiceClient):
    peer = "ward_api"
