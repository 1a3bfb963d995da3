"""monitoring_ingest SIGKILLed mid-batch while vendors retry until acknowledged.

A batch is one transaction, so a kill either loses it whole (the retry stores it) or
commits it before the answer is lost (the retry finds every reading a duplicate). Either
way, a vendor that re-signs and resends the same readings until it gets a 2xx must end with
each reading stored exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import Role
from tests.faults.harness import (
    Tally,
    Vendor,
    admission_body,
    batch_body,
    bearer,
    bind_directly,
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

VENDORS, BATCHES, SETS_PER_BATCH, KILLS = 4, 10, 60, 3  # 420 readings a batch


async def test_retried_batches_are_stored_exactly_once_across_kills(
    fresh_db: str, make_platform
) -> None:
    platform = make_platform(fresh_db)
    await start(platform, "monitoring_ingest")
    tally = Tally("monitoring_ingest SIGKILL mid-batch, vendors retry")
    sent: set[str] = set()
    acknowledged: set[str] = set()
    statuses: dict[str, int] = {}
    failures: dict[str, int] = {}
    in_flight = [0]
    acked_batches = [0]
    kills_in_flight: list[int] = []

    async with client(platform.url_of("monitoring_ingest")) as ingest:
        vendors = [await new_vendor(ingest) for _ in range(VENDORS)]
        devices = [f"FLT-{uuid.uuid4().hex[:10]}" for _ in vendors]
        for vendor, device_id in zip(vendors, devices, strict=True):
            await bind_directly(ingest, vendor, device_id)

        async def vendor_feed(number: int, vendor: Vendor, device_id: str) -> None:
            """Back-fill: sets a minute apart, older than the alert horizon (no alerts)."""
            base = datetime.now(UTC) - timedelta(hours=7)
            for b in range(BATCHES):
                readings = [
                    reading
                    for s in range(SETS_PER_BATCH)
                    for reading in news2_set(base - timedelta(minutes=b * SETS_PER_BATCH + s))
                ]
                body, ids = batch_body(device_id, readings)
                sent.update(ids)
                tally.sent += len(ids)
                in_flight[0] += 1
                try:
                    delivery = await post_until_acknowledged(
                        ingest, vendor, body, deadline=time.monotonic() + 60
                    )
                finally:
                    in_flight[0] -= 1
                tally.attempts += delivery.attempts
                merge(failures, delivery.failures)
                assert delivery.report is not None, f"vendor {number} batch {b}: no 2xx in 60 s"
                acked_batches[0] += 1
                acknowledged.update(ids)
                for item in delivery.report["items"]:
                    statuses[item["status"]] = statuses.get(item["status"], 0) + 1

        async def killer() -> None:
            """Kill while batches are in flight, restart, let some through, and again."""
            for k in range(KILLS):
                target = (k + 1) * VENDORS * BATCHES // (KILLS + 2)
                await eventually(
                    lambda t=target: acked_batches[0] >= t and in_flight[0] > 0,
                    within=60,
                    what=f"kill {k + 1}: batches in flight",
                    every=0.01,
                )
                await asyncio.sleep(0.05 * k)  # land at different points inside a batch
                kills_in_flight.append(in_flight[0])
                await kill(platform, "monitoring_ingest")
                await asyncio.sleep(0.3)
                await start(platform, "monitoring_ingest")

        feeds = [
            asyncio.create_task(vendor_feed(i, v, d))
            for i, (v, d) in enumerate(zip(vendors, devices, strict=True))
        ]
        await asyncio.wait_for(asyncio.gather(killer(), *feeds), timeout=100)

    tally.acknowledged = len(acknowledged)
    count_readings(tally, acknowledged, await rows_per_reading(fresh_db, sent))
    tally.extra = {
        "batches": VENDORS * BATCHES,
        "kills": len(kills_in_flight),
        "batches_in_flight_at_each_kill": kills_in_flight,
        "failed_attempts": failures,
        "item_statuses": statuses,
    }
    tally.show()

    assert acknowledged == sent
    assert tally.lost == 0 and tally.duplicated == 0 and tally.stored == len(sent)
    assert set(statuses) <= {"stored", "duplicate"}, statuses
    assert len(kills_in_flight) == KILLS and sum(failures.values()) > 0, "no kill bit a batch"


BINDING_OUTBOX = {
    "WARD_BINDING_OUTBOX_ENABLED": "true",
    "WARD_BINDING_POLL_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_BASE_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_MAX_SECONDS": "0.5",
    "WARD_BINDING_LEASE_SECONDS": "5",  # a claim cut off by the kill is retaken within 5 s
}


async def test_device_bindings_survive_monitoring_ingest_kill(ward_db: str, make_platform) -> None:
    """Admissions with devices keep succeeding while monitoring_ingest is dead, and each
    device ends bound exactly once to its admission when it is back (the binding outbox)."""
    platform = make_platform(ward_db, env=BINDING_OUTBOX)
    await start(platform, "ward_api", "monitoring_ingest")
    tally = Tally("monitoring_ingest SIGKILL while ward_api binds devices")
    admitted: dict[str, str] = {}  # admission id -> device id
    stop = asyncio.Event()

    async with (
        client(platform.url_of("ward_api")) as ward,
        client(platform.url_of("monitoring_ingest")) as ingest,
    ):
        vendor = await new_vendor(ingest)
        ward_id = await create_ward(ward, beds=500)
        clinician = bearer(Role.clinician, wards=[ward_id])

        async def admitter() -> None:
            while not stop.is_set():
                device_id = f"FLT-{uuid.uuid4().hex[:10]}"
                device = {"vendor_id": vendor.vendor_id, "device_id": device_id}
                body = admission_body(await create_patient(ward), ward_id, device=device)
                tally.sent += 1
                tally.attempts += 1
                answer = await ward.post(
                    "/v1/admissions", json=body, headers={**clinician, "Idempotency-Key": device_id}
                )
                assert answer.status_code == 201, answer.text
                admitted[answer.json()["id"]] = device_id
                await asyncio.sleep(0.05)

        tasks = [asyncio.create_task(admitter()) for _ in range(3)]
        try:
            await eventually(lambda: admitted, within=30, what="admissions before the kill")
            await kill(platform, "monitoring_ingest")
            admitted_before = len(admitted)
            await asyncio.sleep(1.5)
            await start(platform, "monitoring_ingest")
            admitted_while_down = len(admitted) - admitted_before
            at_restart = len(admitted)
            await eventually(
                lambda: len(admitted) > at_restart, within=30, what="admissions after the restart"
            )
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

    ids = [uuid.UUID(a) for a in admitted]

    async def all_bound() -> bool:
        rows = await fetch(
            ward_db,
            "SELECT count(*) AS n FROM ward.admission "
            "WHERE id = ANY($1::uuid[]) AND binding_status = 'bound'",
            ids,
        )
        return rows[0]["n"] == len(ids)

    await eventually(all_bound, within=30, what="every admission's device bound")
    bindings = await fetch(
        ward_db,
        "SELECT admission_id::text AS admission, device_id, count(*) AS n "
        "FROM monitoring.bindings WHERE admission_id = ANY($1::uuid[]) "
        "GROUP BY admission_id, device_id",
        ids,
    )
    commands = await fetch(
        ward_db,
        "SELECT count(*) AS n, sum(attempts) AS attempts, "
        "count(*) FILTER (WHERE attempts > 1) AS retried FROM ward.binding_command "
        "WHERE admission_id = ANY($1::uuid[])",
        ids,
    )
    tally.acknowledged = len(admitted)
    tally.stored = len(bindings)
    tally.duplicated = sum(r["n"] - 1 for r in bindings)
    tally.lost = len(admitted) - len({r["admission"] for r in bindings})
    tally.extra = {
        "admitted_while_ingest_down": admitted_while_down,
        "bind_commands": commands[0]["n"],
        "bind_calls": commands[0]["attempts"],
        "bind_commands_retried": commands[0]["retried"],
    }
    tally.show()

    assert admitted_while_down > 0, "ward_api stopped admitting while monitoring_ingest was down"
    assert {r["admission"]: r["device_id"] for r in bindings} == admitted
    assert tally.duplicated == 0 and tally.lost == 0
