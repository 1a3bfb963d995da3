"""Typed client for ward_api, as monitoring_ingest calls it (docs/contracts.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from shared.http_client import ServiceClient


class AdmissionStay(BaseModel):
    """ward_api's facts about an admission: its ward, that ward's ICB codes, and its stay."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID
    icb_codes: list[str]
    admitted_at: datetime
    recorded_at: datetime
    discharged_at: datetime | None


class WardApiClient(ServiceClient):
    peer = "ward_api"

    async def post_alert(self, alert: dict[str, Any]) -> int:
        """Deliver one escalation; idempotent by alert_id (201 first time, 200 repeats)."""
        response = await self.request("POST", "/v1/internal/alerts", json=alert, idempotent=True)
        return response.status_code

    async def admission_stay(self, admission_id: uuid.UUID) -> AdmissionStay:
        """The admission as ward_api owns it; PeerError 404 when it does not exist (a read)."""
        response = await self.request(
            "GET", f"/v1/internal/admissions/{admission_id}/stay", idempotent=True
        )
        return AdmissionStay.model_validate(response.json())
