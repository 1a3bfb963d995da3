"""Endpoints every service has for checking who it is talking to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.auth import Principal, Role, allow


class WhoAmI(BaseModel):
    """What this service saw of the caller: used to check auth and request-id propagation."""

    service: str
    subject: str
    role: Role
    icbs: list[str]
    wards: list[str]
    vendor: str | None
    request_id: str | None


def whoami_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["operations"])

    @router.get("/whoami", summary="Echo the caller's identity and request id")
    async def whoami(
        request: Request, principal: Annotated[Principal, Depends(allow(*Role))]
    ) -> WhoAmI:
        return WhoAmI(
            service=request.app.state.service,
            subject=principal.subject,
            role=principal.role,
            icbs=sorted(principal.icbs),
            wards=sorted(principal.wards),
            vendor=principal.vendor,
            request_id=getattr(request.state, "request_id", None),
        )

    return router
