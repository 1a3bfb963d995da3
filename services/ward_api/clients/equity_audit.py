"""Typed client for equity_audit, as ward_api calls it.

Shapes follow docs/contracts.md. Failures surface as shared.http_client.PeerError /
PeerUnavailable; callers decide how to degrade.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from shared.http_client import ServiceClient


class NeedWeight(BaseModel):
    code: str
    weight: Decimal


class NeedWeightsResponse(BaseModel):
    basis: str
    vintage: str
    weights: list[NeedWeight]


class EquityAuditClient(ServiceClient):
    peer = "equity_audit"

    async def need_weights(self, *, level: str = "icb") -> NeedWeightsResponse:
        response = await self.request("GET", "/v1/need-weights", params={"level": level})
        return NeedWeightsResponse.model_validate(response.json())
