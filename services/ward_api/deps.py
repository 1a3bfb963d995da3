"""Request dependencies of ward_api: its settings and its peer clients, typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ward_api.clients.equity_audit import EquityAuditClient
from services.ward_api.clients.monitoring_ingest import MonitoringClient
from services.ward_api.events.hub import EventHub
from services.ward_api.settings import WardSettings


def get_settings(request: Request) -> WardSettings:
    return request.app.state.settings


def get_monitoring(request: Request) -> MonitoringClient:
    return request.app.state.monitoring


def get_equity_audit(request: Request) -> EquityAuditClient:
    return request.app.state.equity_audit


def get_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """For streams, which open a short session per read rather than hold one."""
    return request.app.state.sessionmaker


def get_event_hub(request: Request) -> EventHub:
    return request.app.state.event_hub


SettingsDep = Annotated[WardSettings, Depends(get_settings)]
SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker)]
EventHubDep = Annotated[EventHub, Depends(get_event_hub)]
MonitoringDep = Annotated[MonitoringClient, Depends(get_monitoring)]
EquityAuditDep = Annotated[EquityAuditClient, Depends(get_equity_audit)]
