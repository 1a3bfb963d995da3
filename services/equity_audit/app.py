"""equity_audit: who virtual wards reach and fail, by deprivation, digital exclusion and housing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.settings import EquitySettings
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


def create_app(settings: EquitySettings | None = None) -> FastAPI:
    settings = settings or EquitySettings()

    @asynccontextmanager
    async def peers(app: FastAPI) -> AsyncIterator[None]:
        app.state.ward_api = WardApiClient(
            settings.ward_api_url,
            codec=app.state.token_codec,
            caller=SERVICE,
            timeout=settings.http_timeout_seconds,
        )
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
        routers=[whoami_router(), peers_router(clients)],
        extra_lifespan=peers,
    )
