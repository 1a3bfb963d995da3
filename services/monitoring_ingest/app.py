"""monitoring_ingest: vendor readings normalised, deduplicated, NEWS2-scored and escalated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI, Request

from services.monitoring_ingest.alerts import relay as outbox
from services.monitoring_ingest.alerts.endpoints import router as alerts_router
from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.devices.endpoints import internal as bindings_internal
from services.monitoring_ingest.devices.endpoints import router as bindings_router
from services.monitoring_ingest.pacing.endpoints import router as pacing_router
from services.monitoring_ingest.readings.endpoints import ingest as ingest_router
from services.monitoring_ingest.readings.endpoints import router as readings_router
from services.monitoring_ingest.scoring.endpoints import internal as scoring_internal
from services.monitoring_ingest.scoring.endpoints import router as scoring_router
from services.monitoring_ingest.settings import IngestSettings
from services.monitoring_ingest.vendors.endpoints import router as vendors_router
from shared.app_factory import build_app
from shared.diagnostics import whoami_router
from shared.peers import peers_router

SERVICE = "monitoring_ingest"
DESCRIPTION = """
Readings from remote-monitoring device vendors in their own formats: normalised,
deduplicated, NEWS2-scored and stored; escalations are sent to ward_api.

Vendors sign every request (see the ingest endpoints); people authenticate with a bearer
JWT (`vward token --help`). Errors are RFC 9457 problem details (`application/problem+json`).
"""

TAGS = [
    {"name": "ingest", "description": "Vendor readings, one endpoint per format."},
    {"name": "readings", "description": "Clinician entry, quarantine and reading queries."},
    {"name": "news2", "description": "NEWS2 results, SpO2 scale and per-patient thresholds."},
    {"name": "bindings", "description": "Devices bound to admissions."},
    {"name": "alerts", "description": "The alert outbox and its delivery state (operators)."},
    {"name": "vendors", "description": "Vendor registry, API keys and devices (admin)."},
]


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()

    @asynccontextmanager
    async def peers(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            app.state.ward_api = WardApiClient(
                settings.ward_api_url,
                codec=app.state.token_codec,
                caller=SERVICE,
                timeout=settings.http_timeout_seconds,
            )
            stack.push_async_callback(app.state.ward_api.aclose)
            if settings.runs_relay:
                # Its own client: the relay does its own backoff, so no inner retries.
                relay_client = WardApiClient(
                    settings.ward_api_url,
                    codec=app.state.token_codec,
                    caller=SERVICE,
                    timeout=settings.http_timeout_seconds,
                    retries=0,
                )
                stack.push_async_callback(relay_client.aclose)
                app.state.relay = outbox.AlertRelay(app.state.engine, relay_client, settings)
                await stack.enter_async_context(outbox.running(app.state.relay))
            yield

    def clients(request: Request) -> dict:
        return {"ward_api": request.app.state.ward_api}

    return build_app(
        service=SERVICE,
        settings=settings,
        title="vward monitoring_ingest",
        description=DESCRIPTION,
        tags=TAGS,
        routers=[
            whoami_router(),
            peers_router(clients),
            ingest_router,
            readings_router,
            scoring_router,
            pacing_router,
            scoring_internal,
            bindings_internal,
            bindings_router,
            alerts_router,
            vendors_router,
        ],
        extra_lifespan=peers,
    )
