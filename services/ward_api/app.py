"""ward_api: virtual-bed capacity, allocation, admissions, alerts and caseloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI, Request

from services.ward_api.admissions.endpoints import router as admissions_router
from services.ward_api.alerts.endpoints import router as alerts_router
from services.ward_api.audit.endpoints import router as audit_router
from services.ward_api.bindings.endpoints import internal as bindings_internal
from services.ward_api.bindings.worker import BindingWorker, running
from services.ward_api.capacity.endpoints import admin_router as sitrep_router
from services.ward_api.capacity.endpoints import router as capacity_router
from services.ward_api.clients.equity_audit import EquityAuditClient
from services.ward_api.clients.monitoring_ingest import MonitoringClient
from services.ward_api.events.endpoints import router as events_router
from services.ward_api.events.hub import EventHub
from services.ward_api.exports.endpoints import router as exports_router
from services.ward_api.geography.endpoints import router as geography_router
from services.ward_api.inclusion.endpoints import admin_router as inclusion_admin_router
from services.ward_api.inclusion.endpoints import partners_router
from services.ward_api.inclusion.endpoints import router as inclusion_router
from services.ward_api.settings import WardSettings
from services.ward_api.wards.endpoints import router as wards_router
from shared.app_factory import build_app
from shared.database import driver_free_url
from shared.db_url import resolve_database_url
from shared.diagnostics import whoami_router
from shared.peers import peers_router

SERVICE = "ward_api"
DESCRIPTION = """
Virtual-ward capacity against NHS England's ambition of 40–50 virtual beds per 100,000
population, bed allocation, admissions, alerts and caseloads.

Authenticate with a bearer JWT (`vward token --role clinician --ward W1`). Errors are
RFC 9457 problem details (`application/problem+json`).
"""


def create_app(
    settings: WardSettings | None = None,
    *,
    monitoring_transport: httpx.AsyncBaseTransport | None = None,
    equity_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the service; the transports let tests stand stubs in for its peers."""
    settings = settings or WardSettings()

    @asynccontextmanager
    async def peers(app: FastAPI) -> AsyncIterator[None]:
        codec = app.state.token_codec
        timeout = settings.http_timeout_seconds
        async with AsyncExitStack() as stack:
            app.state.monitoring = MonitoringClient(
                settings.monitoring_url,
                codec=codec,
                caller=SERVICE,
                timeout=timeout,
                transport=monitoring_transport,
            )
            stack.push_async_callback(app.state.monitoring.aclose)
            app.state.equity_audit = EquityAuditClient(
                settings.equity_audit_url,
                codec=codec,
                caller=SERVICE,
                timeout=timeout,
                transport=equity_transport,
            )
            stack.push_async_callback(app.state.equity_audit.aclose)
            app.state.event_hub = EventHub(
                driver_free_url(resolve_database_url(settings)) if settings.events_listen else None,
                streams_per_caller=settings.events_streams_per_caller,
            )
            await stack.enter_async_context(app.state.event_hub.running())
            if settings.runs_binding_worker:
                # Its own client without inner retries: the outbox does its own backoff.
                outbox_client = MonitoringClient(
                    settings.monitoring_url,
                    codec=codec,
                    caller=SERVICE,
                    timeout=timeout,
                    retries=0,
                    transport=monitoring_transport,
                )
                stack.push_async_callback(outbox_client.aclose)
                app.state.binding_worker = BindingWorker(
                    app.state.sessionmaker, outbox_client, settings
                )
                await stack.enter_async_context(running(app.state.binding_worker))
            yield

    def clients(request: Request) -> dict:
        state = request.app.state
        return {"monitoring_ingest": state.monitoring, "equity_audit": state.equity_audit}

    return build_app(
        service=SERVICE,
        settings=settings,
        title="vward ward_api",
        description=DESCRIPTION,
        routers=[
            whoami_router(),
            peers_router(clients),
            geography_router,
            capacity_router,
            sitrep_router,
            wards_router,
            admissions_router,
            bindings_internal,
            alerts_router,
            events_router,
            exports_router,
            audit_router,
            inclusion_router,
            inclusion_admin_router,
            partners_router,
        ],
        extra_lifespan=peers,
    )
