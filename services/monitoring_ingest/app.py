"""monitoring_ingest: vendor readings normalised, deduplicated, NEWS2-scored and escalated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from shared.app_factory import build_app
from shared.diagnostics import whoami_router
from shared.peers import peers_router

SERVICE = "monitoring_ingest"
DESCRIPTION = """
Readings from remote-monitoring device vendors in their own formats: normalised,
deduplicated, NEWS2-scored and stored; escalations are sent to ward_api.

Authenticate with a bearer JWT (`vward token --help`). Errors are RFC 9457 problem
details (`application/problem+json`).
"""


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()

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
        title="vward monitoring_ingest",
        description=DESCRIPTION,
        routers=[whoami_router(), peers_router(clients)],
        extra_lifespan=peers,
    )
