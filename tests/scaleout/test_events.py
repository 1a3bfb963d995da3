"""Live events across real processes: two ward_api replicas, readings through monitoring_ingest.

A reading posted to monitoring_ingest becomes an alert, relayed to one ward_api replica; the
event it writes reaches the SSE streams of its ward on *both* replicas (LISTEN/NOTIFY), each
once, and no other ward's stream. A reconnect with `Last-Event-ID` replays exactly what
followed. Bounded by count (a handful of admissions) and time (every read has a deadline).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest

from shared.auth import Role
from tests.faults.harness import (
    NATIVE,
    admission_body,
    batch_body,
    bearer,
    client,
    create_patient,
    create_ward,
    fetch,
    new_vendor,
    news2_set,
)
from tests.scaleout.conftest import Replicas
from tests.support.poll import eventually
from tests.support.sse import Event, SSEReader

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

MONITORED = 4  # admissions with a device on ward A; one more on ward B
WITHIN = 30.0  # seconds for every expected event to arrive


@asynccontextmanager
async def stream(http: httpx.AsyncClient, path: str, headers: dict) -> AsyncIterator[SSEReader]:
    timeout = httpx.Timeout(10.0, read=None)  # the reader's deadlines bound every wait
    async with http.stream("GET", path, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, await response.aread()
        async with SSEReader(response) as reader:
            yield reader


def _key(event: Event) -> tuple[str, str]:
    return event.event or "", event.id or ""


async def test_every_event_reaches_every_stream_of_its_ward_once(replicas: Replicas) -> None:
    db = replicas.database_url
    ward_urls, ingest_urls = replicas.urls("ward_api"), replicas.urls("monitoring_ingest")
    async with AsyncExitStack() as stack:
        wards = [await stack.enter_async_context(client(u)) for u in ward_urls]
        ingests = [await stack.enter_async_context(client(u)) for u in ingest_urls]
        vendor = await new_vendor(ingests[0])
        ward_a = await create_ward(wards[0], beds=MONITORED)
        ward_b = await create_ward(wards[1], beds=1, icb="E54000050")
        clinician_a = bearer(Role.clinician, wards=[ward_a])
        clinician_b = bearer(Role.clinician, wards=[ward_b])
        icb_a = bearer(Role.clinician, icbs=["E54000008"])  # ward A's ICB, not ward B's
        streams = {
            "A@0": await stack.enter_async_context(
                stream(wards[0], f"/v1/wards/{ward_a}/events", clinician_a)
            ),
            "A@1": await stack.enter_async_context(
                stream(wards[1], f"/v1/wards/{ward_a}/events", clinician_a)
            ),
            "B@1": await stack.enter_async_context(
                stream(wards[1], f"/v1/wards/{ward_b}/events", clinician_b)
            ),
            "ICB-A@1": await stack.enter_async_context(stream(wards[1], "/v1/events", icb_a)),
        }
        devices: dict[str, tuple[str, str]] = {}  # admission id -> (ward, device)
        for n, ward in enumerate([ward_a] * MONITORED + [ward_b]):
            device_id = f"EVENTS-{uuid.uuid4().hex[:10]}"
            body = admission_body(
                await create_patient(wards[n % 2]),
                ward,
                device={"vendor_id": vendor.vendor_id, "device_id": device_id},
            )
            headers = {**bearer(Role.clinician, wards=[ward]), "Idempotency-Key": uuid.uuid4().hex}
            answer = await wards[n % 2].post("/v1/admissions", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
            devices[answer.json()["id"]] = (ward, device_id)

        async def all_bound() -> bool:
            rows = await fetch(
                db,
                "SELECT count(*) AS n FROM ward.admission "
                "WHERE id = ANY($1::uuid[]) AND binding_status = 'bound'",
                [uuid.UUID(a) for a in devices],
            )
            return rows[0]["n"] == len(devices)

        await eventually(all_bound, within=20, what="every device bound")
        for n, (_, device_id) in enumerate(devices.values()):
            content, _ = batch_body(device_id, news2_set(datetime.now(UTC), high=True))
            _, headers = vendor.headers(content)
            posted = await ingests[n % 2].post(NATIVE, content=content, headers=headers)
            assert posted.status_code == 200, posted.text
            assert len(posted.json()["alerts"]) == 1, posted.json()

        # Per admission: admitted, then alert.raised and news2.changed (none -> high).
        expected_a, expected_b = 3 * MONITORED, 3
        seen = {
            "A@0": await streams["A@0"].take(expected_a, within=WITHIN),
            "A@1": await streams["A@1"].take(expected_a, within=WITHIN),
            "B@1": await streams["B@1"].take(expected_b, within=WITHIN),
            "ICB-A@1": await streams["ICB-A@1"].take(expected_a, within=WITHIN),
        }
        extra = {name: await s.quiet(1.0) for name, s in streams.items()}

        # Off the network after the first event, back on the other replica: nothing lost.
        first = seen["A@1"][0]
        replay_headers = {**clinician_a, "Last-Event-ID": first.id or ""}
        async with stream(wards[0], f"/v1/wards/{ward_a}/events", replay_headers) as again:
            replayed = await again.take(expected_a - 1, within=WITHIN)
            replay_extra = await again.quiet(0.5)

    ward_events = await fetch(
        db, "SELECT id, ward_id, type FROM ward.events WHERE ward_id = ANY($1::uuid[])",
        [uuid.UUID(ward_a), uuid.UUID(ward_b)],
    )  # fmt: skip
    in_db = {w: sorted((r["type"], str(r["id"])) for r in ward_events if str(r["ward_id"]) == w)
             for w in (ward_a, ward_b)}  # fmt: skip
    print(
        f"\n[scaleout] events: {len(devices)} admissions, {len(devices)} NEWS2 alerts via 2 "
        f"ingest and 2 ward_api replicas -> events per stream "
        f"{ {name: len(events) for name, events in seen.items()} } extra={extra} "
        f"replayed after id {first.id}: {len(replayed)}"
    )
    for name in ("A@0", "A@1", "ICB-A@1"):
        assert sorted(map(_key, seen[name])) == in_db[ward_a], name  # each once, none missing
        ids = [int(e.id or 0) for e in seen[name]]
        assert ids == sorted(ids), name
    assert sorted(map(_key, seen["B@1"])) == in_db[ward_b]
    assert all(events == [] for events in extra.values()), extra
    types = sorted(e.event or "" for e in seen["A@0"])
    assert types == sorted(["admission.admitted", "alert.raised", "news2.changed"] * MONITORED), (
        types
    )
    assert [_key(e) for e in replayed] == [_key(e) for e in seen["A@1"][1:]]
    assert replay_extra == []
