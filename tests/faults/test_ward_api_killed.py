"""ward_api SIGKILLed and restarted while vendors keep posting to monitoring_ingest.

Readings must not depend on ward_api at all (each 2xx stored exactly once), and every alert
raised while ward_api was away must reach it exactly once when it is back: the outbox
relay retries, and ward_api's alert endpoint is idempotent by alert id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.auth import Role
from tests.faults.harness import (
    Tally,
    Vendor,
    admission_body,
    batch_body,
    bearer,
    client,
    count_readings,
    create_patient,
    create_ward,
    fetch,
    kill,
    merge,
    new_vendor,
    news2_set,
    post_until_acknowledged,
    rows_per_reading,
    start,
)
from tests.support.poll import eventually

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(120)]

FAST_OUTBOXES = {
    "INGEST_RELAY_ENABLED": "true",
    "INGEST_RELAY_POLL_SECONDS": "0.1",
    "INGEST_RELAY_BACKOFF_BASE_SECONDS": "0.1",
    "INGEST_RELAY_BACKOFF_MAX_SECONDS": "0.5",
    "INGEST_RELAY_BREAKER_COOLDOWN_SECONDS": "0.5",
    # Every high-scoring set raises its own alert, so the outage leaves many undelivered.
    "INGEST_ALERT_SUPPRESS_MINUTES": "0",
    "WARD_BINDING_OUTBOX_ENABLED": "true",
    "WARD_BINDING_POLL_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_BASE_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_MAX_SECONDS": "0.5",
}
DEVICES_PER_VENDOR, VENDORS = 2, 2


async def _admit_with_devices(
    ward: httpx.AsyncClient, vendors: list[Vendor]
) -> dict[str, tuple[Vendor, str]]:
    """Admit one patient per device through ward_api; wait until every binding is live."""
    ward_id = await create_ward(ward, beds=len(vendors) * DEVICES_PER_VENDOR)
    clinician = bearer(Role.clinician, wards=[ward_id])
    devices: dict[str, tuple[Vendor, str]] = {}
    for vendor in vendors:
        for _ in range(DEVICES_PER_VENDOR):
            device_id = f"FLT-{uuid.uuid4().hex[:10]}"
            body = admission_body(
                await create_patient(ward),
                ward_id,
                device={"vendor_id": vendor.vendor_id, "device_id": device_id},
            )
            response = await ward.post(
                "/v1/admissions", json=body, headers={**clinician, "Idempotency-Key": device_id}
            )
            assert response.status_code == 201, response.text
            devices[response.json()["id"]] = (vendor, device_id)

    async def all_bound() -> bool:
        for admission_id in devices:
            answer = await ward.get(f"/v1/admissions/{admission_id}", headers=clinician)
            if answer.json()["binding_status"] != "bound":
                return False
        return True

    await eventually(all_bound, within=30, what="device bindings delivered")
    return devices


async def test_alerts_reach_ward_api_exactly_once_across_its_kill(
    ward_db: str, make_platform
) -> None:
    platform = make_platform(ward_db, env=FAST_OUTBOXES)
    await start(platform, "ward_api", "monitoring_ingest")
    tally = Tally("ward_api SIGKILL + restart while vendors post")
    acknowledged: set[str] = set()
    sent: set[str] = set()
    reported_alerts: set[str] = set()
    failures: dict[str, int] = {}
    statuses: dict[str, int] = {}
    odd: list[dict] = []
    stop = asyncio.Event()

    async with (
        client(platform.url_of("monitoring_ingest")) as ingest,
        client(platform.url_of("ward_api")) as ward,
    ):
        vendors = [await new_vendor(ingest) for _ in range(VENDORS)]
        devices = await _admit_with_devices(ward, vendors)

        async def device_feed(vendor: Vendor, device_id: str) -> None:
            """A device posting a set every ~50 ms, every other one high-scoring."""
            n = 0
            while not stop.is_set():
                n += 1
                at = datetime.now(UTC) - timedelta(seconds=0.2)
                body, ids = batch_body(device_id, news2_set(at, high=n % 2 == 0))
                sent.update(ids)
                tally.sent += len(ids)
                delivery = await post_until_acknowledged(
                    ingest, vendor, body, deadline=time.monotonic() + 20
                )
                tally.attempts += delivery.attempts
                merge(failures, delivery.failures)
                if delivery.report is not None:
                    acknowledged.update(ids)
                    reported_alerts.update(delivery.report["alerts"])
                    for item in delivery.report["items"]:
                        statuses[item["status"]] = statuses.get(item["status"], 0) + 1
                        if item["status"] != "stored":
                            odd.append(item)
                await asyncio.sleep(0.05)

        # Readings observed before the admission are quarantined as unbound (rightly); start
        # the feeds clear of the admission time so every reading should be stored.
        await asyncio.sleep(1.0)
        feeds = [asyncio.create_task(device_feed(v, d)) for v, d in devices.values()]
        try:
            await eventually(
                lambda: reported_alerts, within=30, what="alerts raised before the kill"
            )
            await kill(platform, "ward_api")
            killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
            await asyncio.sleep(2.5)  # alerts pile up; the relay fails and opens its breaker
            await start(platform, "ward_api")
            down_for, back_wall = time.monotonic() - killed_at, datetime.now(UTC)
            at_restart = len(acknowledged)
            await eventually(
                lambda: len(acknowledged) > at_restart,
                within=30,
                what="readings acknowledged after the restart",
            )
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*feeds), timeout=30)

    async def relay_settled() -> bool:
        rows = await fetch(
            ward_db, "SELECT count(*) AS n FROM monitoring.alerts WHERE status = 'pending'"
        )
        return rows[0]["n"] == 0

    await eventually(relay_settled, within=30, what="every alert delivered or rejected")
    outbox = await fetch(
        ward_db, "SELECT id, status, attempts, last_error, raised_at FROM monitoring.alerts"
    )
    received = await fetch(
        ward_db,
        "SELECT id, count(*) AS n FROM ward.alert WHERE id = ANY($1::uuid[]) GROUP BY id",
        [row["id"] for row in outbox],
    )
    per_alert = {row["id"]: row["n"] for row in received}
    stray = await fetch(
        ward_db,
        "SELECT count(*) AS n FROM ward.alert WHERE NOT (id = ANY($1::uuid[]))",
        [row["id"] for row in outbox],
    )
    tally.acknowledged = len(acknowledged)
    count_readings(tally, acknowledged, await rows_per_reading(ward_db, sent))
    raised = len(outbox)
    tally.extra = {
        "ward_api_down_s": round(down_for, 1),
        "post_failures": failures or 0,
        "item_statuses": statuses,
        "alerts_raised": raised,
        "alerts_raised_while_down": sum(
            1 for row in outbox if killed_wall <= row["raised_at"] <= back_wall
        ),
        "alerts_delivered_once": sum(1 for row in outbox if per_alert.get(row["id"]) == 1),
        "alerts_missing_at_ward_api": sum(1 for row in outbox if row["id"] not in per_alert),
        "alerts_rejected": sum(1 for row in outbox if row["status"] == "rejected"),
        "alerts_retried": sum(1 for row in outbox if row["attempts"] > 1),
        "delivery_attempts": sum(row["attempts"] for row in outbox),
    }
    tally.show()

    assert acknowledged == sent, "a batch was refused: ingest must not depend on ward_api"
    assert statuses == {"stored": len(sent)}, odd[:3]
    assert tally.lost == 0 and tally.duplicated == 0 and tally.stored == len(sent)
    assert {str(row["id"]) for row in outbox} == reported_alerts
    assert tally.extra["alerts_raised_while_down"], "the kill never delayed an alert"
    rejected = [(row["id"], row["last_error"]) for row in outbox if row["status"] != "delivered"]
    assert not rejected, rejected
    assert all(per_alert.get(row["id"]) == 1 for row in outbox)
    assert stray[0]["n"] == 0
