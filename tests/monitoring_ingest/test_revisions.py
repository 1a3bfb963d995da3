"""FHIR identity and status lifecycle against PostgreSQL: identifier systems, corrections
that supersede, withdrawals that leave scores, latest vitals and the caseload, id conflicts."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from tests.monitoring_ingest.helpers import SERVICE, ago, full_set, post_signed, statuses

FHIR, NATIVE, CSV = "/v1/readings/fhir", "/v1/readings/native", "/v1/readings/csv"
LOINC, UCUM = "http://loinc.org", "http://unitsofmeasure.org"
CATEGORY = [
    {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
            }
        ]
    }
]


def observation(
    device: str, code: str, value: float, unit: str, at: str, *, status: str = "final",
    identifier: dict | None = None,
) -> dict:  # fmt: skip
    resource = {
        "resourceType": "Observation",
        "status": status,
        "category": CATEGORY,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/example"},
        "effectiveDateTime": at,
        "device": {"reference": f"Device/{device}"},
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }
    if identifier is not None:
        resource["identifier"] = [identifier]
    return resource


def bundle(*resources: dict, kind: str = "collection") -> dict:
    return {"resourceType": "Bundle", "type": kind, "entry": [{"resource": r} for r in resources]}


async def _latest(client, bound) -> dict[str, float]:
    response = await client.get(
        f"/v1/admissions/{bound.admission_id}/latest-vitals", headers=bound.clinician
    )
    assert response.status_code == 200, response.text
    return {r["code"]: r["value"] for r in response.json()}


async def _news2(client, bound) -> list[dict]:
    response = await client.get(
        f"/v1/admissions/{bound.admission_id}/news2", headers=bound.clinician
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _rows(database_url: str, admission_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT reading_key, code, value, supersedes, withdrawn FROM monitoring.readings "
            "WHERE admission_id = $1 ORDER BY received_at, reading_key",
            uuid.UUID(admission_id),
        )
    finally:
        await conn.close()


async def test_same_value_under_two_systems_is_two_readings(ingest_client, bound) -> None:
    at = ago(10)
    payload = bundle(
        observation(bound.device_id, "8867-4", 80, "/min", at,
                    identifier={"system": "urn:x:hr-monitor", "value": "X"}),
        observation(bound.device_id, "2708-6", 96, "%", at,
                    identifier={"system": "urn:x:oximeter", "value": "X"}),
    )  # fmt: skip
    response = await post_signed(ingest_client, bound.vendor, FHIR, payload)
    assert statuses(response) == ["stored", "stored"]
    assert await _latest(ingest_client, bound) == {"8867-4": 80.0, "2708-6": 96.0}


async def test_amended_supersedes_and_rescores(ingest_client, bound, database_url) -> None:
    at = ago(10)
    identifier = {"system": "urn:x:hr-monitor", "value": "hr-1"}
    first = observation(bound.device_id, "8867-4", 131, "/min", at, identifier=identifier)
    # The rest of a NEWS2 round (heart rate 131 scores 3; the rest 0).
    rest = [r for r in full_set(at) if r["code"] != "hr"]
    response = await post_signed(
        ingest_client, bound.vendor, NATIVE, {"device_id": bound.device_id, "readings": rest}
    )
    assert set(statuses(response)) == {"stored"}
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, first)) == ["stored"]
    before = (await _news2(ingest_client, bound))[0]
    assert before["parameter_scores"]["pulse"] == 3

    for status in ("amended", "corrected"):
        value = 70 if status == "amended" else 72
        fix = observation(
            bound.device_id, "8867-4", value, "/min", at, status=status, identifier=identifier
        )
        response = await post_signed(ingest_client, bound.vendor, FHIR, fix)
        assert statuses(response) == ["stored"], response.text
        assert response.json()["items"][0]["supersedes"]
        assert (await _latest(ingest_client, bound))["8867-4"] == value
        after = (await _news2(ingest_client, bound))[0]
        assert after["parameter_scores"]["pulse"] == 0 and after["aggregate"] == 0

    # Re-sending the last correction is a duplicate; the chain is kept, append-only.
    again = await post_signed(ingest_client, bound.vendor, FHIR, {**fix, "id": "resend"})
    assert statuses(again) == ["duplicate"]
    rows = [r for r in await _rows(database_url, bound.admission_id) if r["code"] == "8867-4"]
    assert [r["value"] for r in rows] == [131, 70, 72]
    assert rows[1]["supersedes"] == rows[0]["reading_key"]
    assert rows[2]["supersedes"] == rows[1]["reading_key"]


async def test_entered_in_error_withdraws(ingest_client, bound, database_url) -> None:
    at = ago(10)
    identifier = {"system": "urn:x:thermometer", "value": "t-1"}
    hot = observation(bound.device_id, "8310-5", 38.5, "Cel", at, identifier=identifier)
    rest = [r for r in full_set(at) if r["code"] != "temp"]
    await post_signed(
        ingest_client, bound.vendor, NATIVE, {"device_id": bound.device_id, "readings": rest}
    )
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, hot)) == ["stored"]
    scored = (await _news2(ingest_client, bound))[0]
    assert scored["parameter_scores"]["temperature"] == 1 and scored["complete"]

    error = {**hot, "status": "entered-in-error"}
    response = await post_signed(ingest_client, bound.vendor, FHIR, error)
    assert statuses(response) == ["withdrawn"], response.text
    assert response.json()["counts"]["withdrawn"] == 1
    assert "8310-5" not in await _latest(ingest_client, bound)
    rescored = (await _news2(ingest_client, bound))[0]
    assert rescored["complete"] is False and "temperature" in rescored["missing"]
    # Kept for audit: the reading and its withdrawal both stored, the withdrawal linked.
    temps = [r for r in await _rows(database_url, bound.admission_id) if r["code"] == "8310-5"]
    assert [r["withdrawn"] for r in temps] == [False, True]
    assert temps[1]["supersedes"] == temps[0]["reading_key"]
    listed = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/readings?code=temp", headers=bound.clinician
    )
    assert sorted(r["withdrawn"] for r in listed.json()) == [False, True]
    # Withdrawing again changes nothing; withdrawing what was never stored is refused.
    again = await post_signed(ingest_client, bound.vendor, FHIR, {**error, "id": "again"})
    assert statuses(again) == ["duplicate"]
    unknown = {**error, "identifier": [{"system": "urn:x:thermometer", "value": "nope"}]}
    refused = await post_signed(ingest_client, bound.vendor, FHIR, unknown)
    assert statuses(refused) == ["refused"]
    assert refused.json()["items"][0]["reason"] == "unknown_reading"


async def test_withdrawn_only_reading_leaves_the_caseload(ingest_client, bound) -> None:
    identifier = {"system": "urn:x:hr-monitor", "value": "only"}
    only = observation(bound.device_id, "8867-4", 140, "/min", ago(5), identifier=identifier)
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, only)) == ["stored"]
    error = {**only, "status": "entered-in-error"}
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, error)) == ["withdrawn"]
    response = await ingest_client.post(
        "/v1/internal/latest-vitals", json={"admission_ids": [bound.admission_id]}, headers=SERVICE
    )
    item = response.json()["items"][0]
    assert (item["news2_score"], item["news2_at_least"], item["last_reading_at"]) == (
        None, None, None,
    )  # fmt: skip
    assert await _news2(ingest_client, bound) == []


async def test_withdrawal_is_scoped_to_the_vendor(ingest_client, bound) -> None:
    from tests.monitoring_ingest.helpers import bind, new_vendor

    identifier = {"system": "urn:x:hr-monitor", "value": "mine"}
    mine = observation(bound.device_id, "8867-4", 77, "/min", ago(5), identifier=identifier)
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, mine)) == ["stored"]
    other = await new_vendor(ingest_client)
    theirs = await bind(ingest_client, other)
    attack = {
        **mine,
        "status": "entered-in-error",
        "device": {"reference": f"Device/{theirs.device_id}"},
    }
    assert statuses(await post_signed(ingest_client, other, FHIR, attack)) == ["refused"]
    attack["device"] = {"reference": f"Device/{bound.device_id}"}
    forbidden = await post_signed(ingest_client, other, FHIR, attack)
    assert forbidden.status_code == 403
    assert (await _latest(ingest_client, bound))["8867-4"] == 77


async def test_native_and_csv_verbs(ingest_client, bound) -> None:
    at = ago(15)
    reading = {"id": "n-1", "code": "hr", "value": 88, "unit": "/min", "at": at}
    batch = {"device_id": bound.device_id, "readings": [reading]}
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["stored"]
    fixed = {
        "device_id": bound.device_id,
        "readings": [{**reading, "value": 66, "status": "corrected"}],
    }
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, fixed)) == ["stored"]
    assert (await _latest(ingest_client, bound))["8867-4"] == 66
    csv = (
        "device_id,reading_id,code,value,unit,observed_at,provenance,status\n"
        f"{bound.device_id},n-1,hr,66,/min,{at},,entered-in-error\n"
    )
    response = await post_signed(
        ingest_client, bound.vendor, CSV, csv.encode(), content_type="text/csv"
    )
    assert statuses(response) == ["withdrawn"], response.text
    assert "8867-4" not in await _latest(ingest_client, bound)


async def test_original_and_correction_in_one_batch(ingest_client, bound) -> None:
    at = ago(15)
    reading = {"id": "b-1", "code": "hr", "value": 150, "unit": "/min", "at": at}
    batch = {
        "device_id": bound.device_id,
        "readings": [reading, {**reading, "value": 75, "status": "amended"}],
    }
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == [
        "stored", "stored",
    ]  # fmt: skip
    assert (await _latest(ingest_client, bound))["8867-4"] == 75


async def test_reused_id_in_one_batch_is_a_conflict(ingest_client, bound) -> None:
    at = ago(15)
    batch = {
        "device_id": bound.device_id,
        "readings": [
            {"id": "dup", "code": "hr", "value": 70, "unit": "/min", "at": at},
            {"id": "dup", "code": "hr", "value": 70, "unit": "/min", "at": at},
            {"id": "dup", "code": "spo2", "value": 95, "unit": "%", "at": at},
        ],
    }
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["stored", "duplicate", "conflict"]
    assert response.json()["counts"]["conflict"] == 1


async def _alert_rows(database_url: str, admission_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT kind, withdrawn_at FROM monitoring.alerts WHERE admission_id = $1 "
            "ORDER BY kind",
            uuid.UUID(admission_id),
        )
    finally:
        await conn.close()


async def test_alerts_resting_only_on_a_withdrawn_reading_are_marked(
    ingest_client, bound, database_url
) -> None:
    created = await ingest_client.post(
        f"/v1/admissions/{bound.admission_id}/thresholds",
        json={"measure": "heart_rate", "direction": "above", "limit": 120, "reason": "test"},
        headers=bound.clinician,
    )
    assert created.status_code == 201, created.text
    identifier = {"system": "urn:x:hr-monitor", "value": "spike"}
    spike = observation(bound.device_id, "8867-4", 140, "/min", ago(5), identifier=identifier)
    response = await post_signed(ingest_client, bound.vendor, FHIR, spike)
    assert len(response.json()["alerts"]) == 2  # the threshold, and NEWS2 pulse scoring 3
    error = {**spike, "status": "entered-in-error"}
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, error)) == ["withdrawn"]
    alerts = await _alert_rows(database_url, bound.admission_id)
    assert [a["kind"] for a in alerts] == ["news2_red_single", "threshold_breach"]
    assert all(a["withdrawn_at"] is not None for a in alerts)
    listed = await ingest_client.get(
        f"/v1/alerts?admission_id={bound.admission_id}", headers=SERVICE
    )
    assert all(a["withdrawn_at"] for a in listed.json())


async def test_alert_resting_on_other_readings_too_stands(
    ingest_client, bound, database_url
) -> None:
    at = ago(5)
    identifier = {"system": "urn:x:thermometer", "value": "one-of-seven"}
    rest = [r for r in full_set(at, rr=25, spo2=91) if r["code"] != "temp"]
    await post_signed(
        ingest_client, bound.vendor, NATIVE, {"device_id": bound.device_id, "readings": rest}
    )
    temp = observation(bound.device_id, "8310-5", 37.0, "Cel", at, identifier=identifier)
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, temp)) == ["stored"]
    error = {**temp, "status": "entered-in-error"}
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, error)) == ["withdrawn"]
    alerts = await _alert_rows(database_url, bound.admission_id)
    assert alerts and all(a["withdrawn_at"] is None for a in alerts)


@pytest.mark.parametrize("one_batch", [True, False])
@pytest.mark.parametrize("correction_first", [True, False])
async def test_correction_wins_whatever_the_arrival_order(
    ingest_client, bound, one_batch: bool, correction_first: bool
) -> None:
    at = ago(15)
    original = {"id": "o-1", "code": "hr", "value": 150, "unit": "/min", "at": at}
    corrected = {**original, "value": 75, "status": "corrected"}
    withdraw = {**original, "status": "entered-in-error"}
    order = [corrected, original] if correction_first else [original, corrected]
    batches = [order] if one_batch else [[r] for r in order]
    for n, readings in enumerate(batches):
        batch = {"device_id": bound.device_id, "readings": readings, "n": n}
        assert set(statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch))) == {
            "stored"
        }
    assert (await _latest(ingest_client, bound))["8867-4"] == 75
    assert (await _news2(ingest_client, bound))[0]["parameter_scores"]["pulse"] == 0
    # Withdrawing it afterwards withdraws the correction, the newest reading of the id.
    batch = {"device_id": bound.device_id, "readings": [withdraw]}
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["withdrawn"]
    assert "8867-4" not in await _latest(ingest_client, bound)


async def test_quarantined_reading_keeps_its_system_scoped_identity(ingest_client, vendor) -> None:
    from datetime import UTC, datetime

    from shared.auth import Role
    from tests.monitoring_ingest.helpers import bearer, bind

    device_id = f"DEV-{uuid.uuid4().hex[:8]}"
    register = await ingest_client.post(
        f"/v1/admin/vendors/{vendor.vendor_id}/devices",
        json={"device_id": device_id},
        headers=bearer(Role.admin),
    )
    assert register.status_code == 201
    spo2 = observation(device_id, "2708-6", 95, "%", ago(30),
                       identifier={"system": "urn:x:oximeter", "value": "q-1"})  # fmt: skip
    early = await post_signed(ingest_client, vendor, FHIR, spo2)
    assert statuses(early) == ["quarantined"]
    key = early.json()["items"][0]["key"]
    b = await bind(ingest_client, vendor, device_id=device_id, bound_at=datetime.now(UTC))
    listing = await ingest_client.get("/v1/quarantine", headers=b.clinician)
    entry = next(e for e in listing.json() if e["key"] == key)
    attributed = await ingest_client.post(
        f"/v1/quarantine/{entry['id']}/attribute",
        json={"admission_id": b.admission_id},
        headers=b.clinician,
    )
    assert attributed.json()["outcome"] == "stored"
    stored = await ingest_client.get(
        f"/v1/admissions/{b.admission_id}/readings", headers=b.clinician
    )
    assert [r["key"] for r in stored.json()] == [key]


async def test_blood_pressure_panel_withdrawn_whole(ingest_client, bound) -> None:
    at = ago(8)
    panel = {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:x:cuff", "value": "bp-1"}],
        "status": "final",
        "category": CATEGORY,
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": "Patient/example"},
        "effectiveDateTime": at,
        "device": {"reference": f"Device/{bound.device_id}"},
        "component": [
            {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
             "valueQuantity": {"value": 190, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
             "valueQuantity": {"value": 95, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}},
        ],
    }  # fmt: skip
    assert statuses(await post_signed(ingest_client, bound.vendor, FHIR, panel)) == ["stored"] * 2
    error = {**panel, "status": "entered-in-error"}
    response = await post_signed(ingest_client, bound.vendor, FHIR, error)
    assert statuses(response) == ["withdrawn"] * 2
    latest = await _latest(ingest_client, bound)
    assert "8480-6" not in latest and "8462-4" not in latest
