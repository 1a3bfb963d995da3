"""NEWS2 at ingest, SpO2 scale, thresholds, alert de-duplication and clinician queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.ext.asyncio import create_async_engine

from services.monitoring_ingest.alerts.raising import check_missed_readings
from services.monitoring_ingest.settings import IngestSettings
from shared.auth import Role
from shared.database import async_url
from tests.monitoring_ingest.helpers import (
    SERVICE,
    ago,
    bearer,
    bind,
    full_set,
    post_signed,
    statuses,
)

NATIVE = "/v1/readings/native"


async def _alerts(database_url: str, admission_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT * FROM monitoring.alerts WHERE admission_id = $1 ORDER BY raised_at",
            uuid.UUID(admission_id),
        )
    finally:
        await conn.close()


async def _post_set(client, bound, at: str, **values) -> dict:
    batch = {"device_id": bound.device_id, "readings": full_set(at, **values)}
    response = await post_signed(client, bound.vendor, NATIVE, batch)
    assert set(statuses(response)) == {"stored"}, response.text
    return response.json()


async def test_high_score_is_stored_and_raises_one_alert(
    ingest_client, bound, database_url
) -> None:
    # RR 25 (3) + SpO2 91 (3) + HR 131 (3) = 9: high risk.
    report = await _post_set(ingest_client, bound, ago(30), rr=25, spo2=91, hr=131)
    assert len(report["alerts"]) == 1
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    latest = history.json()[0]
    assert (latest["aggregate"], latest["risk"], latest["complete"]) == (9, "high", True)
    assert latest["parameter_scores"]["respiration_rate"] == 3
    # Still high, then medium, within the suppression window: no new alerts.
    again = await _post_set(ingest_client, bound, ago(20), rr=25, spo2=91, hr=131)
    medium = await _post_set(ingest_client, bound, ago(10), rr=22, spo2=94, hr=95, temp=38.5)
    assert again["alerts"] == [] and medium["alerts"] == []
    alerts = await _alerts(database_url, bound.admission_id)
    assert [(a["kind"], a["news2_score"], a["risk"]) for a in alerts] == [("news2_high", 9, "high")]
    assert bound.admission_id not in alerts[0]["detail"]


async def test_medium_then_high_escalates(ingest_client, bound, database_url) -> None:
    # RR 22 (2) + SpO2 94 (1) + HR 95 (1) + temp 38.5 (1) = 5: medium.
    await _post_set(ingest_client, bound, ago(40), rr=22, spo2=94, hr=95, temp=38.5)
    await _post_set(ingest_client, bound, ago(20), rr=25, spo2=91, hr=131)
    kinds = [a["kind"] for a in await _alerts(database_url, bound.admission_id)]
    assert kinds == ["news2_medium", "news2_high"]


async def test_incomplete_set_recorded_without_aggregate(
    ingest_client, bound, database_url
) -> None:
    batch = {
        "device_id": bound.device_id,
        "readings": [{"code": "spo2", "value": 90, "unit": "%", "at": ago(5)}],
    }
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["stored"]
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    result = history.json()[0]
    assert result["complete"] is False and result["aggregate"] is None and result["red_score"]
    assert "pulse" in result["missing"]
    # A red single parameter alerts even in an incomplete set.
    assert [a["kind"] for a in await _alerts(database_url, bound.admission_id)] == [
        "news2_red_single"
    ]


async def test_spo2_scale_2_changes_the_score(ingest_client, bound) -> None:
    path = f"/v1/admissions/{bound.admission_id}/spo2-scale"
    assert (await ingest_client.get(path, headers=bound.clinician)).json()["scale"] == 1
    response = await ingest_client.put(
        path, json={"scale": 2, "reason": "COPD with hypercapnic failure"}, headers=bound.clinician
    )
    assert response.status_code == 200 and response.json()["set_by"] == "test-clinician"
    # A scale applies to sets from when it was set (sets before keep the scale they had).
    report = await _post_set(ingest_client, bound, ago(0), spo2=89)
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    result = history.json()[0]
    assert (result["scale"], result["parameter_scores"]["oxygen_saturation"]) == (2, 0)
    assert result["aggregate"] == 0 and report["alerts"] == []


async def test_threshold_breach_alerts_once_per_rule(ingest_client, bound, database_url) -> None:
    path = f"/v1/admissions/{bound.admission_id}/thresholds"
    created = await ingest_client.post(
        path,
        json={
            "measure": "heart_rate",
            "direction": "above",
            "limit": 100,
            "reason": "AF, rate control",
        },
        headers=bound.clinician,
    )
    assert created.status_code == 201, created.text
    bad = await ingest_client.post(
        path,
        json={"measure": "consciousness", "direction": "above", "limit": 1, "reason": "nope"},
        headers=bound.clinician,
    )
    assert bad.status_code == 422
    for minutes, hr in ((20, 105), (10, 110)):
        batch = {
            "device_id": bound.device_id,
            "readings": [{"code": "hr", "value": hr, "unit": "/min", "at": ago(minutes)}],
        }
        assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["stored"]
    alerts = await _alerts(database_url, bound.admission_id)
    assert [(a["kind"], str(a["threshold_id"])) for a in alerts] == [
        ("threshold_breach", created.json()["id"])
    ]
    retired = await ingest_client.delete(f"{path}/{created.json()['id']}", headers=bound.clinician)
    assert retired.json()["retired_by"] == "test-clinician"


async def test_backfill_is_scored_but_does_not_alert(ingest_client, bound, database_url) -> None:
    report = await _post_set(ingest_client, bound, ago(60 * 24), rr=25, spo2=91, hr=131)
    assert report["alerts"] == []
    assert await _alerts(database_url, bound.admission_id) == []


async def test_clinician_entry_and_correction(ingest_client, bound) -> None:
    path = f"/v1/admissions/{bound.admission_id}/readings"
    at = ago(15)
    first = await ingest_client.post(
        path,
        json={"readings": [{"code": "temp", "value": 39.5, "unit": "Cel", "at": at}]},
        headers=bound.clinician,
    )
    assert statuses(first) == ["stored"]
    key = first.json()["items"][0]["key"]
    fixed = await ingest_client.post(
        path,
        json={
            "readings": [
                {"code": "temp", "value": 37.5, "unit": "Cel", "at": at, "supersedes": key}
            ]
        },
        headers=bound.clinician,
    )
    assert statuses(fixed) == ["stored"]
    unknown = await ingest_client.post(
        path,
        json={
            "readings": [
                {"code": "temp", "value": 37.6, "unit": "Cel", "at": at, "supersedes": "00"}
            ]
        },
        headers=bound.clinician,
    )
    assert statuses(unknown) == ["refused"]
    readings = (await ingest_client.get(path, headers=bound.clinician)).json()
    assert {r["provenance"] for r in readings} == {"clinician_entered"}
    correction = next(r for r in readings if r["supersedes"])
    assert correction["supersedes"] == key and correction["entered_by"] == "test-clinician"
    latest = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/latest-vitals", headers=bound.clinician
    )
    assert [r["value"] for r in latest.json() if r["code"] == "8310-5"] == [37.5]
    vendor_role = await ingest_client.post(path, json={"readings": []}, headers=bearer(Role.admin))
    assert vendor_role.status_code == 403


async def test_queries_are_scoped_to_the_ward(ingest_client, bound) -> None:
    other = bearer(Role.clinician, wards=[str(uuid.uuid4())])
    for suffix in ("readings", "news2", "latest-vitals", "thresholds", "bindings"):
        response = await ingest_client.get(
            f"/v1/admissions/{bound.admission_id}/{suffix}", headers=other
        )
        assert response.status_code == 403, suffix
        assert response.json()["type"].endswith("/wrong-ward")
    unknown = await ingest_client.get(
        f"/v1/admissions/{uuid.uuid4()}/readings", headers=bound.clinician
    )
    assert unknown.status_code == 404


async def test_readings_by_time_range(ingest_client, bound) -> None:
    readings = [
        {"code": "hr", "value": 60 + h, "unit": "/min", "at": ago(60 * h)} for h in range(1, 6)
    ]
    batch = {"device_id": bound.device_id, "readings": readings}
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["stored"] * 5
    start = (datetime.now(UTC) - timedelta(hours=4, minutes=30)).isoformat()
    end = (datetime.now(UTC) - timedelta(hours=1, minutes=30)).isoformat()
    response = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/readings",
        params={"from": start, "to": end, "code": "hr"},
        headers=bound.clinician,
    )
    assert [r["value"] for r in response.json()] == [64, 63, 62]


async def test_internal_latest_vitals(ingest_client, bound) -> None:
    await _post_set(ingest_client, bound, ago(5), rr=22, spo2=94, hr=95, temp=38.5)
    nobody = str(uuid.uuid4())
    response = await ingest_client.post(
        "/v1/internal/latest-vitals",
        json={"admission_ids": [bound.admission_id, nobody]},
        headers=SERVICE,
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["admission_id"] == bound.admission_id
    assert (items[0]["news2_score"], items[0]["risk"], items[0]["complete"]) == (5, "medium", True)
    assert items[0]["open_alerts"] == 1 and items[0]["last_reading_at"]
    assert items[1] == {
        "admission_id": nobody,
        "news2_score": None,
        "news2_at_least": None,
        "risk": None,
        "complete": None,
        "last_reading_at": None,
        "open_alerts": 0,
    }
    too_many = await ingest_client.post(
        "/v1/internal/latest-vitals",
        json={"admission_ids": [str(uuid.uuid4()) for _ in range(1001)]},
        headers=SERVICE,
    )
    assert too_many.status_code == 422


async def test_missed_readings_alert_once_per_silence(ingest_client, vendor, database_url) -> None:
    b = await bind(
        ingest_client, vendor, interval=60, bound_at=datetime.now(UTC) - timedelta(hours=5)
    )
    engine = create_async_engine(async_url(database_url))
    settings = IngestSettings(database_url=database_url)
    try:
        await check_missed_readings(engine, settings)
        await check_missed_readings(engine, settings)
    finally:
        await engine.dispose()
    alerts = await _alerts(database_url, b.admission_id)
    assert [(a["kind"], a["news2_score"], a["risk"]) for a in alerts] == [
        ("missed_readings", None, None)
    ]


def _csv_round(device_id: str, minutes_ago: float, **values) -> list[str]:
    """One round of observations as CSV rows, taken over three minutes ending `minutes_ago`."""
    rows = []
    for i, reading in enumerate(full_set(ago(0), **values)):
        at = ago(minutes_ago + 3 - i / 2)  # spread, not simultaneous: still one set
        value = str(reading["value"]).lower()
        rows.append(f"{device_id},,{reading['code']},{value},{reading.get('unit', '')},{at},")
    return rows


async def test_backfill_scores_every_set_and_alerts_only_within_the_horizon(
    ingest_client, bound, database_url
) -> None:
    high = {"rr": 25, "spo2": 91, "hr": 131}  # 9: high
    medium = {"rr": 22, "spo2": 94, "hr": 95, "temp": 38.5}  # 5: medium
    rounds = [(30 * 60, {}), (26 * 60, high), (22 * 60, medium), (7 * 60, high), (20, high)]
    rows = ["device_id,reading_id,code,value,unit,observed_at,provenance"]
    for minutes_ago, values in rounds:
        rows += _csv_round(bound.device_id, minutes_ago, **values)
    response = await post_signed(
        ingest_client,
        bound.vendor,
        "/v1/readings/csv",
        ("\n".join(rows) + "\n").encode(),
        content_type="text/csv",
    )
    assert set(statuses(response)) == {"stored"}, response.text
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    oldest_first = list(reversed(history.json()))
    assert [(r["aggregate"], r["risk"], r["complete"]) for r in oldest_first] == [
        (0, "low", True),
        (9, "high", True),
        (5, "medium", True),
        (9, "high", True),
        (9, "high", True),
    ]
    # Each set ends at its round's last reading and starts one window before.
    for result, (minutes_ago, _) in zip(oldest_first, rounds, strict=True):
        end = datetime.fromisoformat(result["window_end"])
        expected = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        assert abs((end - expected).total_seconds()) < 60
        start = datetime.fromisoformat(result["window_start"])
        assert end - start == timedelta(minutes=15)
    # Only the set inside the alert horizon (6 h) pages anyone: one alert, for that set.
    (alert,) = await _alerts(database_url, bound.admission_id)
    assert (alert["kind"], alert["news2_score"]) == ("news2_high", 9)
    assert response.json()["alerts"] == [str(alert["id"])]
    newest_end = datetime.fromisoformat(oldest_first[-1]["window_end"]).astimezone(UTC)
    assert alert["detail"].endswith(f"set ending {newest_end.isoformat()}")


async def test_backfill_older_than_the_horizon_never_alerts(
    ingest_client, bound, database_url
) -> None:
    rows = ["device_id,reading_id,code,value,unit,observed_at,provenance"]
    for hours_ago in (40, 36, 32, 28):
        rows += _csv_round(bound.device_id, hours_ago * 60, rr=25, spo2=91, hr=131)
    response = await post_signed(
        ingest_client,
        bound.vendor,
        "/v1/readings/csv",
        ("\n".join(rows) + "\n").encode(),
        content_type="text/csv",
    )
    assert set(statuses(response)) == {"stored"} and response.json()["alerts"] == []
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    assert [r["aggregate"] for r in history.json()] == [9, 9, 9, 9]
    assert await _alerts(database_url, bound.admission_id) == []


async def test_incomplete_set_already_high_escalates_as_at_least(
    ingest_client, bound, database_url
) -> None:
    """RR 24, SpO2 92, pulse 125, 39.5 C: at least 8 with three parameters missing."""
    at = ago(5)
    readings = [
        {"code": "rr", "value": 24, "unit": "/min", "at": at},
        {"code": "spo2", "value": 92, "unit": "%", "at": at},
        {"code": "hr", "value": 125, "unit": "/min", "at": at},
        {"code": "temp", "value": 39.5, "unit": "Cel", "at": at},
    ]
    response = await post_signed(
        ingest_client, bound.vendor, NATIVE, {"device_id": bound.device_id, "readings": readings}
    )
    assert set(statuses(response)) == {"stored"}
    (alert,) = await _alerts(database_url, bound.admission_id)
    assert (alert["kind"], alert["risk"], alert["news2_score"]) == ("news2_high", "high", None)
    assert alert["detail"].startswith("NEWS2 at least 8 (high risk), incomplete: missing ")
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    (result,) = history.json()
    assert (result["aggregate"], result["lower_bound"], result["risk"], result["complete"]) == (
        None,
        8,
        "high",
        False,
    )
    vitals = await ingest_client.post(
        "/v1/internal/latest-vitals", json={"admission_ids": [bound.admission_id]}, headers=SERVICE
    )
    (item,) = vitals.json()["items"]
    assert (item["news2_score"], item["news2_at_least"], item["risk"], item["complete"]) == (
        None,
        8,
        "high",
        False,
    )


async def test_incomplete_set_below_every_trigger_is_unknown_not_low(ingest_client, bound) -> None:
    batch = {
        "device_id": bound.device_id,
        "readings": [
            {"code": "hr", "value": 95, "unit": "/min", "at": ago(1)},
            {"code": "temp", "value": 38.5, "unit": "Cel", "at": ago(1)},
        ],
    }
    assert set(statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch))) == {
        "stored"
    }
    history = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    (result,) = history.json()
    assert (result["aggregate"], result["lower_bound"], result["risk"]) == (None, 2, None)
