"""Answers never reveal another ward's records (issue #9 §4): problems raised while registering,
referring or admitting name only objects in the caller's scope, and one person has one record
however their NHS number's digits are written."""

from __future__ import annotations

import sys
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.engine import make_url

from shared.auth import Role
from tests.ward_api.conftest import LSOA, admit_body, key, nhs_number


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def _clin(auth, *wards: dict, subject: str = "dr-disclose") -> dict:
    return auth(Role.clinician, wards=[w["id"] for w in wards], subject=subject)


async def _admit(client, headers: dict, patient: dict, ward: dict, **extra):
    return await client.post(
        "/v1/admissions", json=admit_body(patient, ward, **extra), headers={**headers, **key()}
    )


def _type(response) -> str:
    return response.json()["type"].rsplit("/", 1)[-1]


def _reveals_none_of(response, ward: dict, *admissions: dict) -> None:
    """Neither the foreign ward nor any of its admissions is named, dated or counted."""
    body = response.json()
    text = response.text
    secrets = [ward["id"], ward["name"]] + [a["id"] for a in admissions]
    for admission in admissions:
        for field in ("admitted_at", "discharged_at", "referred_at"):
            if admission.get(field):
                secrets.append(admission[field][:16])  # the minute, in any offset spelling
                moment = datetime.fromisoformat(admission[field])
                secrets.append(moment.astimezone(UTC).isoformat()[:16])
    assert not [s for s in secrets if s in text], text
    assert not {"admission_id", "ward_id", "discharged_at", "admitted_at", "bed_number"} & set(
        body
    ), body


async def test_already_admitted_on_another_ward_names_no_foreign_identifiers(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward_a, ward_b, patient = await make_ward(), await make_ward(), await make_patient()
    stay = await _admit(ward_client, _clin(auth, ward_a), patient, ward_a)
    assert stay.status_code == 201, stay.text

    refused = await _admit(ward_client, _clin(auth, ward_b), patient, ward_b)
    assert refused.status_code == 409 and _type(refused) == "already-admitted"
    assert "another" in refused.json()["detail"]
    _reveals_none_of(refused, ward_a, stay.json())

    # A caller who may see the ward the patient is on is told which admission it is.
    both = await _admit(ward_client, _clin(auth, ward_a, ward_b), patient, ward_b)
    assert both.status_code == 409 and _type(both) == "already-admitted"
    assert both.json()["admission_id"] == stay.json()["id"]
    assert both.json()["ward_id"] == ward_a["id"]


async def test_overlapping_stay_on_another_ward_names_no_foreign_identifiers(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward_a, ward_b, patient = await make_ward(), await make_ward(), await make_patient()
    headers_a = _clin(auth, ward_a)
    stay = await _admit(ward_client, headers_a, patient, ward_a, admitted_at=_ago(days=9))
    assert stay.status_code == 201, stay.text
    done = await ward_client.post(
        f"/v1/admissions/{stay.json()['id']}/discharge",
        json={"outcome": "completed", "discharged_at": _ago(days=3)},
        headers=headers_a,
    )
    assert done.status_code == 200, done.text
    ended = done.json()["admission"]

    overlap = await _admit(
        ward_client, _clin(auth, ward_b), patient, ward_b, admitted_at=_ago(days=4)
    )
    assert overlap.status_code == 409 and _type(overlap) == "overlapping-stay"
    _reveals_none_of(overlap, ward_a, ended)


async def test_patient_exists_gives_no_id_of_a_patient_on_another_ward(
    ward_client, auth, make_ward, make_patient
) -> None:
    ward_a, ward_b = await make_ward(), await make_ward()
    patient = await make_patient()
    body = {k: v for k, v in patient.items() if k != "id"}

    # Registered but on no ward yet: whoever holds the NHS number may refer them, so is told the id.
    unplaced = await ward_client.post("/v1/patients", json=body, headers=_clin(auth, ward_b))
    assert unplaced.status_code == 409 and _type(unplaced) == "patient-exists"
    assert unplaced.json()["patient_id"] == patient["id"]

    stay = await _admit(ward_client, _clin(auth, ward_a), patient, ward_a)
    assert stay.status_code == 201, stay.text

    foreign = await ward_client.post("/v1/patients", json=body, headers=_clin(auth, ward_b))
    assert foreign.status_code == 409 and _type(foreign) == "patient-exists"
    assert "patient_id" not in foreign.json() and patient["id"] not in foreign.text
    _reveals_none_of(foreign, ward_a, stay.json())

    own = await ward_client.post("/v1/patients", json=body, headers=_clin(auth, ward_a))
    assert own.status_code == 409 and own.json()["patient_id"] == patient["id"]


def _patient_body(number: str) -> dict:
    return {
        "nhs_number": number,
        "date_of_birth": "1948-03-02",
        "sex": "female",
        "ethnic_category": "A",
        "lsoa11cd": LSOA,
        "own_device": True,
        "broadband": True,
        "housing_concern": False,
    }


# Each script's decimal digits 0-9 (Unicode keeps them contiguous from the zero), bar ASCII.
_SCRIPT_ZEROS = [
    chr(code)
    for code in range(0x80, sys.maxunicode + 1)
    if unicodedata.category(chr(code)) == "Nd" and unicodedata.digit(chr(code)) == 0
]
_SUPERSCRIPTS = {"0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3"} | {
    str(d): chr(0x2070 + d) for d in range(4, 10)
}


def _respell(number: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) for d in number)


async def test_one_person_one_record_whatever_script_their_digits_are_in(
    ward_client, auth, make_ward, database_url
) -> None:
    assert len(_SCRIPT_ZEROS) > 50  # fullwidth, Arabic-Indic, Devanagari, Bengali, ...
    ward = await make_ward()
    headers = _clin(auth, ward)
    number = nhs_number()
    first = await ward_client.post("/v1/patients", json=_patient_body(number), headers=headers)
    assert first.status_code == 201, first.text

    spellings = [_respell(number, zero) for zero in _SCRIPT_ZEROS]
    spellings.append("".join(_SUPERSCRIPTS[d] for d in number))
    spellings.append(number[:9] + _SUPERSCRIPTS[number[9]])
    spellings.append(f"{number[:3]}\u00a0{number[3:6]}\u00a0{number[6:]}")  # no-break spaces
    spellings.append("\u3000" + number)  # ideographic space
    for raw in spellings:
        response = await ward_client.post("/v1/patients", json=_patient_body(raw), headers=headers)
        assert response.status_code == 422, (raw, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert _type(response) == "invalid-nhs-number"
        assert response.json()["reason"] == "not_ascii_digits"

    spaced = f" {number[:3]} {number[3:6]} {number[6:]} "
    again = await ward_client.post("/v1/patients", json=_patient_body(spaced), headers=headers)
    assert again.status_code == 409 and _type(again) == "patient-exists"

    url = make_url(database_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        stored = await connection.fetch(
            "SELECT nhs_number FROM ward.patient WHERE id = $1", uuid.UUID(first.json()["id"])
        )
        non_ascii = await connection.fetchval(
            "SELECT count(*) FROM ward.patient WHERE nhs_number !~ '^[0-9]{10}$'"
        )
    finally:
        await connection.close()
    assert [r["nhs_number"] for r in stored] == [number] and non_ascii == 0
