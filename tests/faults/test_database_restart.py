"""PostgreSQL stopped and restarted under load, the services left running.

While the database is down every service must say so (/readyz 503) rather than hang; when
it returns they must recover by themselves (/readyz 200, same processes), and no write that
was acknowledged with a 2xx may be missing afterwards. Clients retry with the same
Idempotency-Key (ward_api) or the same readings re-signed (vendors), so nothing is doubled.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shared.embedded_pg import EmbeddedPostgres, free_port
from tests.faults.conftest import load_ward_reference, migrated_database
from tests.faults.harness import (
    CLINICIAN,
    Tally,
    Vendor,
    admission_body,
    batch_body,
    bind_directly,
    client,
    count_readings,
    create_ward,
    fetch,
    merge,
    new_vendor,
    news2_set,
    patient_body,
    post_until_acknowledged,
    readyz,
    rows_per_reading,
    start,
    until_answered,
)
from tests.support.poll import eventually
from vward.platform import SERVICES

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(150)]

ADMITTERS, FEEDS = 3, 3
# ward_api's binding worker and ingest's relay run too: they must outlive the outage.
BACKGROUND = {
    "WARD_BINDING_OUTBOX_ENABLED": "true",
    "WARD_BINDING_POLL_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_BASE_SECONDS": "0.1",
    "WARD_BINDING_BACKOFF_MAX_SECONDS": "0.5",
    "WARD_BINDING_LEASE_SECONDS": "5",
    "INGEST_RELAY_ENABLED": "true",
    "INGEST_RELAY_POLL_SECONDS": "0.1",
}


@pytest.fixture
def own_server() -> Iterator[EmbeddedPostgres]:
    """An embedded server of this test's own, which it may stop and start at will."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL points at an external server this test cannot restart")
    root = Path(tempfile.mkdtemp(prefix="vward-faults-pg-"))
    server = EmbeddedPostgres(root=root, port=free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop(mode="immediate")
        shutil.rmtree(root, ignore_errors=True)


async def _all_answer(urls: dict[str, str], status: int) -> dict[str, int]:
    codes = {name: await readyz(url) for name, url in urls.items()}
    return codes if all(code == status for code in codes.values()) else {}


async def test_services_ride_out_a_database_restart(
    own_server: EmbeddedPostgres, make_platform
) -> None:
    url = await asyncio.to_thread(migrated_database, own_server.url)  # alembic runs its own loop
    await asyncio.to_thread(load_ward_reference, url)
    platform = make_platform(url, env=BACKGROUND)
    names = [spec.name for spec in SERVICES]
    await start(platform, *names)
    pids = {name: platform.running[name].process.pid for name in names}
    urls = {name: platform.url_of(name) for name in names}
    admissions = Tally("database restart: ward_api admissions (patient + admission)")
    readings = Tally("database restart: monitoring_ingest readings")
    admitted: set[str] = set()
    patients: set[str] = set()
    sent: set[str] = set()
    acked: set[str] = set()
    failures: dict[str, int] = {}
    stop = asyncio.Event()

    async with client(urls["ward_api"]) as ward, client(urls["monitoring_ingest"]) as ingest:
        ward_id = await create_ward(ward, beds=2000)
        vendors = [await new_vendor(ingest) for _ in range(FEEDS)]
        devices = [f"FLT-{uuid.uuid4().hex[:10]}" for _ in vendors]
        for vendor, device_id in zip(vendors, devices, strict=True):
            await bind_directly(ingest, vendor, device_id)

        async def write(path: str, body: dict) -> httpx.Response | None:
            """One write under its own Idempotency-Key, retried until answered (or 40 s)."""
            headers = {**CLINICIAN, "Idempotency-Key": uuid.uuid4().hex}
            delivery = await until_answered(
                lambda: ward.post(path, json=body, headers=headers),
                deadline=time.monotonic() + 40,
            )
            admissions.attempts += delivery.attempts
            merge(failures, delivery.failures)
            return delivery.response

        async def admitter() -> None:
            while not stop.is_set():
                admissions.sent += 1
                patient = await write("/v1/patients", patient_body())
                if patient is None:
                    continue
                assert patient.status_code == 201, patient.text
                patients.add(patient.json()["id"])
                device = {"vendor_id": vendors[0].vendor_id, "device_id": uuid.uuid4().hex}
                body = admission_body(patient.json()["id"], ward_id, device=device)
                answer = await write("/v1/admissions", body)
                if answer is not None:
                    assert answer.status_code == 201, answer.text
                    admitted.add(answer.json()["id"])
                await asyncio.sleep(0.05)

        async def feed(vendor: Vendor, device_id: str) -> None:
            while not stop.is_set():
                # Unique times 7 h back: stored and scored, never alerted (no ward_api call).
                at = datetime.now(UTC) - timedelta(hours=7)
                body, ids = batch_body(device_id, news2_set(at))
                sent.update(ids)
                readings.sent += len(ids)
                delivery = await post_until_acknowledged(
                    ingest, vendor, body, deadline=time.monotonic() + 40
                )
                readings.attempts += delivery.attempts
                merge(failures, delivery.failures)
                if delivery.response is not None:
                    acked.update(ids)
                await asyncio.sleep(0.05)

        tasks = [asyncio.create_task(admitter()) for _ in range(ADMITTERS)]
        tasks += [asyncio.create_task(feed(v, d)) for v, d in zip(vendors, devices, strict=True)]
        try:
            await eventually(
                lambda: admitted and acked, within=30, what="writes flowing before the fault"
            )
            before = (len(admitted), len(acked))
            await asyncio.to_thread(own_server.stop, "immediate")
            stopped_at = time.monotonic()
            not_ready = await eventually(
                lambda: _all_answer(urls, 503), within=15, what="every service /readyz 503"
            )
            not_ready_in = time.monotonic() - stopped_at
            await asyncio.sleep(2.0)  # clients keep retrying against a dead database
            await asyncio.to_thread(own_server.start)
            restarted_at = time.monotonic()
            await eventually(
                lambda: _all_answer(urls, 200), within=30, what="every service /readyz 200 again"
            )
            recovered_in = time.monotonic() - restarted_at
            at_recovery = (len(admitted), len(acked))
            await eventually(
                lambda: len(admitted) > at_recovery[0] and len(acked) > at_recovery[1],
                within=30,
                what="new writes acknowledged after the database came back",
            )
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    async def all_bound() -> bool:
        rows = await fetch(
            url,
            "SELECT count(*) AS n FROM ward.admission "
            "WHERE id = ANY($1::uuid[]) AND binding_status = 'bound'",
            [uuid.UUID(a) for a in admitted],
        )
        return rows[0]["n"] == len(admitted)

    await eventually(all_bound, within=30, what="the binding worker bound every device")
    restarted = {n for n in names if platform.running[n].process.pid != pids[n]}
    alive = {n for n in names if platform.running[n].process.poll() is None}
    stored_admissions = await fetch(
        url,
        "SELECT patient_id, count(*) AS n FROM ward.admission WHERE ward_id = $1 "
        "GROUP BY patient_id",
        uuid.UUID(ward_id),
    )
    found = await fetch(
        url, "SELECT id FROM ward.admission WHERE id = ANY($1::uuid[])", list(admitted)
    )
    found_patients = await fetch(
        url, "SELECT id FROM ward.patient WHERE id = ANY($1::uuid[])", list(patients)
    )
    admissions.acknowledged = len(admitted)
    admissions.stored = len(found)
    admissions.duplicated = sum(r["n"] - 1 for r in stored_admissions)
    admissions.lost = len(admitted) - len(found) + len(patients) - len(found_patients)
    admissions.extra = {
        "patients_acknowledged": len(patients),
        "patients_stored": len(found_patients),
        "admitted_before_outage": before[0],
        "devices_bound_after": len(admitted),
    }
    readings.acknowledged = len(acked)
    count_readings(readings, acked, await rows_per_reading(url, sent))
    readings.extra = {
        "acknowledged_before_outage": before[1],
        "readyz_while_down": not_ready,
        "not_ready_within_s": round(not_ready_in, 1),
        "db_down_s": round(restarted_at - stopped_at, 1),
        "recovered_in_s": round(recovered_in, 1),
        "failed_attempts": failures,
    }
    admissions.show()
    readings.show()

    assert not restarted and alive == set(names), (restarted, alive)
    assert admissions.lost == 0 and admissions.duplicated == 0
    assert readings.lost == 0 and readings.duplicated == 0
    assert acked == sent, "a batch got no 2xx within 40 s of the database returning"
    assert admissions.acknowledged > before[0] and readings.acknowledged > before[1], (
        "no write succeeded after the database came back"
    )
