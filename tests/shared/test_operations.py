"""Health, readiness, metrics and request ids on every service."""

from __future__ import annotations

import json
import logging

from services.ward_api.app import create_app
from services.ward_api.settings import WardSettings
from tests.conftest import serve_in_process


async def test_healthz_and_readyz(ward_client, ingest_client, equity_client) -> None:
    for client in (ward_client, ingest_client, equity_client):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok"}


async def test_readyz_says_database_is_down() -> None:
    from shared.embedded_pg import free_port

    settings = WardSettings(database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    async with serve_in_process(create_app(settings)) as client:
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"].startswith("down")


async def test_request_id_is_echoed_or_minted(ward_client) -> None:
    echoed = await ward_client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert echoed.headers["x-request-id"] == "req-123"
    minted = await ward_client.get("/healthz", headers={"X-Request-ID": "bad id\nInjected: 1"})
    assert minted.headers["x-request-id"] != "bad id\nInjected: 1"
    assert len(minted.headers["x-request-id"]) == 32


async def test_metrics_count_requests_by_route_template(ward_client, auth) -> None:
    from shared.auth import Role

    await ward_client.get("/v1/whoami", headers=auth(Role.admin))
    text = (await ward_client.get("/metrics")).text
    assert (
        'http_requests_total{method="GET",route="/v1/whoami",service="ward_api",status="200"}'
        in text
    )
    assert "http_request_duration_seconds_bucket" in text


async def test_access_log_is_json_without_bodies(ward_client, auth, caplog) -> None:
    from shared.auth import Role
    from shared.observability import RequestContextMiddleware  # noqa: F401

    with caplog.at_level(logging.INFO, logger="vward.ward_api.access"):
        await ward_client.post(
            "/v1/whoami?nhs=9434765919",
            headers={**auth(Role.admin), "X-Request-ID": "log-1"},
            content=b'{"nhs_number": "9434765919"}',
        )
    records = [r for r in caplog.records if r.name == "vward.ward_api.access"]
    assert records
    record = records[-1]
    assert record.route == "/v1/whoami"
    assert "9434765919" not in json.dumps(record.__dict__, default=str)
