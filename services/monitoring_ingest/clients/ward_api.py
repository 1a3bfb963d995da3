"""Typed client for ward_api, as monitoring_ingest calls it (docs/contracts.md)."""

from __future__ import annotations

from typing import Any

from shared.http_client import ServiceClient


class WardApiClient(ServiceClient):
    peer = "ward_api"

    async def post_alert(self, alert: dict[str, Any]) -> int:
        """Deliver one escalation; idempotent by alert_id (201 first time, 200 repeats)."""
        response = await self.request("POST", "/v1/internal/alerts", json=alert, idempotent=True)
        return response.status_code
