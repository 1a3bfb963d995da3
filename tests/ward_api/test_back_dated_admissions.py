"""Admissions recorded late (`admitted_at`): real lengths of stay, no overlapping stays, audit."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.engine import make_url

from shared.auth import Role
from tests.ward_api.conftest import admit_body, key

NOW = datetime.now(UTC)


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def _clin(auth, *wards: dict, subject: str = "dr-late") -> dict:
    return auth(Role.clinician, wards=[w["id"] for w in wards], subject=subject)


async def _admit(client, headers: dict, patient: dict, ward: dict, **extra):
    return await client.post(
        "/v1/admissions", json=admit_body(patient, ward, **extra), headers={**headers, **key()}
    )


async def _discharge(client, headers: dict, admission: dict, **extra):
    return await client.post(
        f"/v1/admissions/{admission['id']}/discharge",
        json={"outcome": "completed", **extra},
        headers=headers,
    )


def _type(response) -> str:
    return response.json()["type"].rsplit("/", 1)[-1]


async def test_back_dated_stay_has_its_real_length_and_is_audited(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward, patient = await make_ward(beds=1), await make_patient()
    headers = _clin(auth, ward)
    admitted_at = _ago(days=20)
    response = await _admit(ward_client, headers, patient, ward, admitted_at=admitted_at)
    assert response.status_code == 201, response.text
    admission = response.json()
    assert datetime.fromisoformat(admission["admitted_at"]) == datetime.fromisoformat(admitted_at)
    assert datetime.fromisoformat(admission["referred_at"]) == datetime.fromisoformat(admitted_at)
    recorded = datetime.fromisoformat(admission["recorded_at"])
    assert recorded - datetime.fromisoformat(admitted_at) > timedelta(days=19)
    assert admission["day_of_stay"] in (19, 20, 21)  # London dates either side of midnight
    assert admission["long_stay"] is True

    before = await _discharge(ward_client, headers, admission, discharged_at=_ago(days=21))
    assert before.status_code == 422 and _type(before) == "discharge-before-admission"
    done = await _discharge(ward_client, headers, admission, discharged_at=_ago(days=4))
    assert done.status_code == 200, done.text
    stay = done.json()["admission"]
    assert stay["length_of_stay_days"] in (15, 16, 17) and stay["long_stay"] is True

    log = await ward_client.get(
        "/v1/audit", params={"patient_id": patient["id"]}, headers=auth(Role.admin)
    )
    (admit,) = [e for e in log.json() if e["action"] == "admit"]
    assert admit["actor"] == "dr-late"
    assert admit["detail"]["late_entry"] is True
    assert admit["detail"]["late_by_minutes"] >= 20 * 24 * 60 - 1
    assert datetime.fromisoformat(admit["detail"]["admitted_at"]) == datetime.fromisoformat(
        admitted_at
    )


async def test_admitted_at_is_checked(ward_client, auth, make_ward, make_patient) -> None:
    ward, patient = await make_ward(beds=3), await make_patient()
    headers = _clin(auth, ward)
    cases = [
        ({"admitted_at": _ago(minutes=-30)}, 422, "admission-in-future"),
        ({"referred_at": _ago(days=-2)}, 422, "referral-in-future"),
        (
            {"admitted_at": _ago(days=3), "referred_at": _ago(days=2)},
            422,
            "admission-before-referral",
        ),
        ({"admitted_at": "2025-01-01T10:00:00"}, 422, "validation-error"),  # no time zone
    ]
    for extra, status, slug in cases:
        response = await _admit(ward_client, headers, patient, ward, **extra)
        assert (response.status_code, _type(response)) == (status, slug), (extra, response.text)
    # Within the 5 minutes of clock skew tolerated: taken as now.
    skewed = await _admit(ward_client, headers, patient, ward, admitted_at=_ago(minutes=-2))
    assert skewed.status_code == 201, skewed.text
    body = skewed.json()
    assert body["admitted_at"] == body["recorded_at"]
    assert datetime.fromisoformat(body["admitted_at"]) <= datetime.now(UTC)


async def test_back_dated_admission_never_overlaps_a_bed(
    ward_client, auth, make_ward, make_patient
) -> None:
    """One bed, held 10 → 5 days ago: nobody can be put in it from before 5 days ago."""
    ward = await make_ward(beds=1)
    first, second, third = [await make_patient() for _ in range(3)]
    headers = _clin(auth, ward)
    earlier = await _admit(ward_client, headers, first, ward, admitted_at=_ago(days=10))
    assert earlier.status_code == 201, earlier.text
    freed_at = _ago(days=5)
    done = await _discharge(ward_client, headers, earlier.json(), discharged_at=freed_at)
    assert done.status_code == 200, done.text

    overlap = await _admit(ward_client, headers, second, ward, admitted_at=_ago(days=7))
    assert overlap.status_code == 409 and _type(overlap) == "bed-not-free-since"
    problem = overlap.json()
    assert datetime.fromisoformat(problem["earliest_admitted_at"]) == datetime.fromisoformat(
        freed_at
    )
    handover = await _admit(ward_client, headers, second, ward, admitted_at=freed_at)
    assert handover.status_code == 201, handover.text
    assert handover.json()["bed_number"] == 1

    # Full now: wait-listed as any admission is, whatever its admission time.
    full = await _admit(ward_client, headers, third, ward, admitted_at=_ago(days=1))
    assert full.status_code == 409 and _type(full) == "ward-full"
    assert full.json()["waitlist_position"] == 1


async def test_back_dated_admission_takes_a_bed_free_since_then(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward = await make_ward(beds=2)
    first, second = await make_patient(), await make_patient()
    headers = _clin(auth, ward)
    earlier = await _admit(ward_client, headers, first, ward, admitted_at=_ago(days=10))
    await _discharge(ward_client, headers, earlier.json(), discharged_at=_ago(days=5))
    late = await _admit(ward_client, headers, second, ward, admitted_at=_ago(days=7))
    assert late.status_code == 201, late.text
    assert late.json()["bed_number"] == 2  # bed 1 held the first patient 7 days ago


async def test_a_patients_stays_never_overlap(ward_client, auth, make_ward, make_patient) -> None:
    ward_a, ward_b, patient = await make_ward(beds=1), await make_ward(beds=1), await make_patient()
    headers = _clin(auth, ward_a, ward_b)
    stay = await _admit(ward_client, headers, patient, ward_a, admitted_at=_ago(days=9))
    await _discharge(ward_client, headers, stay.json(), discharged_at=_ago(days=3))
    overlap = await _admit(ward_client, headers, patient, ward_b, admitted_at=_ago(days=4))
    assert overlap.status_code == 409 and _type(overlap) == "overlapping-stay"
    assert overlap.json()["admission_id"] == stay.json()["id"]
    after = await _admit(ward_client, headers, patient, ward_b, admitted_at=_ago(days=2))
    assert after.status_code == 201, after.text


async def test_aggregates_count_a_back_dated_stay_in_its_own_month(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward = await make_ward(beds=1, icb="E54000050")
    patient = await make_patient(date_of_birth="1931-05-05", sex="other")
    headers = _clin(auth, ward)
    admitted = await _admit(
        ward_client, headers, patient, ward, pathway="frailty", admitted_at="2025-03-10T10:00:00Z"
    )
    assert admitted.status_code == 201, admitted.text
    done = await _discharge(
        ward_client, headers, admitted.json(), discharged_at="2025-03-30T09:00:00+01:00"
    )
    assert done.json()["admission"]["length_of_stay_days"] == 20

    async def rows(start: str, end: str) -> list[dict]:
        response = await ward_client.get(
            "/v1/internal/aggregates/admissions",
            params={"from": start, "to": end},
            headers=auth(Role.service),
        )
        assert response.status_code == 200, response.text
        return [
            r
            for r in response.json()["rows"]
            if (r["icb_code"], r["sex"], r["age_band"]) == ("E54000050", "other", "90+")
        ]

    (row,) = await rows("2025-03-01", "2025-04-01")
    assert (row["month"], row["admissions"], row["los_days_sum"]) == ("2025-03", 1, 20)
    assert row["stays_over_14_days"] == 1
    assert await rows("2025-02-01", "2025-03-01") == []
    assert await rows(NOW.date().replace(day=1).isoformat(), "2030-01-01") == []


async def test_late_admission_binds_its_device_from_when_it_was_entered(
    database_url, ward_client, auth, make_ward, make_patient
) -> None:
    """Readings from before the entry cannot be known to be this patient's."""
    ward, patient = await make_ward(beds=1), await make_patient()
    headers = _clin(auth, ward)
    device = {"vendor_id": "acme", "device_id": f"dev-{uuid.uuid4().hex[:8]}"}
    admitted = await _admit(
        ward_client, headers, patient, ward, admitted_at=_ago(days=3), device=device
    )
    assert admitted.status_code == 201, admitted.text
    admission = admitted.json()
    await _discharge(ward_client, headers, admission, discharged_at=_ago(days=1))
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT kind, payload FROM ward.binding_command WHERE admission_id = $1 ORDER BY id",
            uuid.UUID(admission["id"]),
        )
    finally:
        await conn.close()
    payloads = {r["kind"]: json.loads(r["payload"]) for r in rows}
    recorded = datetime.fromisoformat(admission["recorded_at"])
    assert datetime.fromisoformat(payloads["bind"]["bound_at"]) == recorded
    assert datetime.fromisoformat(payloads["unbind"]["unbound_at"]) == recorded
