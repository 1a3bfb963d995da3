"""Wards and capacity history, alerts, exports, aggregates and the append-only audit log."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from services.ward_api.exports.service import local_date
from shared.auth import Role
from tests.ward_api.conftest import admit_body, key


async def test_capacity_history_and_cut_below_occupancy(ward_client, auth, make_ward, make_patient):
    ward = await make_ward(beds=2)
    admin = auth(Role.admin)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    for _ in range(2):
        patient = await make_patient()
        r = await ward_client.post(
            "/v1/admissions", json=admit_body(patient, ward), headers={**clinician, **key()}
        )
        assert r.status_code == 201
    cut = await ward_client.post(
        f"/v1/wards/{ward['id']}/capacity", json={"beds": 1, "reason": "staffing"}, headers=admin
    )
    assert cut.status_code == 409
    assert cut.json()["type"].endswith("/capacity-below-occupancy")
    assert cut.json()["occupied"] == 2
    grow = await ward_client.post(
        f"/v1/wards/{ward['id']}/capacity", json={"beds": 5, "reason": "winter"}, headers=admin
    )
    assert grow.status_code == 200 and grow.json()["beds"] == 5
    history = await ward_client.get(f"/v1/wards/{ward['id']}/capacity-history", headers=admin)
    assert [(c["beds"], c["previous_beds"]) for c in history.json()] == [(2, None), (5, 2)]
    assert history.json()[1]["reason"] == "winter" and history.json()[1]["changed_by"]
    for beds in (-1, 100_000):
        bad = await ward_client.post(
            f"/v1/wards/{ward['id']}/capacity", json={"beds": beds, "reason": "x"}, headers=admin
        )
        assert bad.status_code == 422
    live = await ward_client.get("/v1/capacity", params={"code": ward["icb_code"]}, headers=admin)
    (area,) = live.json()["areas"]
    assert area["source"] == "live" and area["beds"] >= 5


async def test_ward_validation(ward_client, auth, reference) -> None:
    body = {
        "name": "W",
        "icb_code": "QZZ",
        "provider_ods_code": "RBL",
        "provider_name": "T",
        "pathways": ["frailty"],
        "beds": 3,
    }
    response = await ward_client.post("/v1/wards", json=body, headers=auth(Role.admin))
    assert response.status_code == 422 and response.json()["type"].endswith("/unknown-icb")
    clinician = await ward_client.post(
        "/v1/wards", json={**body, "icb_code": "QYG"}, headers=auth(Role.clinician, wards=["*"])
    )
    assert clinician.status_code == 403


async def test_alerts_idempotent_and_acknowledged(ward_client, auth, make_ward, make_patient):
    ward, patient = await make_ward(beds=1), await make_patient()
    clinician = auth(Role.clinician, wards=[ward["id"]])
    admission = (
        await ward_client.post(
            "/v1/admissions", json=admit_body(patient, ward), headers={**clinician, **key()}
        )
    ).json()
    alert = {
        "alert_id": str(uuid.uuid4()),
        "admission_id": admission["id"],
        "ward_id": ward["id"],
        "kind": "news2_high",
        "news2_score": 7,
        "risk": "high",
        "detail": "NEWS2 7",
        "raised_at": datetime.now(UTC).isoformat(),
    }
    service = auth(Role.service, subject="monitoring_ingest")
    first = await ward_client.post("/v1/internal/alerts", json=alert, headers=service)
    repeat = await ward_client.post("/v1/internal/alerts", json=alert, headers=service)
    changed = await ward_client.post(
        "/v1/internal/alerts", json={**alert, "news2_score": 8}, headers=service
    )
    assert (first.status_code, repeat.status_code, changed.status_code) == (201, 200, 409)
    assert changed.json()["type"].endswith("/alert-id-reused")
    mismatch = await ward_client.post(
        "/v1/internal/alerts",
        json={**alert, "alert_id": str(uuid.uuid4()), "ward_id": str(uuid.uuid4())},
        headers=service,
    )
    assert mismatch.status_code == 409
    unknown = await ward_client.post(
        "/v1/internal/alerts",
        json={**alert, "alert_id": str(uuid.uuid4()), "admission_id": str(uuid.uuid4())},
        headers=service,
    )
    assert unknown.status_code == 404
    listed = await ward_client.get(f"/v1/wards/{ward['id']}/alerts", headers=clinician)
    assert [a["id"] for a in listed.json()] == [alert["alert_id"]]
    ack = await ward_client.post(f"/v1/alerts/{alert['alert_id']}/acknowledge", headers=clinician)
    assert ack.json()["response_seconds"] >= 0
    resolved = await ward_client.post(
        f"/v1/alerts/{alert['alert_id']}/resolve", json={"resolution": "called"}, headers=clinician
    )
    assert resolved.json()["resolved_by"]
    outsider = auth(Role.clinician, wards=[str(uuid.uuid4())])
    denied = await ward_client.post(f"/v1/alerts/{alert['alert_id']}/acknowledge", headers=outsider)
    assert denied.status_code == 403


async def test_sitrep_export_json_and_csv(ward_client, auth, reference) -> None:
    headers = auth(Role.commissioner, icbs=["*"])
    data = await ward_client.get("/v1/exports/sitrep?period=2023-10", headers=headers)
    body = data.json()
    assert len(body["rows"]) == 42 and body["attribution"]
    assert sum(r["capacity"] for r in body["rows"]) == 10737  # NHS England, October 2023
    text = (
        await ward_client.get("/v1/exports/sitrep?period=2023-10&format=csv", headers=headers)
    ).text
    assert text.startswith("period,icb_code") and "Open Government Licence" in text
    bad = await ward_client.get("/v1/exports/sitrep?period=2023-13", headers=headers)
    assert bad.status_code == 422


async def test_aggregates_carry_no_identifiers(ward_client, auth, make_ward, make_patient):
    ward, patient = await make_ward(beds=1), await make_patient()
    clinician = auth(Role.clinician, wards=[ward["id"]])
    await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers={**clinician, **key()}
    )
    today = local_date(datetime.now(UTC))  # admission dates are London dates
    params = {"from": str(today), "to": str(today + timedelta(days=1))}
    response = await ward_client.get(
        "/v1/internal/aggregates/admissions", params=params, headers=auth(Role.service)
    )
    assert response.status_code == 200
    text = response.text
    assert patient["nhs_number"] not in text and "1948-03-02" not in text
    assert patient["id"] not in text
    rows = response.json()["rows"]
    assert any(r["age_band"] == "75-79" or r["age_band"].endswith("9") for r in rows)
    assert set(response.json()) == {"generated_at", "from", "to", "rows"}
    denied = await ward_client.get(
        "/v1/internal/aggregates/admissions",
        params=params,
        headers=auth(Role.commissioner, icbs=["*"]),
    )
    assert denied.status_code == 403
    assert date.fromisoformat(response.json()["from"]) == today


async def test_audit_log_records_reads_and_is_append_only(
    database_url, ward_client, auth, make_ward, make_patient
):
    ward, patient = await make_ward(beds=1), await make_patient()
    clinician = auth(Role.clinician, wards=[ward["id"]], subject="dr-audit")
    await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers={**clinician, **key()}
    )
    await ward_client.get(
        f"/v1/patients/{patient['id']}", headers={**clinician, "X-Request-ID": "audit-req-1"}
    )
    events = await ward_client.get(
        "/v1/audit", params={"patient_id": patient["id"]}, headers=auth(Role.admin)
    )
    actions = {(e["actor"], e["action"], e["request_id"]) for e in events.json()}
    assert ("dr-audit", "read", "audit-req-1") in actions
    assert any(a[1] == "admit" for a in actions)
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        for statement in ("UPDATE ward.audit_log SET actor = 'x'", "DELETE FROM ward.audit_log"):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(statement)
    finally:
        await conn.close()


async def test_every_route_declares_a_policy(ward_client) -> None:
    from shared.auth import undeclared_routes

    assert undeclared_routes(ward_client.app) == []
