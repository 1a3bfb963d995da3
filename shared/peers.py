"""A diagnostic route that calls each peer's /v1/whoami as this service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from shared.auth import Principal, Role, allow
from shared.http_client import PeerError, ServiceClient


class PeerReached(BaseModel):
    status: Literal["ok"]
    saw: Any = Field(description="What the peer's /v1/whoami answered.")


class PeerFailed(BaseModel):
    status: Literal["error"]
    http_status: int | None
    detail: str


def peers_router(clients: Callable[[Request], dict[str, ServiceClient]]) -> APIRouter:
    """`GET /v1/peers`: can this service reach and authenticate to each peer?"""
    router = APIRouter(prefix="/v1", tags=["operations"])

    @router.get("/peers", summary="Check authenticated calls to each peer service")
    async def peers(
        request: Request, _: Annotated[Principal, Depends(allow(Role.admin))]
    ) -> dict[str, PeerReached | PeerFailed]:
        results: dict[str, PeerReached | PeerFailed] = {}
        for name, client in clients(request).items():
            try:
                response = await client.request("GET", "/v1/whoami")
                results[name] = PeerReached(status="ok", saw=response.json())
            except PeerError as exc:
                results[name] = PeerFailed(
                    status="error", http_status=exc.status, detail=exc.detail
                )
        return results

    return router
