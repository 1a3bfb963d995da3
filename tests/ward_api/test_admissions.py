"""Patients, admissions, wait-lists and discharges, including concurrency and idempotency."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from shared.auth import Role
from tests.ward_api.conftest import admit_body, key, nhs_number


def _clin(auth, ward: dict) -> dict:
    return auth(Role.clinician, wards=[ward["id"]])


async def test_admit_discharge_and_length_of_stay(ward_client, auth, make_ward, make_patient):
    ward, patient = await make_ward(beds=1), await make_patient()
    headers = _clin(auth, ward)
    response = await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers={**headers, **key()}
    )
    assert response.status_code == 201, response.text
    admission = response.json()
    assert admission["bed_number"] == 1 and admission["binding_status"] == "none"
    twice = await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers={**headers, **key()}
    )
    assert twice.status_code == 409 and twice.json()["type"].endswith("/already-admitted")
    early = await ward_client.post(
        f"/v1/admissions/{admission['id']}/discharge",
        json={"outcome": "completed", "discharged_at": "2001-01-01T00:00:00Z"},
        headers=headers,
    )
    assert early.status_code == 422
    assert early.json()["type"].endswith("/discharge-before-admission")
    done = await ward_client.post(
        f"/v1/admissions/{admission['id']}/discharge",
        json={"outcome": "completed"},
        headers=headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["admission"]["length_of_stay_days"] == 0
    assert done.json()["admission"]["long_stay"] is False
    again = await ward_client.post(
        f"/v1/admissions/{admission['id']}/discharge",
        json={"outcome": "completed"},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["type"].endswith("/already-discharged")


async def test_idempotent_admission_never_admits_twice(ward_client, auth, make_ward, make_patient):
    ward, patient = await make_ward(beds=3), await make_patient()
    headers = {**_clin(auth, ward), "Idempotency-Key": uuid.uuid4().hex}
    body = admit_body(patient, ward)
    first, second = await asyncio.gather(
        ward_client.post("/v1/admissions", json=body, headers=headers),
        ward_client.post("/v1/admissions", json=body, headers=headers),
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = await ward_client.post(
        "/v1/admissions", json={**body, "pathway": "frailty"}, headers=headers
    )
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")
    missing = await ward_client.post("/v1/admissions", json=body, headers=_clin(auth, ward))
    assert missing.status_code == 400


async def test_one_free_bed_twenty_admissions(ward_client, auth, make_ward, make_patient):
    """Twenty simultaneous admissions for one free bed: exactly one wins, the rest wait."""
    ward = await make_ward(beds=1)
    patients = [await make_patient() for _ in range(20)]
    headers = _clin(auth, ward)
    responses = await asyncio.gather(
        *(
            ward_client.post(
                "/v1/admissions", json=admit_body(p, ward), headers={**headers, **key()}
            )
            for p in patients
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19
    positions = sorted(r.json()["waitlist_position"] for r in responses if r.status_code == 409)
    assert all(r.json()["type"].endswith("/ward-full") for r in responses if r.status_code == 409)
    assert len(positions) == 19
    waitlist = await ward_client.get(f"/v1/wards/{ward['id']}/waitlist", headers=headers)
    assert len(waitlist.json()) == 19


async def test_database_refuses_a_second_patient_in_a_bed(database_url, make_ward, make_patient):
    """The partial unique index holds even if application checks were bypassed."""
    ward = await make_ward(beds=2)
    first, second = await make_patient(), await make_patient()
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        insert = (
            "INSERT INTO ward.admission (id, patient_id, ward_id, bed_number, pathway, "
            "referral_source, urgency, referred_at, admitted_at, binding_status, "
            "readings_expected, readings_received, admitted_by) VALUES "
            "($1, $2, $3, 1, 'frailty', 'gp', 'urgent', now(), now(), 'none', 0, 0, 't')"
        )
        await conn.execute(insert, uuid.uuid4(), uuid.UUID(first["id"]), uuid.UUID(ward["id"]))
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(insert, uuid.uuid4(), uuid.UUID(second["id"]), uuid.UUID(ward["id"]))
    finally:
        await conn.close()


async def test_discharge_admits_waitlist_head_by_urgency(
    ward_client, auth, make_ward, make_patient
):
    ward = await make_ward(beds=1)
    headers = _clin(auth, ward)
    occupant, routine, emergency = [await make_patient() for _ in range(3)]
    first = await ward_client.post(
        "/v1/admissions", json=admit_body(occupant, ward), headers={**headers, **key()}
    )
    for patient, urgency in ((routine, "routine"), (emergency, "emergency")):
        full = await ward_client.post(
            "/v1/admissions",
            json=admit_body(patient, ward, urgency=urgency),
            headers={**headers, **key()},
        )
        assert full.status_code == 409
    assert full.json()["waitlist_position"] == 1  # emergency jumps the routine referral
    done = await ward_client.post(
        f"/v1/admissions/{first.json()['id']}/discharge",
        json={"outcome": "escalated_to_hospital"},
        headers=headers,
    )
    head = done.json()["admitted_from_waitlist"]
    assert head["patient_id"] == emergency["id"] and head["bed_number"] == 1


async def test_device_binding_pending_when_monitoring_is_down(
    ward_client, auth, make_ward, make_patient
):
    ward, patient = await make_ward(beds=1), await make_patient()
    body = admit_body(patient, ward, device={"vendor_id": "acme", "device_id": "dev-1"})
    response = await ward_client.post(
        "/v1/admissions", json=body, headers={**_clin(auth, ward), **key()}
    )
    assert response.status_code == 201
    assert response.json()["binding_status"] == "pending"
    caseload = await ward_client.get(f"/v1/wards/{ward['id']}/caseload", headers=_clin(auth, ward))
    assert caseload.status_code == 200
    assert caseload.json()["vitals_available"] is False
    assert caseload.json()["items"][0]["admission_id"] == response.json()["id"]


async def test_bad_input_has_specific_problems(ward_client, auth, make_ward, make_patient):
    clinician = auth(Role.clinician, wards=["*"])
    base = {
        "date_of_birth": "1950-01-01",
        "sex": "male",
        "ethnic_category": "A",
        "lsoa11cd": "E01012345",
        "own_device": False,
        "broadband": False,
        "housing_concern": True,
    }
    bad_nhs = await ward_client.post(
        "/v1/patients", json={**base, "nhs_number": "9434765918"}, headers=clinician
    )
    assert bad_nhs.status_code == 422 and bad_nhs.json()["type"].endswith("/invalid-nhs-number")
    bad_lsoa = await ward_client.post(
        "/v1/patients",
        json={**base, "nhs_number": nhs_number(), "lsoa11cd": "E01999999"},
        headers=clinician,
    )
    assert bad_lsoa.status_code == 422 and bad_lsoa.json()["type"].endswith("/unknown-lsoa")
    ward, patient = await make_ward(beds=1), await make_patient()
    wrong_pathway = await ward_client.post(
        "/v1/admissions",
        json=admit_body(patient, ward, pathway="heart_failure"),
        headers={**clinician, **key()},
    )
    assert wrong_pathway.status_code == 422
    assert wrong_pathway.json()["type"].endswith("/pathway-not-served")
    no_ward = await ward_client.post(
        "/v1/admissions",
        json={**admit_body(patient, ward), "ward_id": str(uuid.uuid4())},
        headers={**clinician, **key()},
    )
    assert no_ward.status_code == 404 and no_ward.json()["type"].endswith("/ward-not-found")


async def test_clinician_outside_ward_scope_gets_wrong_ward(
    ward_client, auth, make_ward, make_patient
):
    ward, other, patient = await make_ward(beds=1), await make_ward(beds=1), await make_patient()
    admitted = await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers={**_clin(auth, ward), **key()}
    )
    outsider = _clin(auth, other)
    for path in (
        f"/v1/admissions/{admitted.json()['id']}",
        f"/v1/patients/{patient['id']}",
        f"/v1/wards/{ward['id']}/caseload",
    ):
        response = await ward_client.get(path, headers=outsider)
        assert response.status_code == 403, path
        assert response.json()["type"].endswith("/wrong-ward")
    commissioner = auth(Role.commissioner, icbs=["*"])
    for path in (f"/v1/patients/{patient['id']}", f"/v1/admissions/{admitted.json()['id']}"):
        response = await ward_client.get(path, headers=commissioner)
        assert response.status_code == 403 and response.json()["type"].endswith("/wrong-role")
    own = await ward_client.get(f"/v1/patients/{patient['id']}", headers=_clin(auth, ward))
    assert own.status_code == 200 and own.json()["nhs_number"] == patient["nhs_number"]
