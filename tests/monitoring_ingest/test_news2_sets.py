"""NEWS2 sets on the database: the defects a hostile review of the set rule found.

Each test reproduces one finding against the first arrival-order rewrite (greedy sets opened
at the earliest reading): a wearable's stream splitting a round so a medium alert was missed,
an untouched set re-scored on a later SpO2 scale, unchanged sets paging again, two patients
in one batch paging again, and opposite-order duplicate batches deadlocking.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.monitoring_ingest.helpers import bind, post_signed
from tests.monitoring_ingest.test_arrival_order import CSV, Obs, _post

HIGH = (("rr", 25), ("spo2", 91), ("on_oxygen", False), ("sbp", 120), ("hr", 131),
        ("acvpu", "A"), ("temp", 37.0))  # fmt: skip


async def _alerts(database_url: str, *admissions: str) -> list[tuple]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT admission_id, kind FROM monitoring.alerts WHERE admission_id = ANY($1::uuid[])"
            " ORDER BY raised_at, kind",
            [uuid.UUID(a) for a in admissions],
        )
        return [tuple(r) for r in rows]
    finally:
        await conn.close()


async def _age_alerts(database_url: str, *admissions: str) -> None:
    """As if the alerts were raised two hours ago, past the suppression window."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE monitoring.alerts SET raised_at = raised_at - interval '2 hours'"
            " WHERE admission_id = ANY($1::uuid[])",
            [uuid.UUID(a) for a in admissions],
        )
    finally:
        await conn.close()


async def _history(client, bound) -> list[tuple]:
    response = await client.get(
        f"/v1/admissions/{bound.admission_id}/news2?limit=500", headers=bound.clinician
    )
    return [
        (s["window_end"], s["scale"], s["aggregate"], s["lower_bound"], s["risk"])
        for s in response.json()
    ]


async def test_a_round_taken_while_a_wearable_streams_is_scored_whole(
    ingest_client, vendor, database_url
) -> None:
    """Heart rate every 5 min plus a round over 13-17 min: one complete set, NEWS2 6, medium."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=60)

    def m(x: float) -> datetime:
        return base + timedelta(minutes=x)

    round_ = [Obs("rr", 22, m(13)), Obs("spo2", 94, m(14)), Obs("sbp", 105, m(16)),
              Obs("temp", 38.5, m(16.5)), Obs("acvpu", "A", m(17)),
              Obs("on_oxygen", False, m(17))]  # fmt: skip
    streams = {
        "every 5 min": [Obs("hr", 95, m(5 * k)) for k in range(8)],
        "every 30 s": [Obs("hr", 95, m(k / 2)) for k in range(80)],
    }
    for name, wearable in streams.items():
        bound = await bind(ingest_client, vendor)
        await _post(ingest_client, bound, sorted(round_ + wearable, key=lambda r: r.at), False)
        history = await _history(ingest_client, bound)
        assert any(agg == 6 for _, _, agg, _, _ in history), (name, history)
        kinds = [k for _, k in await _alerts(database_url, bound.admission_id)]
        assert kinds == ["news2_medium"], (name, kinds)


async def test_an_untouched_set_keeps_the_scale_it_was_scored_on(ingest_client, vendor) -> None:
    """Scale 2 set after two sets: a late reading in the first leaves the second as it was."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=90)
    first = [Obs(c, v, base) for c, v in HIGH[:-1]]
    t2 = base + timedelta(minutes=40)
    calm_on_oxygen = (("rr", 16), ("spo2", 98), ("on_oxygen", True), ("sbp", 125), ("hr", 70),
                      ("acvpu", "A"), ("temp", 37.0))  # fmt: skip
    second = [Obs(c, v, t2) for c, v in calm_on_oxygen]
    histories = []
    for late in (False, True):
        bound = await bind(ingest_client, vendor)
        await _post(ingest_client, bound, first + second, False)
        put = await ingest_client.put(
            f"/v1/admissions/{bound.admission_id}/spo2-scale",
            json={"scale": 2, "reason": "hypercapnic respiratory failure"},
            headers=bound.clinician,
        )
        assert put.status_code == 200, put.text
        if late:
            await _post(ingest_client, bound, [Obs("temp", 37.0, base)], False)
        histories.append(dict((end, (scale, agg)) for end, scale, agg, _, _ in
                              await _history(ingest_client, bound)))  # fmt: skip
    end2 = next(e for e in histories[0] if datetime.fromisoformat(e) == t2)
    assert histories[0][end2] == histories[1][end2] == (1, 2)


async def test_an_unchanged_set_does_not_page_again(ingest_client, vendor, database_url) -> None:
    """A late air reading leaves a high set high: no second alert, even past suppression."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=150)
    bound = await bind(ingest_client, vendor)
    await _post(ingest_client, bound, [Obs(c, v, at) for c, v in HIGH], False)
    await _age_alerts(database_url, bound.admission_id)
    await _post(ingest_client, bound, [Obs("on_oxygen", False, at + timedelta(seconds=20))], False)
    assert [k for _, k in await _alerts(database_url, bound.admission_id)] == ["news2_high"]


async def test_two_patients_in_one_batch_do_not_page_again(
    ingest_client, vendor, database_url
) -> None:
    """A CSV batch with an unused older heart rate for each of two patients changes nothing."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=300)
    bounds = [await bind(ingest_client, vendor) for _ in range(2)]
    for b in bounds:
        rounds = []
        for k in range(12):
            at = base + timedelta(minutes=20 * k)
            rounds += [Obs(c, v, at + timedelta(seconds=10 + i)) for i, (c, v) in enumerate(HIGH)]
        await _post(ingest_client, b, rounds, False)
    ids = [b.admission_id for b in bounds]
    await _age_alerts(database_url, *ids)
    alerts_before = await _alerts(database_url, *ids)
    histories_before = [await _history(ingest_client, b) for b in bounds]
    lines = ["device_id,reading_id,code,value,unit,observed_at,provenance"]
    at = (base + timedelta(seconds=12)).isoformat()
    lines += [f"{b.device_id},{uuid.uuid4().hex},hr,131,/min,{at},device" for b in bounds]
    body = ("\n".join(lines) + "\n").encode()
    response = await post_signed(ingest_client, vendor, CSV, body, content_type="text/csv")
    assert response.status_code == 200, response.text
    assert [await _history(ingest_client, b) for b in bounds] == histories_before
    assert await _alerts(database_url, *ids) == alerts_before


async def test_the_same_batch_twice_in_opposite_orders_at_once(ingest_client, vendor) -> None:
    """A hub's retry in another order, concurrently: both answered, neither deadlocks."""
    for _ in range(3):
        bound = await bind(ingest_client, vendor)
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=20)
        batch = [
            Obs("hr", 60 + i % 50, base + timedelta(seconds=7 * i)).native() for i in range(2000)
        ]
        posts = [
            post_signed(ingest_client, vendor, "/v1/readings/native",
                        {"device_id": bound.device_id, "readings": readings})
            for readings in (batch, batch[::-1])
        ]  # fmt: skip
        answers = await asyncio.gather(*posts)
        assert [a.status_code for a in answers] == [200, 200], [a.text[:300] for a in answers]
