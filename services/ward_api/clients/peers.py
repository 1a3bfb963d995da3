"""Typed clients for the services ward_api calls: monitoring_ingest and equity_audit."""

from __future__ import annotations

from shared.http_client import ServiceClient


class MonitoringClient(ServiceClient):
    peer = "monitoring_ingest"


class EquityAuditClient(ServiceClient):
    peer = "equity_audit"
