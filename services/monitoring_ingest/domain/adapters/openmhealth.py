"""Open mHealth data points (header + body) for the omh vital-sign schemas.

Units are the schemas' own enums ("beats/min", "mmHg", "C"/"F"/"K", "kg"/"g"/"lb" ...),
mapped to UCUM here. Open mHealth has no device serial of its own, so the vendor must put
one in `header.acquisition_provenance.device_id`; a point without it is refused. Its
`source_name` is the app's name, shared by every patient on the app, so it is never a device.
"""

from __future__ import annotations

from typing import Any

from services.monitoring_ingest.domain.canonical import Code, Provenance
from services.monitoring_ingest.domain.normalise import (
    Normaliser,
    parse_timestamp,
    refuse_inverted_blood_pressure,
)
from services.monitoring_ingest.domain.outcomes import (
    ItemOutcome,
    MalformedPayload,
    Refusal,
    RefusalReason,
    check_item_count,
)

from ._payload import load_json

__all__ = ["SCHEMAS", "parse"]

# schema name -> (body property, canonical code, required?)
SCHEMAS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "heart-rate": (("heart_rate", Code.HEART_RATE, True),),
    "respiratory-rate": (("respiratory_rate", Code.RESPIRATORY_RATE, True),),
    "oxygen-saturation": (
        ("oxygen_saturation", Code.SPO2_PULSE_OXIMETRY, True),
        ("supplemental_oxygen_flow_rate", Code.INHALED_O2_FLOW, False),  # 0 L/min: room air
    ),
    "body-temperature": (("body_temperature", Code.BODY_TEMPERATURE, True),),
    "body-weight": (("body_weight", Code.BODY_WEIGHT, True),),
    "blood-pressure": (
        ("systolic_blood_pressure", Code.SYSTOLIC_BP, True),
        ("diastolic_blood_pressure", Code.DIASTOLIC_BP, True),
    ),
}

_UCUM_BY_OMH_UNIT = {
    "beats/min": "/min",
    "breaths/min": "/min",
    "%": "%",
    "mmHg": "mm[Hg]",
    "C": "Cel",
    "F": "[degF]",
    "K": "K",
    "kg": "kg",
    "g": "g",
    "lb": "[lb_av]",
    "L/min": "L/min",
}
_PROVENANCE_BY_MODALITY = {"sensed": Provenance.DEVICE, "self-reported": Provenance.SELF_REPORTED}


def parse(
    payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
) -> list[ItemOutcome]:
    """Parse one data point or an array of them into outcomes, point by point."""
    decoded = load_json(payload)
    if isinstance(decoded, dict):
        points, pointers = [decoded], [""]
    elif isinstance(decoded, list):
        points, pointers = decoded, [f"/{i}" for i in range(len(decoded))]
    else:
        raise MalformedPayload("Open mHealth payload must be a data point or an array of them")
    check_item_count(len(points), max_items)
    n = normaliser or Normaliser()
    outcomes: list[ItemOutcome] = []
    for index, (point, pointer) in enumerate(zip(points, pointers, strict=True)):
        outcomes.extend(_data_point(point, index, pointer, n))
    return outcomes


def _data_point(point: object, item: int, pointer: str, n: Normaliser) -> list[ItemOutcome]:
    """The readings of one Open mHealth data point, or the refusal of it."""
    if not isinstance(point, dict):
        return [Refusal(item, pointer, RefusalReason.MALFORMED, "data point is not an object")]
    header, body = point.get("header"), point.get("body")
    if not isinstance(header, dict) or not isinstance(body, dict):
        detail = "data point needs a header and a body"
        return [Refusal(item, pointer, RefusalReason.MISSING_FIELD, detail)]
    source = _source(header, item, pointer)
    if isinstance(source, Refusal):
        return [source]
    schema_name, device_id, provenance = source
    effective = _effective_time(body.get("effective_time_frame"))
    if effective is None:
        detail = "effective_time_frame date_time or time_interval is required"
        return [Refusal(item, pointer + "/body", RefusalReason.MISSING_FIELD, detail)]
    observed_at = parse_timestamp(effective)
    if isinstance(observed_at, tuple):
        reason, detail = observed_at
        return [Refusal(item, pointer + "/body/effective_time_frame", reason, detail)]
    header_id = header.get("id") if isinstance(header.get("id"), str) else None
    properties = SCHEMAS[schema_name]
    outcomes: list[ItemOutcome] = []
    for name, code, required in properties:
        where = f"{pointer}/body/{name}"
        checked = _unit_value(item, where, name, required, body.get(name))
        if checked is None:
            continue
        if isinstance(checked, Refusal):
            outcomes.append(checked)
            continue
        value, ucum = checked
        # One data point may yield two readings; each needs its own stable id.
        vendor_id = header_id
        if header_id is not None and len(properties) > 1:
            vendor_id = f"{header_id}#{code}"
        outcomes.append(
            n.quantity(
                item,
                where,
                device_id=device_id,
                code=code,
                value=value,
                unit=ucum,
                observed_at=observed_at,
                provenance=provenance,
                vendor_reading_id=vendor_id,
            )
        )
    if schema_name == "blood-pressure" and len(outcomes) == 2:
        outcomes = list(refuse_inverted_blood_pressure(outcomes[0], outcomes[1], item, pointer))
    return outcomes


def _source(
    header: dict[str, Any], item: int, pointer: str
) -> tuple[str, str, Provenance] | Refusal:
    """The header's schema name, device serial and provenance, or the first one missing."""
    schema = header.get("schema_id")
    if not isinstance(schema, dict):
        detail = "header.schema_id is required"
        return Refusal(item, pointer + "/header", RefusalReason.MISSING_FIELD, detail)
    if schema.get("namespace") != "omh" or schema.get("name") not in SCHEMAS:
        detail = f"unsupported schema {schema.get('namespace')}:{schema.get('name')}"
        return Refusal(item, pointer + "/header/schema_id", RefusalReason.UNKNOWN_CODE, detail)
    provenance_block = header.get("acquisition_provenance")
    provenance_block = provenance_block if isinstance(provenance_block, dict) else {}
    device_id = provenance_block.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        detail = "acquisition_provenance.device_id (the device serial) is required"
        where = pointer + "/header/acquisition_provenance/device_id"
        return Refusal(item, where, RefusalReason.MISSING_FIELD, detail)
    provenance = _PROVENANCE_BY_MODALITY.get(provenance_block.get("modality", "sensed"))
    if provenance is None:
        detail = f"unknown modality {provenance_block.get('modality')!r}"
        where = pointer + "/header/acquisition_provenance"
        return Refusal(item, where, RefusalReason.INVALID_VALUE, detail)
    return schema["name"], device_id, provenance


def _unit_value(
    item: int, where: str, name: str, required: bool, unit_value: object
) -> tuple[object, str] | Refusal | None:
    """A body property's value and UCUM unit, its refusal, or None if optional and absent."""
    if unit_value is None:
        if required:
            return Refusal(item, where, RefusalReason.MISSING_FIELD, f"{name} is required")
        return None
    if not isinstance(unit_value, dict):
        return Refusal(item, where, RefusalReason.MALFORMED, f"{name} is not a unit value")
    unit = unit_value.get("unit")
    ucum = _UCUM_BY_OMH_UNIT.get(unit) if isinstance(unit, str) else None
    if ucum is None:
        detail = f"unit {unit!r} is not an Open mHealth unit for {name}"
        return Refusal(item, where, RefusalReason.UNKNOWN_UNIT, detail)
    return unit_value.get("value"), ucum


def _effective_time(time_frame: object) -> object:
    if not isinstance(time_frame, dict):
        return None
    if "date_time" in time_frame:
        return time_frame["date_time"]
    interval = time_frame.get("time_interval")
    if isinstance(interval, dict):
        # A value summarising an interval is known at its end.
        return interval.get("end_date_time") or interval.get("start_date_time")
    return None
