"""vward native JSON batch: the compact format for vendors without FHIR (the hot path).

    {
      "device_id": "OXI-00042",                 # vendor's device serial (required)
      "provenance": "device",                   # optional batch default
      "readings": [
        {"id": "r-1", "code": "spo2", "value": 94, "unit": "%",
         "at": "2026-11-23T10:00:00+00:00"},
        {"code": "acvpu", "value": "A", "at": "2026-11-23T10:00:00+00:00"},
        {"code": "on_oxygen", "value": false, "at": "2026-11-23T10:00:00+00:00"}
      ]
    }

Each reading may also override `device_id` and `provenance`. `code` is a short name from
CODE_BY_NAME or a canonical code; `unit` is UCUM and required for numeric measures; `at`
is ISO 8601 with a UTC offset. Items are plain dicts: no per-item models, for throughput.

`status` revises the reading stored earlier under the same `id`, as FHIR's status does:
`amended`/`corrected` supersede it with this value (kept, linked, re-scored) and
`entered-in-error` withdraws it from scores and latest vitals (kept for audit); the default
`final` is a first report. Re-using an `id` for a different reading without a status is a
conflict, not a duplicate.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from services.monitoring_ingest.domain.canonical import (
    CATEGORICAL_CODES,
    MEASURE_BY_CODE,
    REVISION_BY_STATUS,
    Code,
    Provenance,
    Revision,
)
from services.monitoring_ingest.domain.normalise import Normaliser, parse_timestamp
from services.monitoring_ingest.domain.outcomes import (
    ItemOutcome,
    MalformedPayload,
    Refusal,
    RefusalReason,
    check_item_count,
)
from shared.text import unstorable

from ._payload import load_json

__all__ = ["CODE_BY_NAME", "parse"]

CODE_BY_NAME: dict[str, str] = {
    "hr": Code.HEART_RATE,
    "heart_rate": Code.HEART_RATE,
    "rr": Code.RESPIRATORY_RATE,
    "respiratory_rate": Code.RESPIRATORY_RATE,
    "spo2": Code.SPO2_PULSE_OXIMETRY,  # remote-monitoring SpO2 comes from pulse oximeters
    "temp": Code.BODY_TEMPERATURE,
    "temperature": Code.BODY_TEMPERATURE,
    "sbp": Code.SYSTOLIC_BP,
    "systolic": Code.SYSTOLIC_BP,
    "dbp": Code.DIASTOLIC_BP,
    "diastolic": Code.DIASTOLIC_BP,
    "weight": Code.BODY_WEIGHT,
    "o2_flow": Code.INHALED_O2_FLOW,
    "fio2": Code.INHALED_O2_CONCENTRATION,
    "acvpu": Code.CONSCIOUSNESS,
    "on_oxygen": Code.SUPPLEMENTAL_OXYGEN,
    **{code: code for code in MEASURE_BY_CODE},
}

_PROVENANCE: dict[str, Provenance] = {p.value: p for p in Provenance}
_MISSING = RefusalReason.MISSING_FIELD


def parse(
    payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
) -> list[ItemOutcome]:
    """Parse a native batch into one outcome per reading, in order."""
    batch = load_json(payload)
    if not isinstance(batch, dict):
        raise MalformedPayload("native batch must be a JSON object")
    readings = batch.get("readings")
    if not isinstance(readings, list):
        raise MalformedPayload("native batch needs a 'readings' array")
    check_item_count(len(readings), max_items)
    batch_provenance = _provenance(batch.get("provenance", "device"))
    if batch_provenance is None:
        raise MalformedPayload(f"unknown batch provenance {batch.get('provenance')!r}")
    batch_device = batch.get("device_id")
    n = normaliser or Normaliser()
    return [
        _reading(index, raw, batch_device, batch_provenance, n)
        for index, raw in enumerate(readings)
    ]


def _reading(
    index: int, raw: object, batch_device: object, batch_provenance: Provenance, n: Normaliser
) -> ItemOutcome:
    """One native reading, or the first rule it breaks."""
    pointer = f"/readings/{index}"
    if not isinstance(raw, dict):
        return Refusal(index, pointer, RefusalReason.MALFORMED, "reading is not an object")
    device_id = _device_id(index, pointer, raw, batch_device)
    if isinstance(device_id, Refusal):
        return device_id
    name = raw.get("code")
    code = CODE_BY_NAME.get(name) if isinstance(name, str) else None
    if code is None:
        return Refusal(index, pointer, RefusalReason.UNKNOWN_CODE, f"unknown code {name!r}")
    if "at" not in raw:
        return Refusal(index, pointer, _MISSING, "'at' is required")
    observed_at = parse_timestamp(raw["at"])
    if isinstance(observed_at, tuple):
        return Refusal(index, pointer, *observed_at)
    if "value" not in raw:
        return Refusal(index, pointer, _MISSING, "value is required")
    provenance = _item_provenance(index, pointer, raw, batch_provenance)
    if isinstance(provenance, Refusal):
        return provenance
    vendor_id = _vendor_id(index, pointer, raw)
    if isinstance(vendor_id, Refusal):
        return vendor_id
    revision = _revision(index, pointer, raw, vendor_id)
    if isinstance(revision, Refusal):
        return revision
    outcome = _judge(index, pointer, raw, code, device_id, observed_at, provenance, vendor_id, n)
    if revision is not Revision.ORIGINAL and not isinstance(outcome, Refusal):
        return replace(outcome, revision=revision)
    return outcome


def _device_id(
    index: int, pointer: str, raw: dict[str, Any], batch_device: object
) -> str | Refusal:
    """The reading's device (its own, else the batch's), or why it has none we can store."""
    device_id = raw.get("device_id", batch_device)
    if not isinstance(device_id, str) or not device_id:
        return Refusal(index, pointer, _MISSING, "device_id is required")
    why = unstorable(device_id)
    if why is not None:
        where = f"{pointer}/device_id" if "device_id" in raw else "/device_id"
        return Refusal(index, where, RefusalReason.INVALID_VALUE, f"device_id {why}")
    return device_id


def _item_provenance(
    index: int, pointer: str, raw: dict[str, Any], batch_provenance: Provenance
) -> Provenance | Refusal:
    """The reading's provenance (its own, else the batch's), or the refusal of an unknown one."""
    if "provenance" not in raw:
        return batch_provenance
    item_provenance = _provenance(raw["provenance"])
    if item_provenance is None:
        detail = f"unknown provenance {raw['provenance']!r}"
        return Refusal(index, pointer, RefusalReason.INVALID_VALUE, detail)
    return item_provenance


def _vendor_id(index: int, pointer: str, raw: dict[str, Any]) -> str | Refusal | None:
    """The vendor's reading id as text, or the refusal of one we cannot store."""
    vendor_id = raw.get("id")
    if vendor_id is not None and not isinstance(vendor_id, str):
        vendor_id = str(vendor_id)
    why = unstorable(vendor_id) if vendor_id is not None else None
    if why is not None:
        return Refusal(index, f"{pointer}/id", RefusalReason.INVALID_VALUE, f"id {why}")
    return vendor_id


def _revision(
    index: int, pointer: str, raw: dict[str, Any], vendor_id: str | None
) -> Revision | Refusal:
    """What the reading's status says it does to an earlier one, or why it cannot."""
    if "status" not in raw:
        return Revision.ORIGINAL
    found = REVISION_BY_STATUS.get(raw["status"]) if isinstance(raw["status"], str) else None
    if found is None:
        detail = f"status {raw['status']!r} is not one of {sorted(REVISION_BY_STATUS)}"
        return Refusal(index, f"{pointer}/status", RefusalReason.BAD_STATUS, detail)
    if found is not Revision.ORIGINAL and vendor_id is None:
        detail = f"status {raw['status']!r} needs the id of the reading it revises"
        return Refusal(index, f"{pointer}/id", _MISSING, detail)
    return found


def _judge(
    index: int,
    pointer: str,
    raw: dict[str, Any],
    code: str,
    device_id: str,
    observed_at: datetime,
    provenance: Provenance,
    vendor_id: str | None,
    n: Normaliser,
) -> ItemOutcome:
    if code in CATEGORICAL_CODES:
        return n.categorical(
            index,
            pointer,
            device_id=device_id,
            code=code,
            value=raw["value"],
            observed_at=observed_at,
            provenance=provenance,
            vendor_reading_id=vendor_id,
        )
    return n.quantity(
        index,
        pointer,
        device_id=device_id,
        code=code,
        value=raw["value"],
        unit=raw.get("unit"),
        observed_at=observed_at,
        provenance=provenance,
        vendor_reading_id=vendor_id,
    )


def _provenance(value: object) -> Provenance | None:
    return _PROVENANCE.get(value) if isinstance(value, str) else None
