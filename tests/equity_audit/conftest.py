"""equity_audit fixtures: reference data loaded once, and an app whose ward_api is a stub."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import serve_in_process


@dataclass
class StubWardApi:
    """Answers GET /v1/internal/aggregates/admissions as the contract says, from `rows`."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    calls: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.down:
            raise httpx.ConnectError("ward_api is down (stub)")
        if request.url.path != "/v1/internal/aggregates/admissions":
            return httpx.Response(404, json={"type": "about:blank", "status": 404})
        start = date.fromisoformat(request.url.params["from"])
        end = date.fromisoformat(request.url.params["to"])
        rows = [r for r in self.rows if start.strftime("%Y-%m") <= r["month"] < _month_after(end)]
        body = {
            "generated_at": datetime.now(UTC).isoformat(),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": rows,
        }
        return httpx.Response(
            200, content=json.dumps(body), headers={"content-type": "application/json"}
        )


def _month_after(day: date) -> str:
    """Rows of a month are in [from, to) when the month starts before `to`."""
    return (
        day.strftime("%Y-%m")
        if day.day == 1
        else (f"{day.year + day.month // 12:04d}-{day.month % 12 + 1:02d}")
    )


def aggregate_row(**values: Any) -> dict[str, Any]:
    """A contract row with defaults for everything not given."""
    row: dict[str, Any] = {
        "month": date.today().strftime("%Y-%m"),
        "icb_code": None,
        "lsoa11cd": None,
        "age_band": "70-74",
        "sex": "female",
        "ethnic_category": "A",
        "pathway": "acute_respiratory_infection",
        "outcome": "completed",
        "own_device": False,
        "broadband": True,
        "housing_concern": False,
        "admissions": 1,
        "los_days_sum": 0,
        "stays_over_14_days": 0,
        "escalations": 0,
        "readings_expected": 0,
        "readings_received": 0,
    }
    row.update(values)
    return row


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The real data when present, else None (the loader then writes synthetic data)."""
    from services.equity_audit.settings import EquitySettings

    return EquitySettings().data_dir


@pytest.fixture(scope="session")
def reference_loaded(database_url: str, reference_dir: Path, tmp_path_factory) -> str:
    from services.equity_audit.reference_data import load

    return load(database_url, reference_dir, synthetic_dir=tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="session")
def stub_ward() -> StubWardApi:
    return StubWardApi()


@pytest.fixture(scope="session")
async def stub_client(
    database_url: str, reference_loaded: str, stub_ward: StubWardApi
) -> AsyncIterator[httpx.AsyncClient]:
    """equity_audit with ward_api replaced by the stub; every audit refreshes first."""
    from services.equity_audit.app import create_app
    from services.equity_audit.settings import EquitySettings

    settings = EquitySettings(
        database_url=database_url, snapshot_max_age_seconds=0, sii_repetitions=20_000
    )
    app = create_app(settings, ward_api_transport=httpx.MockTransport(stub_ward.handler))
    async with serve_in_process(app) as client:
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def ward_up(stub_ward: StubWardApi) -> Iterator[StubWardApi]:
    """The stub, guaranteed up again after the test."""
    stub_ward.down = False
    yield stub_ward
    stub_ward.down = False
