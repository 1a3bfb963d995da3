"""Uptake snapshots: incremental pulls, the contract's rows, and no snapshot at all."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.settings import EquitySettings
from services.equity_audit.snapshots import service
from shared.auth import Role, TokenCodec
from shared.problems import ServiceUnavailable
from tests.conftest import TEST_JWT_SECRET
from tests.equity_audit.conftest import StubWardApi, aggregate_row


def _client(handler) -> WardApiClient:
    return WardApiClient(
        "http://ward",
        codec=TokenCodec(TEST_JWT_SECRET),
        caller="equity_audit",
        backoff=0.001,
        transport=httpx.MockTransport(handler),
    )


async def test_refresh_is_incremental_and_uses_service_token(stub_client, ward_up, auth):
    ward_up.rows = [aggregate_row(month="2021-03", admissions=9)]
    full = await stub_client.post(
        "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=auth(Role.admin)
    )
    assert full.status_code == 200, full.text
    request = ward_up.calls[-1]
    assert request.url.params["from"] == "2020-01-01"
    principal = TokenCodec(TEST_JWT_SECRET).verify(request.headers["authorization"].split()[1])
    assert principal.role == Role.service
    again = await stub_client.post("/v1/admin/snapshots/refresh", headers=auth(Role.service))
    assert again.status_code == 200
    start = date.fromisoformat(ward_up.calls[-1].url.params["from"])
    # The last pull ended tomorrow; the next starts `snapshot_lookback_months` (3) before.
    assert start.day == 1 and (date.today() - start).days < 130
    latest = await stub_client.get(
        "/v1/snapshots/latest", headers=auth(Role.commissioner, icbs=["Q"])
    )
    assert latest.json()["snapshot"]["period_from"] == start.isoformat()


async def test_rows_outside_the_contract_are_refused(stub_client, ward_up, auth):
    ward_up.rows = [aggregate_row(sex="robot")]
    response = await stub_client.post("/v1/admin/snapshots/refresh", headers=auth(Role.admin))
    assert response.status_code == 503
    assert "contract" in response.json()["detail"]


async def test_no_snapshot_and_ward_api_down_is_503(stub_client):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = _client(down)
    sessionmaker = stub_client.app.state.sessionmaker
    async with sessionmaker() as session:
        from sqlalchemy import text

        await session.execute(text("DELETE FROM equity.snapshots"))  # rolled back below
        with pytest.raises(ServiceUnavailable) as caught:
            await service.current(session, client, EquitySettings())
        await session.rollback()
    assert caught.value.headers["Retry-After"] == str(service.RETRY_AFTER_SECONDS)
    assert caught.value.type.endswith("/uptake-unavailable")
    await client.aclose()


def test_stub_honours_the_window() -> None:
    stub = StubWardApi(rows=[aggregate_row(month="2024-01"), aggregate_row(month="2024-03")])
    request = httpx.Request(
        "GET", "http://w/v1/internal/aggregates/admissions?from=2024-02-01&to=2024-04-01"
    )
    assert [r["month"] for r in stub.handler(request).json()["rows"]] == ["2024-03"]
