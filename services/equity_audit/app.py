"""equity_audit: who virtual wards reach and fail, by deprivation, digital exclusion and housing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from services.equity_audit.audit.endpoints import router as audit_router
from services.equity_audit.audit.service import AreaCache
from services.equity_audit.calculators.endpoints import router as methods_router
from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.datasets.endpoints import router as datasets_router
from services.equity_audit.need.endpoints import router as need_router
from services.equity_audit.settings import EquitySettings
from services.equity_audit.snapshots.endpoints import router as snapshots_router
from shared.app_factory import build_app
from shared.diagnostics import whoami_router
from shared.peers import peers_router

SERVICE = "equity_audit"
DESCRIPTION = """
Who virtual wards reach and fail: uptake and outcomes by deprivation, digital exclusion
and housing, with public-health statistics and small-number suppression.

Authenticate with a bearer JWT (`vward token --help`). Errors are RFC 9457 problem
details (`application/problem+json`).
"""


def create_app(
    settings: EquitySettings | None = None,
    *,
    ward_api_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the service; `ward_api_transport` lets tests stand a stub in for ward_api."""
    settings = settings or EquitySettings()

    @asynccontextmanager
    async def peers(app: FastAPI) -> AsyncIterator[None]:
        app.state.ward_api = WardApiClient(
            settings.ward_api_url,
            codec=app.state.token_codec,
            caller=SERVICE,
            timeout=settings.http_timeout_seconds,
            transport=ward_api_transport,
        )
        app.state.area_cache = AreaCache()
        try:
            yield
        finally:
            await app.state.ward_api.aclose()

    def clients(request: Request) -> dict:
        return {"ward_api": request.app.state.ward_api}

    return build_app(
        service=SERVICE,
        settings=settings,
        title="vward equity_audit",
        description=DESCRIPTION,
        routers=[
            whoami_router(),
            peers_router(clients),
            datasets_router,
            methods_router,
            need_router,
            snapshots_router,
            audit_router,
        ],
        extra_lifespan=peers,
    )
