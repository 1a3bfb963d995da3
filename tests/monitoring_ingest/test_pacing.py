"""Missed readings paced by the NEWS2 band or a clinician's plan, and NEWS2 trend alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import create_async_engine

from services.monitoring_ingest.alerts.raising import check_missed_readings
from services.monitoring_ingest.settings import IngestSettings
from shared.auth import Role
from shared.database import async_url
from tests.monitoring_ingest.helpers import bearer, bind, full_set, post_signed, statuses

NATIVE = "/v1/readings/native"
SIX = {"rr": 22, "spo2": 94, "hr": 95, "temp": 38.5, "sbp": 105}  # 2+1+1+1+1 = 6: medium
ONE = {"temp": 38.5}
THREE = {"temp": 38.5, "rr": 22}  # 1 + 2, no single 3


async def _alerts(database_url: str, admission_id: str, kind: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT * FROM monitoring.alerts WHERE admission_id = $1 AND kind = $2 "
            "ORDER BY raised_at",
            uuid.UUID(admission_id),
            kind,
        )
    finally:
        await conn.close()


async def _post_set(client, bound, at: datetime, **values) -> dict:
    batch = {"device_id": bound.device_id, "readings": full_set(at.isoformat(), **values)}
    response = await post_signed(client, bound.vendor, NATIVE, batch)
    assert set(statuses(response)) == {"stored"}, response.text
    return response.json()


@pytest.fixture
async def check(database_url):
    """check_missed_readings at an injected time; how many missed_readings the admission has.

    The check covers every binding in the (shared) database, so count this admission's only.
    """
    engine = create_async_engine(async_url(database_url))
    settings = IngestSettings(database_url=database_url)

    async def run(now: datetime, admission_id: str) -> int:
        await check_missed_readings(engine, settings, now=now)
        return len(await _alerts(database_url, admission_id, "missed_readings"))

    try:
        yield run
    finally:
        await engine.dispose()


async def test_news2_6_silent_past_the_hour_is_missed_naming_the_hourly_band(
    ingest_client, bound, database_url, check
) -> None:
    last = datetime.now(UTC) - timedelta(minutes=5)
    await _post_set(ingest_client, bound, last, **SIX)
    assert await check(last + timedelta(minutes=59), bound.admission_id) == 0
    assert await check(last + timedelta(minutes=61), bound.admission_id) == 1
    # One alert per silence, however long it lasts.
    assert await check(last + timedelta(minutes=90), bound.admission_id) == 1
    (alert,) = await _alerts(database_url, bound.admission_id, "missed_readings")
    assert "hourly" in alert["detail"] and "NEWS2 5-6" in alert["detail"], alert["detail"]
    assert alert["detail"].startswith("no readings for 61 minutes; expected every 60 minutes")


async def test_news2_0_waits_twelve_hours(ingest_client, bound, database_url, check) -> None:
    last = datetime.now(UTC) - timedelta(minutes=5)
    await _post_set(ingest_client, bound, last)
    assert await check(last + timedelta(hours=11, minutes=59), bound.admission_id) == 0
    assert await check(last + timedelta(hours=12, minutes=1), bound.admission_id) == 1
    (alert,) = await _alerts(database_url, bound.admission_id, "missed_readings")
    assert "12-hourly" in alert["detail"]


async def test_a_clinicians_plan_overrides_the_band(
    ingest_client, bound, database_url, check
) -> None:
    path = f"/v1/admissions/{bound.admission_id}/monitoring-plan"
    unset = await ingest_client.get(path, headers=bound.clinician)
    assert unset.status_code == 200, unset.text
    assert unset.json()["interval_minutes"] is None and unset.json()["set_by"] is None
    planned = await ingest_client.put(
        path,
        json={"interval_minutes": 180, "reason": "stable on review; 3-hourly overnight"},
        headers=bound.clinician,
    )
    assert planned.status_code == 200, planned.text
    assert (planned.json()["interval_minutes"], planned.json()["set_by"]) == (180, "test-clinician")
    assert planned.json()["set_at"]
    last = datetime.now(UTC) - timedelta(minutes=5)
    await _post_set(ingest_client, bound, last, **SIX)
    assert await check(last + timedelta(minutes=61), bound.admission_id) == 0
    assert await check(last + timedelta(minutes=181), bound.admission_id) == 1
    (alert,) = await _alerts(database_url, bound.admission_id, "missed_readings")
    assert "monitoring plan" in alert["detail"] and "180 minutes" in alert["detail"]
    assert "3-hourly overnight" not in alert["detail"]  # a clinician's free text stays here
    # Back to NEWS2 pacing, with a reason; the next silence is paced by the band again.
    cleared = await ingest_client.put(
        path, json={"interval_minutes": None, "reason": "plan ended"}, headers=bound.clinician
    )
    assert cleared.status_code == 200 and cleared.json()["interval_minutes"] is None
    again = last + timedelta(minutes=1)
    await _post_set(ingest_client, bound, again, **SIX)
    assert await check(again + timedelta(minutes=59), bound.admission_id) == 1
    assert await check(again + timedelta(minutes=61), bound.admission_id) == 2


async def test_monitoring_plan_is_validated_and_clinician_only(ingest_client, bound) -> None:
    path = f"/v1/admissions/{bound.admission_id}/monitoring-plan"
    for body in ({"interval_minutes": 0, "reason": "nope"}, {"interval_minutes": 60}):
        response = await ingest_client.put(path, json=body, headers=bound.clinician)
        assert response.status_code == 422, body
    other_ward = bearer(Role.clinician, wards=[str(uuid.uuid4())])
    body = {"interval_minutes": 60, "reason": "hourly"}
    refused = await ingest_client.put(path, json=body, headers=other_ward)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/wrong-ward")
    admin = await ingest_client.put(path, json=body, headers=bearer(Role.admin))
    assert admin.status_code == 403
    unknown = await ingest_client.put(
        f"/v1/admissions/{uuid.uuid4()}/monitoring-plan", json=body, headers=bound.clinician
    )
    assert unknown.status_code == 404


async def test_news2_rising_by_two_within_a_day_alerts_once_below_five(
    ingest_client, bound, database_url
) -> None:
    now = datetime.now(UTC)
    first = await _post_set(ingest_client, bound, now - timedelta(hours=5), **ONE)
    risen = await _post_set(ingest_client, bound, now - timedelta(hours=3), **THREE)
    steady = await _post_set(ingest_client, bound, now - timedelta(hours=1), **THREE)
    assert first["alerts"] == [] and steady["alerts"] == []
    (alert,) = await _alerts(database_url, bound.admission_id, "news2_rising")
    assert risen["alerts"] == [str(alert["id"])]
    assert (alert["news2_score"], alert["risk"]) == (3, "low")
    assert alert["detail"].startswith("NEWS2 3, up from 1 within 24 h"), alert["detail"]


async def test_a_rise_spread_over_25_hours_does_not_alert(
    ingest_client, bound, database_url
) -> None:
    now = datetime.now(UTC)
    await _post_set(ingest_client, bound, now - timedelta(hours=26), **ONE)
    await _post_set(ingest_client, bound, now - timedelta(hours=13), **{"temp": 39.5})  # 2
    report = await _post_set(ingest_client, bound, now - timedelta(minutes=60), **THREE)
    assert report["alerts"] == []
    assert await _alerts(database_url, bound.admission_id, "news2_rising") == []


async def test_a_fall_and_a_second_rise_alerts_again(ingest_client, bound, database_url) -> None:
    now = datetime.now(UTC)
    await _post_set(ingest_client, bound, now - timedelta(hours=5), **ONE)
    await _post_set(ingest_client, bound, now - timedelta(hours=4), **THREE)
    await _post_set(ingest_client, bound, now - timedelta(hours=3), **ONE)
    await _post_set(ingest_client, bound, now - timedelta(hours=2), **THREE)
    assert len(await _alerts(database_url, bound.admission_id, "news2_rising")) == 2


# Complete sets scoring 0-4 with no single 3: below every band alert, so only the trend speaks.
SCORED = [{}, ONE, {"rr": 22}, THREE, {**THREE, "hr": 95}]
HORIZON = timedelta(hours=6)  # alert_max_age_minutes: older sets are scored, never alerted
TREND = timedelta(hours=24)


def _rises(sets: list[tuple[datetime, int]], now: datetime) -> set[datetime]:
    """The model, sets arriving in time order: the baselines of the rises that alert."""
    raised = set()
    for end, score in sorted(sets):
        if end < now - HORIZON:
            continue
        earlier = [(s, e) for e, s in sets if end - TREND <= e < end]
        if earlier:
            low = min(s for s, _ in earlier)
            if score - low >= 2:
                raised.add(max(e for s, e in earlier if s == low))
    return raised


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    sets=st.lists(
        # 20-minute slots (so each set is its own): half within the alert horizon, the
        # rest back to 30 h, past the trend window.
        st.tuples(st.one_of(st.integers(1, 18), st.integers(19, 90)), st.integers(0, 4)),
        min_size=2,
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    data=st.data(),
)
async def test_rises_alert_as_the_rule_says_whatever_the_arrival_order(
    ingest_client, vendor, database_url, sets, data
) -> None:
    """In time order, the rises alerted are the model's; in any order, none is missed."""
    now = datetime.now(UTC).replace(microsecond=0)
    timed = [(now - timedelta(minutes=20 * slot), score) for slot, score in sets]
    expected = _rises(timed, now)
    in_order = await bind(ingest_client, vendor)
    for at, score in sorted(timed):
        await _post_set(ingest_client, in_order, at, **SCORED[score])
    keys = await _keys(database_url, in_order.admission_id)
    assert keys == {f"rising:{in_order.admission_id}:{e.isoformat()}" for e in expected}
    shuffled = await bind(ingest_client, vendor)
    for at, score in data.draw(st.permutations(timed), label="arrival"):
        await _post_set(ingest_client, shuffled, at, **SCORED[score])
    found = {key.split(":", 2)[2] for key in await _keys(database_url, shuffled.admission_id)}
    assert {e.isoformat() for e in expected} <= found
    assert bool(found) == bool(expected)


async def _keys(database_url: str, admission_id: str) -> set[str]:
    return {r["dedup_key"] for r in await _alerts(database_url, admission_id, "news2_rising")}


async def test_the_plan_endpoint_says_what_paces_the_admission_now(ingest_client, bound) -> None:
    path = f"/v1/admissions/{bound.admission_id}/monitoring-plan"

    async def now_paced() -> tuple[str, float]:
        body = (await ingest_client.get(path, headers=bound.clinician)).json()
        return body["paced_by"], body["expected_interval_minutes"]

    assert await now_paced() == ("device interval (NEWS2 band unknown)", 240)
    await _post_set(ingest_client, bound, datetime.now(UTC) - timedelta(minutes=5), **SIX)
    assert await now_paced() == ("NEWS2 5-6 or a single 3 band (hourly)", 60)
    body = {"interval_minutes": 30, "reason": "half-hourly after a fall"}
    assert (await ingest_client.put(path, json=body, headers=bound.clinician)).status_code == 200
    assert await now_paced() == ("monitoring plan", 30)
