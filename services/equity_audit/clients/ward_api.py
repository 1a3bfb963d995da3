"""Typed client for ward_api, as equity_audit calls it."""

from __future__ import annotations

from shared.http_client import ServiceClient


class WardApiClient(ServiceClient):
    peer = "ward_api"
