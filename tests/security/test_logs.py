"""Logs never carry patient identifiers or request bodies, on success or on failure."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import pytest

from shared.auth import Role
from tests.monitoring_ingest.helpers import post_signed
from tests.security.conftest import LSOA_A, World
from tests.ward_api.conftest import nhs_number

# Distinctive values that must appear in no log record, whatever its level or logger.
GIVEN, FAMILY = "Quillfeather", "Zebedee-Marchbanks"
NOTE = "resolution-text-7f3a"
READING_ID = "vendor-reading-9c2e"


# Clock and process numbers every record carries: "93.5" may well turn up in a duration.
_TIMING = ("msg", "args", "created", "msecs", "relativeCreated", "duration_ms", "thread",
           "process")  # fmt: skip


def _record_text(record: logging.LogRecord) -> str:
    """Everything a formatter could print: the message, its args and every extra but timings."""
    parts = [record.getMessage(), repr(record.args)]
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in _TIMING]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


async def test_logs_hold_no_patient_identifiers_or_bodies(
    clients, auth, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    ward_api, ingest = clients["ward_api"], clients["monitoring_ingest"]
    number = nhs_number()
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    clinician = auth(Role.clinician, wards=[world.ward_a])
    patient = {
        "nhs_number": spaced,
        "given_name": GIVEN,
        "family_name": FAMILY,
        "date_of_birth": "1937-11-05",
        "sex": "female",
        "ethnic_category": "A",
        "lsoa11cd": LSOA_A,
        "own_device": True,
        "broadband": True,
        "housing_concern": False,
    }
    with caplog.at_level(logging.INFO):
        created = await ward_api.post("/v1/patients", json=patient, headers=clinician)
        assert created.status_code == 201, created.text
        # Failures log too: a duplicate (409), a bad number (422) and a NUL (422 invalid-text).
        duplicate = await ward_api.post("/v1/patients", json=patient, headers=clinician)
        assert duplicate.status_code == 409
        bad = {**patient, "nhs_number": number[:-1] + str((int(number[-1]) + 1) % 10)}
        assert (await ward_api.post("/v1/patients", json=bad, headers=clinician)).status_code
        crash = {**patient, "nhs_number": nhs_number(), "given_name": GIVEN + "\x00"}
        await ward_api.post("/v1/patients", json=crash, headers=clinician)
        await ward_api.get(f"/v1/patients/{created.json()['id']}", headers=clinician)
        entered = await ingest.post(
            f"/v1/admissions/{world.admission_a}/readings",
            json={
                "readings": [
                    {
                        "code": "hr",
                        "value": 71.25,
                        "unit": "/min",
                        "at": datetime.now(UTC).isoformat(),
                    }
                ]
            },
            headers=clinician,
        )
        assert entered.status_code == 200, entered.text
        vendor = await post_signed(
            ingest,
            world.vendor,
            "/v1/readings/native",
            {
                "device_id": world.device_a,
                "readings": [
                    {
                        "id": READING_ID,
                        "code": "spo2",
                        "value": 93.5,
                        "unit": "%",
                        "at": datetime.now(UTC).isoformat(),
                    }
                ],
            },
        )
        assert vendor.status_code == 200, vendor.text
        alert_id = str(uuid.uuid4())
        await ward_api.post(
            "/v1/internal/alerts",
            json={
                "alert_id": alert_id,
                "admission_id": world.admission_a,
                "ward_id": world.ward_a,
                "kind": "threshold_breach",
                "detail": "hr",
                "raised_at": datetime.now(UTC).isoformat(),
            },
            headers=auth(Role.service),
        )
        resolved = await ward_api.post(
            f"/v1/alerts/{alert_id}/resolve", json={"resolution": NOTE}, headers=clinician
        )
        assert resolved.status_code == 200, resolved.text

    loggers = {r.name for r in caplog.records}
    assert {"vward.ward_api.access", "vward.monitoring_ingest.access"} <= loggers, loggers
    secrets = [
        number,
        spaced,
        bad["nhs_number"],
        crash["nhs_number"],
        GIVEN,
        FAMILY,
        NOTE,
        READING_ID,
        "1937-11-05",
        "71.25",
        "93.5",
    ]
    for record in caplog.records:
        text = _record_text(record)
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{record.name} logged {leaked}: {text[:500]}"
