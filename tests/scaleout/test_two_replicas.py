"""Two replicas of each service on one database: beds, idempotency keys and both outboxes hold.

What a second replica must not break, shown with real processes and counted in the database:
the last free bed goes to exactly one admission, one Idempotency-Key admits once whichever
replica answers, and every alert and binding command is delivered once although two relays
and two binding workers poll the same outbox tables. The counts are printed (`-s`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.auth import Role
from tests.faults.harness import (
    ADMIN,
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

CONTENDERS = 12  # admissions racing for the last free bed
PAIRS = 8  # admissions each sent to both replicas with one key
MONITORED = 12  # admissions with a device: 12 bind commands, then 12 alerts
ALERT_ROUTE = "/v1/internal/alerts"
BIND_ROUTE = "/v1/internal/bindings/{vendor_id}/{device_id}"


@asynccontextmanager
async def both(replicas: Replicas, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, ...]]:
    """A client for each replica of one service (explicit timeouts, see harness.client)."""
    first, second = replicas.urls(name)
    async with client(first) as one, client(second) as two:
        yield one, two


async def requests_served(http: httpx.AsyncClient, method: str, route: str) -> Counter[str]:
    """This replica's count of requests to one route template, by status (from /metrics)."""
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "http_requests_total"
                and labels.get("route") == route
                and labels.get("method") == method
            ):
                counts[labels["status"]] += int(sample.value)
    return counts


async def served_by_each(
    clients: tuple[httpx.AsyncClient, ...], method: str, route: str
) -> list[Counter[str]]:
    return [await requests_served(http, method, route) for http in clients]


def delta(after: list[Counter[str]], before: list[Counter[str]]) -> list[dict[str, int]]:
    return [dict(a - b) for a, b in zip(after, before, strict=True)]


async def test_last_free_bed_goes_to_exactly_one_admission(replicas: Replicas) -> None:
    async with both(replicas, "ward_api") as wards:
        ward_id = await create_ward(wards[0], beds=2)
        clinician = bearer(Role.clinician, wards=[ward_id])
        occupant = await wards[1].post(
            "/v1/admissions",
            json=admission_body(await create_patient(wards[1]), ward_id),
            headers={**clinician, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert occupant.status_code == 201, occupant.text
        patients = [await create_patient(wards[n % 2]) for n in range(CONTENDERS)]

        async def admit(n: int, patient_id: str) -> tuple[int, httpx.Response]:
            headers = {**clinician, "Idempotency-Key": uuid.uuid4().hex}
            body = admission_body(patient_id, ward_id)
            return n % 2, await wards[n % 2].post("/v1/admissions", json=body, headers=headers)

        answers = await asyncio.wait_for(
            asyncio.gather(*(admit(n, p) for n, p in enumerate(patients))), timeout=30
        )

    open_beds = await fetch(
        replicas.database_url,
        "SELECT id::text, bed_number FROM ward.admission "
        "WHERE ward_id = $1 AND discharged_at IS NULL ORDER BY bed_number",
        uuid.UUID(ward_id),
    )
    statuses = sorted(r.status_code for _, r in answers)
    by_replica = {n: sorted(r.status_code for m, r in answers if m == n) for n in (0, 1)}
    winners = [r.json()["id"] for _, r in answers if r.status_code == 201]
    print(
        f"\n[scaleout] allocation: {CONTENDERS} admissions for 1 free bed via 2 replicas -> "
        f"201={statuses.count(201)} 409={statuses.count(409)} "
        f"other={[s for s in statuses if s not in (201, 409)]} "
        f"replica0={by_replica[0]} replica1={by_replica[1]} "
        f"open admissions on the last bed={sum(1 for r in open_beds if r['bed_number'] == 2)}"
    )

    assert statuses == [201] + [409] * (CONTENDERS - 1), [r.text for _, r in answers]
    assert all(r.json()["type"].endswith("/ward-full") for _, r in answers if r.status_code == 409)
    assert [r["bed_number"] for r in open_beds] == [1, 2]
    assert next(r["id"] for r in open_beds if r["bed_number"] == 2) == winners[0]


async def test_one_key_sent_to_both_replicas_admits_once(replicas: Replicas) -> None:
    async with both(replicas, "ward_api") as wards:
        ward_id = await create_ward(wards[0], beds=PAIRS)
        clinician = bearer(Role.clinician, wards=[ward_id])
        patients = [await create_patient(wards[n % 2]) for n in range(PAIRS)]

        async def to_both(patient_id: str) -> tuple[httpx.Response, ...]:
            keyed = {**clinician, "Idempotency-Key": uuid.uuid4().hex}
            body = admission_body(patient_id, ward_id)
            return tuple(
                await asyncio.gather(
                    *(http.post("/v1/admissions", json=body, headers=keyed) for http in wards)
                )
            )

        answers = await asyncio.wait_for(asyncio.gather(*map(to_both, patients)), timeout=30)

    stored = await fetch(
        replicas.database_url,
        "SELECT patient_id::text, count(*) AS n FROM ward.admission WHERE ward_id = $1 "
        "GROUP BY patient_id",
        uuid.UUID(ward_id),
    )
    replayed = Counter(
        n for pair in answers for n, r in enumerate(pair) if r.headers.get("idempotent-replayed")
    )
    identical = sum(1 for one, two in answers if one.json() == two.json())
    print(
        f"\n[scaleout] idempotency: {PAIRS} keys each sent to both replicas at once -> "
        f"statuses={sorted({r.status_code for pair in answers for r in pair})} "
        f"identical answer pairs={identical}/{PAIRS} "
        f"replayed by replica0={replayed[0]} replica1={replayed[1]} "
        f"admissions stored={sum(r['n'] for r in stored)} for {len(stored)} patients"
    )

    for one, two in answers:
        assert one.status_code == two.status_code == 201, (one.text, two.text)
        assert one.json() == two.json()
    assert sum(replayed.values()) == PAIRS  # one of each pair answered from the stored record
    assert sorted(r["patient_id"] for r in stored) == sorted(patients)
    assert all(r["n"] == 1 for r in stored)


async def test_both_outboxes_deliver_each_item_once(replicas: Replicas) -> None:
    db = replicas.database_url
    async with both(replicas, "ward_api") as wards, both(replicas, "monitoring_ingest") as ingests:
        vendor = await new_vendor(ingests[0])
        ward_id = await create_ward(wards[0], beds=MONITORED)
        clinician = bearer(Role.clinician, wards=[ward_id])
        binds_before = await served_by_each(ingests, "PUT", BIND_ROUTE)
        alerts_before = await served_by_each(wards, "POST", ALERT_ROUTE)

        # Admissions with a device through both ward_api replicas: one bind command each.
        devices: dict[str, str] = {}
        for n in range(MONITORED):
            device_id = f"SCALE-{uuid.uuid4().hex[:10]}"
            body = admission_body(
                await create_patient(wards[n % 2]),
                ward_id,
                device={"vendor_id": vendor.vendor_id, "device_id": device_id},
            )
            answer = await wards[n % 2].post(
                "/v1/admissions",
                json=body,
                headers={**clinician, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert answer.status_code == 201, answer.text
            devices[answer.json()["id"]] = device_id
        admissions = [uuid.UUID(a) for a in devices]

        async def all_bound() -> bool:
            rows = await fetch(
                db,
                "SELECT count(*) AS n FROM ward.admission "
                "WHERE id = ANY($1::uuid[]) AND binding_status = 'bound'",
                admissions,
            )
            return rows[0]["n"] == MONITORED

        await eventually(all_bound, within=20, what="both binding workers bind every device")

        # A high NEWS2 set per device, signed by the vendor, through both ingest replicas.
        async def post_set(n: int, device_id: str) -> httpx.Response:
            content, _ = batch_body(device_id, news2_set(datetime.now(UTC), high=True))
            _, headers = vendor.headers(content)
            return await ingests[n % 2].post(NATIVE, content=content, headers=headers)

        posted = await asyncio.wait_for(
            asyncio.gather(*(post_set(n, d) for n, d in enumerate(devices.values()))), timeout=30
        )
        assert all(r.status_code == 200 for r in posted), [r.text for r in posted]
        raised = [a for r in posted for a in r.json()["alerts"]]
        assert len(raised) == MONITORED, [r.json()["counts"] for r in posted]
        alert_ids = [uuid.UUID(a) for a in raised]

        async def all_delivered() -> bool:
            rows = await fetch(
                db,
                "SELECT count(*) AS n FROM monitoring.alerts "
                "WHERE id = ANY($1::uuid[]) AND status = 'delivered'",
                alert_ids,
            )
            return rows[0]["n"] == MONITORED

        await eventually(all_delivered, within=20, what="both relays deliver every alert")
        binds_served = delta(await served_by_each(ingests, "PUT", BIND_ROUTE), binds_before)
        alerts_served = delta(await served_by_each(wards, "POST", ALERT_ROUTE), alerts_before)
        listed = [
            await http.get(
                f"/v1/wards/{ward_id}/alerts", params={"open_only": "false"}, headers=clinician
            )
            for http in wards
        ]
        peers = await wards[0].get("/v1/peers", headers=ADMIN)

    outbox_alerts = await fetch(
        db, "SELECT id, attempts FROM monitoring.alerts WHERE id = ANY($1::uuid[])", alert_ids
    )
    received = await fetch(
        db,
        "SELECT id, count(*) AS n FROM ward.alert WHERE ward_id = $1 GROUP BY id",
        uuid.UUID(ward_id),
    )
    commands = await fetch(
        db,
        "SELECT admission_id, status, attempts FROM ward.binding_command "
        "WHERE admission_id = ANY($1::uuid[]) AND kind = 'bind'",
        admissions,
    )
    bindings = await fetch(
        db,
        "SELECT admission_id, count(*) AS n FROM monitoring.bindings "
        "WHERE admission_id = ANY($1::uuid[]) GROUP BY admission_id",
        admissions,
    )
    listed_ids = [[a["id"] for a in r.json()] for r in listed]
    print(
        f"\n[scaleout] alert outbox: {len(raised)} alerts raised via 2 ingest replicas -> "
        f"rows in ward.alert={len(received)} (max per id {max(r['n'] for r in received)}) "
        f"relay attempts={dict(Counter(r['attempts'] for r in outbox_alerts))} "
        f"POST {ALERT_ROUTE} by status at ward replica0={alerts_served[0]} "
        f"replica1={alerts_served[1]} listed by each replica={[len(ids) for ids in listed_ids]}"
        f"\n[scaleout] binding outbox: {len(commands)} bind commands from 2 ward replicas -> "
        f"delivered={sum(1 for c in commands if c['status'] == 'delivered')} "
        f"attempts={dict(Counter(c['attempts'] for c in commands))} "
        f"bindings per admission={dict(Counter(b['n'] for b in bindings))} "
        f"PUT bindings by status at ingest replica0={binds_served[0]} replica1={binds_served[1]}"
    )

    assert peers.status_code == 200 and all(p["status"] == "ok" for p in peers.json().values())
    # Alerts: each raised alert is in ward_api once, and nothing else is.
    assert sorted(r["id"] for r in received) == sorted(alert_ids)
    assert all(r["n"] == 1 for r in received)
    assert sum(c.get("201", 0) for c in alerts_served) == MONITORED, alerts_served
    for r, ids in zip(listed, listed_ids, strict=True):
        assert r.status_code == 200, r.text
        assert sorted(ids) == sorted(map(str, alert_ids)), ids
    # Bind commands: each delivered, each device bound to its admission once.
    assert len(commands) == MONITORED
    assert all(c["status"] == "delivered" for c in commands), commands
    assert sorted(b["admission_id"] for b in bindings) == sorted(admissions)
    assert all(b["n"] == 1 for b in bindings)
    assert sum(c.get("201", 0) for c in binds_served) == MONITORED, binds_served


async def test_both_equity_replicas_answer_alike(replicas: Replicas) -> None:
    commissioner = bearer(Role.commissioner, icbs=["*"])
    async with both(replicas, "equity_audit") as equity:
        answers = [
            await http.get("/v1/need-weights", params={"level": "icb"}, headers=commissioner)
            for http in equity
        ]
    print(
        f"\n[scaleout] equity_audit: need weights from both replicas -> "
        f"statuses={[r.status_code for r in answers]} "
        f"ICBs={[len(r.json().get('weights', [])) for r in answers]}"
    )
    assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["weights"]
