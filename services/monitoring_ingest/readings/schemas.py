"""Reading, quarantine and ingest-report bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_serializer


class ReadingOut(BaseModel):
    key: str
    admission_id: uuid.UUID
    device_id: str
    code: str
    value: float
    unit: str
    code_value: str | None
    observed_at: datetime
    received_at: datetime
    provenance: str
    vendor_reading_id: str | None
    entered_by: str | None
    supersedes: str | None
    withdrawn: bool = False

    @classmethod
    def of(cls, reading: Any) -> ReadingOut:
        return cls(
            key=reading.reading_key.hex(),
            admission_id=reading.admission_id,
            device_id=reading.device_id,
            code=reading.code,
            value=reading.value,
            unit=reading.unit,
            code_value=reading.code_value,
            observed_at=reading.observed_at,
            received_at=reading.received_at,
            provenance=reading.provenance,
            vendor_reading_id=reading.vendor_reading_id,
            entered_by=reading.entered_by,
            supersedes=reading.supersedes.hex() if reading.supersedes else None,
            withdrawn=bool(getattr(reading, "withdrawn", False)),
        )


class QuarantineOut(BaseModel):
    id: uuid.UUID
    key: bytes
    reason: str
    vendor_id: uuid.UUID
    device_id: str
    ward_hint: uuid.UUID | None
    code: str
    value: float
    unit: str
    code_value: str | None
    observed_at: datetime
    received_at: datetime
    resolved_at: datetime | None
    resolved_admission_id: uuid.UUID | None
    resolved_by: str | None

    @field_serializer("key")
    def _hex(self, key: bytes) -> str:
        return key.hex()

    @classmethod
    def of(cls, entry: Any) -> QuarantineOut:
        data = {name: getattr(entry, name, None) for name in cls.model_fields if name != "key"}
        return cls(key=entry.reading_key, **data)


class AttributeIn(BaseModel):
    admission_id: uuid.UUID


class AttributeOut(BaseModel):
    quarantine: QuarantineOut
    outcome: str  # stored | duplicate | already_attributed


class IngestItem(BaseModel):
    index: int
    status: str
    key: str | None = None
    id: str | None = None
    item: int | None = None
    pointer: str | None = None
    reason: str | None = None
    detail: str | None = None
    supersedes: str | None = None  # the key of the reading a correction or withdrawal revises


class IngestReportOut(BaseModel):
    """Per-item outcomes (stored, duplicate, conflict, quarantined, withdrawn, refused), counted."""

    counts: dict[str, int]
    alerts: list[uuid.UUID]
    items: list[IngestItem]
