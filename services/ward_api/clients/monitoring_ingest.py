"""Typed client for monitoring_ingest, as ward_api calls it.

Shapes follow docs/contracts.md. Failures surface as shared.http_client.PeerError /
PeerUnavailable; callers decide how to degrade.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from shared.http_client import ServiceClient


class BindingResult(BaseModel):
    status_code: int


class UnbindResult(BaseModel):
    admission_id: uuid.UUID
    readings_expected: int
    readings_received: int
    unbound_at: datetime | None = None


class LatestVitals(BaseModel):
    admission_id: uuid.UUID
    news2_score: int | None = None
    news2_at_least: int | None = None
    risk: str | None = None
    complete: bool | None = None
    last_reading_at: datetime | None = None
    open_alerts: int | None = None


class MonitoringClient(ServiceClient):
    peer = "monitoring_ingest"

    async def bind_device(
        self,
        *,
        vendor_id: str,
        device_id: str,
        admission_id: uuid.UUID,
        ward_id: uuid.UUID,
        expected_interval_minutes: int,
        bound_at: datetime,
        icb_codes: list[str] | None = None,
    ) -> BindingResult:
        """PUT the binding (idempotent: 201 new, 200 the same binding again)."""
        response = await self.request(
            "PUT",
            f"/v1/internal/bindings/{vendor_id}/{device_id}",
            json={
                "admission_id": str(admission_id),
                "ward_id": str(ward_id),
                "icb_codes": icb_codes or [],
                "expected_interval_minutes": expected_interval_minutes,
                "bound_at": bound_at.isoformat(),
            },
        )
        return BindingResult(status_code=response.status_code)

    async def unbind_device(
        self,
        *,
        vendor_id: str,
        device_id: str,
        admission_id: uuid.UUID,
        unbound_at: str | None = None,
    ) -> UnbindResult:
        """DELETE the binding (idempotent) and read the admission's monitoring completeness.

        `unbound_at` (the discharge time) is sent so a late delivery can end the binding
        when the patient left, not when the call got through; monitoring_ingest does not
        read it yet (see docs/contracts.md) and then ends the binding at the call.
        """
        params = {"admission_id": str(admission_id)}
        if unbound_at is not None:
            params["unbound_at"] = unbound_at
        response = await self.request(
            "DELETE", f"/v1/internal/bindings/{vendor_id}/{device_id}", params=params
        )
        return UnbindResult.model_validate(response.json())

    async def latest_vitals(self, admission_ids: list[uuid.UUID]) -> list[LatestVitals]:
        """Latest NEWS2 per admission (at most 1,000 per call; a read, so retried)."""
        items: list[LatestVitals] = []
        for start in range(0, len(admission_ids), 1000):
            chunk = admission_ids[start : start + 1000]
            response = await self.request(
                "POST",
                "/v1/internal/latest-vitals",
                json={"admission_ids": [str(a) for a in chunk]},
                idempotent=True,
            )
            items.extend(LatestVitals.model_validate(i) for i in response.json()["items"])
        return items
