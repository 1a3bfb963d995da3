"""The native and CSV formats offer FHIR's supersede/withdraw verbs through `status`."""

from __future__ import annotations

import pytest

from services.monitoring_ingest.domain.adapters import csv_upload, native
from services.monitoring_ingest.domain.canonical import CanonicalReading, Revision
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import Refusal, RefusalReason

AT = "2026-11-23T11:50:00+00:00"
STATUSES = [
    (None, Revision.ORIGINAL),
    ("final", Revision.ORIGINAL),
    ("amended", Revision.CORRECTION),
    ("corrected", Revision.CORRECTION),
    ("entered-in-error", Revision.WITHDRAWAL),
]


def native_batch(**fields: object) -> dict:
    reading = {"id": "r-1", "code": "hr", "value": 80, "unit": "/min", "at": AT, **fields}
    return {"device_id": "OXI-1", "readings": [{k: v for k, v in reading.items() if v is not None}]}


@pytest.mark.parametrize(("status", "revision"), STATUSES)
def test_native_status(normaliser: Normaliser, status: str | None, revision: Revision) -> None:
    [reading] = native.parse(native_batch(status=status), normaliser=normaliser)
    assert isinstance(reading, CanonicalReading) and reading.revision is revision
    [original] = native.parse(native_batch(), normaliser=normaliser)
    assert reading.original_key() == original.reading_key()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "reason", "pointer"),
    [
        ({"status": "preliminary"}, RefusalReason.BAD_STATUS, "/readings/0/status"),
        ({"status": 3}, RefusalReason.BAD_STATUS, "/readings/0/status"),
        ({"status": "amended", "id": None}, RefusalReason.MISSING_FIELD, "/readings/0/id"),
    ],
)
def test_native_status_refusals(
    normaliser: Normaliser, fields: dict, reason: RefusalReason, pointer: str
) -> None:
    [refused] = native.parse(native_batch(**fields), normaliser=normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (reason, pointer)


@pytest.mark.parametrize(("status", "revision"), STATUSES)
def test_csv_status(normaliser: Normaliser, status: str | None, revision: Revision) -> None:
    text = (
        "device_id,reading_id,code,value,unit,observed_at,provenance,status\n"
        f"OXI-1,r-1,hr,80,/min,{AT},,{status or ''}\n"
    )
    [reading] = csv_upload.parse(text, normaliser=normaliser)
    assert isinstance(reading, CanonicalReading) and reading.revision is revision


def test_csv_status_needs_reading_id(normaliser: Normaliser) -> None:
    text = (
        "device_id,reading_id,code,value,unit,observed_at,provenance,status\n"
        f"OXI-1,,hr,80,/min,{AT},,entered-in-error\n"
    )
    [refused] = csv_upload.parse(text, normaliser=normaliser)
    assert isinstance(refused, Refusal) and refused.reason is RefusalReason.MISSING_FIELD
