"""monitoring_ingest's relay against the real ward_api over loopback (slow)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import orjson
import pytest

from shared.embedded_pg import free_port
from tests.monitoring_ingest.helpers import ADMIN, SERVICE, ago, full_set
from vward.platform import Platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


@pytest.fixture(scope="module")
def platform(database_url: str, tmp_path_factory) -> Iterator[Platform]:
    ports = {"ward_api": free_port(), "monitoring_ingest": free_port()}
    running = Platform(
        database_url=database_url,
        ports=ports,
        log_dir=str(tmp_path_factory.mktemp("ingest-e2e-logs")),
        extra_env={"INGEST_RELAY_ENABLED": "true", "INGEST_RELAY_POLL_SECONDS": "0.2"},
    )
    try:
        running.start("ward_api")
        running.start("monitoring_ingest")
        running.wait_all_ready(timeout=60)
        yield running
    finally:
        running.stop_all()


def _signed(creds: dict, path: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    from services.monitoring_ingest.vendors.credentials import sign

    body = orjson.dumps(payload)
    ts = str(int(time.time()))
    signature = sign(creds["signing_secret"], timestamp=ts, method="POST", path=path, body=body)
    return body, {
        "X-Vendor-Id": creds["vendor_id"],
        "X-Api-Key": creds["api_key"],
        "X-Timestamp": ts,
        "X-Signature": signature,
        "content-type": "application/json",
    }


def test_relay_reaches_ward_api_which_judges_the_alert(platform: Platform, database_url) -> None:
    """An alert for an admission ward_api does not know is delivered, answered 404, rejected."""
    ingest = platform.url_of("monitoring_ingest")
    with httpx.Client(base_url=ingest, timeout=10) as client:
        created = client.post(
            "/v1/admin/vendors", json={"name": f"e2e-{uuid.uuid4()}"}, headers=ADMIN
        )
        key = created.json()["issued_key"]
        creds = {k: key[k] for k in ("vendor_id", "api_key", "signing_secret")}
        device, admission = f"E2E-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())
        bound = client.put(
            f"/v1/internal/bindings/{creds['vendor_id']}/{device}",
            json={"admission_id": admission, "ward_id": str(uuid.uuid4()),
                  "expected_interval_minutes": 240, "bound_at": ago(60 * 24)},
            headers=SERVICE,
        )  # fmt: skip
        assert bound.status_code == 201, bound.text
        path = "/v1/readings/native"
        batch = {"device_id": device, "readings": full_set(ago(5), rr=25, spo2=91, hr=131)}
        body, headers = _signed(creds, path, batch)
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        (alert_id,) = response.json()["alerts"]

    async def status() -> tuple[str, str | None]:
        conn = await asyncpg.connect(database_url)
        try:
            row = await conn.fetchrow(
                "SELECT status, last_error FROM monitoring.alerts WHERE id = $1",
                uuid.UUID(alert_id),
            )
        finally:
            await conn.close()
        return row["status"], row["last_error"]

    import asyncio

    deadline = time.monotonic() + 30
    state, error = "pending", None
    while time.monotonic() < deadline and state == "pending":
        time.sleep(0.3)
        state, error = asyncio.run(status())
    assert state == "rejected", (state, error)
    assert "admission-not-found" in (error or "")


@pytest.mark.xfail(
    strict=False,
    reason="needs a ward_api admission created through ward_api's own API (ward, patient, "
    "admission with device); not written yet",
)
def test_alert_delivered_once_to_a_real_admission(platform: Platform) -> None:
    raise NotImplementedError
