"""Request dependencies of ward_api: its settings and its peer clients, typed."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.ward_api.clients.equity_audit import EquityAuditClient
from services.ward_api.clients.monitoring_ingest import MonitoringClient
from services.ward_api.settings import WardSettings


def get_settings(request: Request) -> WardSettings:
    return request.app.state.settings


def get_monitoring(request: Request) -> MonitoringClient:
    return request.app.state.monitoring


def get_equity_audit(request: Request) -> EquityAuditClient:
    return request.app.state.equity_audit


SettingsDep = Annotated[WardSettings, Depends(get_settings)]
MonitoringDep = Annotated[MonitoringClient, Depends(get_monitoring)]
EquityAuditDep = Annotated[EquityAuditClient, Depends(get_equity_audit)]
