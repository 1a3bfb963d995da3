"""Many admissions racing for one free bed through two ward_api processes on one database.

The ward row lock and the partial unique indexes must hold across processes, not just
within one: exactly one admission wins the bed, every other gets 409 `ward-full` with its
own wait-list position, and the database never holds two open admissions in one bed.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from shared.auth import Role
from tests.faults.harness import (
    Tally,
    admission_body,
    bearer,
    client,
    create_patient,
    create_ward,
    fetch,
    start,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(120)]

WARDS, CONTENDERS = 3, 16  # per ward: one free bed (the other is taken), 16 referrals


async def test_one_free_bed_many_contenders_two_processes(ward_db: str, make_platform) -> None:
    first = make_platform(ward_db)
    second = make_platform(ward_db)  # a second ward_api replica on another port
    await asyncio.gather(start(first, "ward_api"), start(second, "ward_api"))
    tally = Tally(f"{WARDS} wards x 1 free bed, {CONTENDERS} admissions each via 2 processes")

    async with client(first.url_of("ward_api")) as a, client(second.url_of("ward_api")) as b:
        replicas = (a, b)
        wards: dict[str, list[str]] = {}
        occupants: dict[str, str] = {}
        for _ in range(WARDS):
            ward_id = await create_ward(a, beds=2)
            clinician = bearer(Role.clinician, wards=[ward_id])
            occupant = await a.post(
                "/v1/admissions",
                json=admission_body(await create_patient(a), ward_id),
                headers={**clinician, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert occupant.status_code == 201, occupant.text
            occupants[ward_id] = occupant.json()["id"]
            wards[ward_id] = [await create_patient(replicas[n % 2]) for n in range(CONTENDERS)]

        async def admit(n: int, ward_id: str, patient_id: str) -> tuple[str, httpx.Response]:
            headers = {**bearer(Role.clinician, wards=[ward_id]), "Idempotency-Key": patient_id}
            body = admission_body(patient_id, ward_id)
            return ward_id, await replicas[n % 2].post("/v1/admissions", json=body, headers=headers)

        race = [
            admit(n, ward_id, patient_id)
            for ward_id, patients in wards.items()
            for n, patient_id in enumerate(patients)
        ]
        tally.sent = tally.attempts = len(race)
        answers = await asyncio.wait_for(asyncio.gather(*race), timeout=60)

        async def discharge(ward_id: str) -> list[httpx.Response]:
            """The same discharge sent to both replicas at once: one frees the bed."""
            path = f"/v1/admissions/{occupants[ward_id]}/discharge"
            headers = bearer(Role.clinician, wards=[ward_id])
            body = {"outcome": "completed"}
            return list(
                await asyncio.gather(*(r.post(path, json=body, headers=headers) for r in replicas))
            )

        discharges = await asyncio.wait_for(asyncio.gather(*map(discharge, wards)), timeout=60)

    heads = [
        r.json()["admitted_from_waitlist"] for pair in discharges for r in pair if r.is_success
    ]
    double_booked = await fetch(
        ward_db,
        "SELECT ward_id, bed_number, count(*) AS n FROM ward.admission "
        "WHERE discharged_at IS NULL AND ward_id = ANY($1::uuid[]) "
        "GROUP BY ward_id, bed_number HAVING count(*) > 1",
        [uuid.UUID(w) for w in wards],
    )
    open_per_ward = await fetch(
        ward_db,
        "SELECT ward_id::text AS ward, count(*) AS n FROM ward.admission "
        "WHERE discharged_at IS NULL AND ward_id = ANY($1::uuid[]) GROUP BY ward_id",
        [uuid.UUID(w) for w in wards],
    )
    waiting_per_ward = await fetch(
        ward_db,
        "SELECT ward_id::text AS ward, count(*) AS n FROM ward.waitlist_entry "
        "WHERE status = 'waiting' AND ward_id = ANY($1::uuid[]) GROUP BY ward_id",
        [uuid.UUID(w) for w in wards],
    )
    per_ward = {
        ward_id: sorted(r.status_code for w, r in answers if w == ward_id) for ward_id in wards
    }
    positions = {
        ward_id: sorted(
            r.json()["waitlist_position"]
            for w, r in answers
            if w == ward_id and r.status_code == 409
        )
        for ward_id in wards
    }
    tally.acknowledged = sum(1 for _, r in answers if r.status_code == 201)
    winners = [uuid.UUID(r.json()["id"]) for _, r in answers if r.status_code == 201]
    tally.stored = len(
        await fetch(ward_db, "SELECT id FROM ward.admission WHERE id = ANY($1::uuid[])", winners)
    )
    tally.lost = len(winners) - tally.stored
    tally.duplicated = len(double_booked)
    tally.extra = {
        "ward_full_409": sum(1 for _, r in answers if r.status_code == 409),
        "other_answers": sorted({r.status_code for _, r in answers} - {201, 409}),
        "waitlisted": sum(r["n"] for r in waiting_per_ward),
        "double_booked_beds": len(double_booked),
        "double_discharges": [sorted(r.status_code for r in pair) for pair in discharges],
        "admitted_from_waitlist": sum(1 for h in heads if h),
    }
    tally.show()

    assert not double_booked, double_booked
    assert {r["ward"]: r["n"] for r in open_per_ward} == dict.fromkeys(wards, 2)
    for ward_id in wards:
        assert per_ward[ward_id] == [201] + [409] * (CONTENDERS - 1), per_ward[ward_id]
        assert positions[ward_id] == list(range(1, CONTENDERS)), positions[ward_id]
    assert all(r.json()["type"].endswith("/ward-full") for _, r in answers if r.status_code == 409)
    for pair in discharges:
        assert sorted(r.status_code for r in pair) == [200, 409], [r.text for r in pair]
    assert len(heads) == WARDS and all(h and h["bed_number"] in (1, 2) for h in heads), heads
    assert {r["ward"]: r["n"] for r in waiting_per_ward} == dict.fromkeys(wards, CONTENDERS - 2)


async def test_one_key_sent_to_both_processes_admits_once(ward_db: str, make_platform) -> None:
    """A client that retries on the other replica (same Idempotency-Key) admits once."""
    first = make_platform(ward_db)
    second = make_platform(ward_db)
    await asyncio.gather(start(first, "ward_api"), start(second, "ward_api"))
    pairs = 12
    tally = Tally(f"{pairs} admissions each sent to both processes at once with one key")

    async with client(first.url_of("ward_api")) as a, client(second.url_of("ward_api")) as b:
        ward_id = await create_ward(a, beds=pairs)
        headers = bearer(Role.clinician, wards=[ward_id])
        patients = [await create_patient(a) for _ in range(pairs)]

        async def both(patient_id: str) -> tuple[httpx.Response, httpx.Response]:
            keyed = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            body = admission_body(patient_id, ward_id)
            one, two = await asyncio.gather(
                a.post("/v1/admissions", json=body, headers=keyed),
                b.post("/v1/admissions", json=body, headers=keyed),
            )
            return one, two

        answers = await asyncio.wait_for(asyncio.gather(*map(both, patients)), timeout=60)

    stored = await fetch(
        ward_db,
        "SELECT patient_id, count(*) AS n FROM ward.admission WHERE ward_id = $1 "
        "GROUP BY patient_id",
        uuid.UUID(ward_id),
    )
    tally.sent, tally.attempts = pairs, 2 * pairs
    tally.acknowledged = sum(1 for one, two in answers if one.is_success and two.is_success)
    tally.stored = len(stored)
    tally.duplicated = sum(r["n"] - 1 for r in stored)
    tally.lost = pairs - tally.stored
    tally.extra = {
        "replayed": sum(
            1 for pair in answers for r in pair if r.headers.get("idempotent-replayed") == "true"
        ),
        "statuses": sorted({r.status_code for pair in answers for r in pair}),
    }
    tally.show()

    for one, two in answers:
        assert one.status_code == two.status_code == 201, (one.text, two.text)
        assert one.json()["id"] == two.json()["id"]
    assert tally.stored == pairs and tally.duplicated == 0
