"""Rounds of vitals as each vendor sends them: native JSON, a FHIR R4 Bundle, Open mHealth.

A vendor's cloud forwards many devices' readings in one request (each reading names its
device), as integrations between vendor platforms and providers usually do. Every reading
carries a stable vendor id built from the device serial and the round, so a batch the vendor
sends again is recognised as duplicates, exactly as a real retry would be. An `artifact`
round carries a slipped-probe SpO2 of 0 %, which monitoring_ingest refuses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vward.demo.physiology import Vitals

__all__ = [
    "FORMATS",
    "Devices",
    "Observed",
    "build",
    "fhir_bundle",
    "native_batch",
    "openmhealth_points",
]

FORMATS = ("native", "fhir", "openmhealth")
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
_ACVPU_SNOMED = {"A": "248234008", "C": "130987000", "V": "300202002", "P": "450847001"}
_NAMESPACE = uuid.UUID("6f1d52c4-3b0e-4c8e-9a57-0d7d1d6b7a10")


@dataclass(frozen=True, slots=True)
class Observed:
    """One round's vitals as a device took them."""

    round: int
    at: datetime
    vitals: Vitals
    artifact: bool = False

    @property
    def spo2(self) -> int:
        return 0 if self.artifact else self.vitals.spo2


def _rid(device_id: str, observed: Observed, code: str) -> str:
    return f"{device_id}-r{observed.round}-{code}"


Devices = list[tuple[str, list[Observed]]]  # (device serial, its rounds to send)


def native_batch(devices: Devices) -> dict[str, Any]:
    """vward native JSON: hubs with oximeter, cuff and thermometer plus a carer's ACVPU."""
    readings = [
        r for device_id, rounds in devices for o in rounds for r in _native_round(device_id, o)
    ]
    return {"provenance": "device", "readings": readings}


def _native_round(device_id: str, o: Observed) -> list[dict[str, Any]]:
    at, v = o.at.isoformat(), o.vitals

    def item(code: str, value: object, unit: str | None = None, **extra: str) -> dict[str, Any]:
        reading = {
            "id": _rid(device_id, o, code),
            "device_id": device_id,
            "code": code,
            "value": value,
            "at": at,
        }
        return reading | ({"unit": unit} if unit is not None else {}) | extra

    return [
        item("rr", v.respiratory_rate, "/min"),
        item("spo2", o.spo2, "%"),
        item("on_oxygen", v.on_oxygen),
        item("sbp", v.systolic_bp, "mm[Hg]"),
        item("dbp", v.diastolic_bp, "mm[Hg]"),
        item("hr", v.heart_rate, "/min"),
        item("temp", v.temperature, "Cel"),
        item("acvpu", v.acvpu, provenance="self_reported"),
    ]


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _coded(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _uuid(device_id: str, observed: Observed, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, _rid(device_id, observed, key))


def fhir_bundle(devices: Devices) -> dict[str, Any]:
    """A FHIR R4 collection Bundle of vital-signs Observations (LOINC; SNOMED for NEWS2 extras)."""
    entries = [
        e for device_id, rounds in devices for o in rounds for e in _fhir_round(device_id, o)
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _fhir_round(device_id: str, o: Observed) -> list[dict[str, Any]]:
    v = o.vitals
    category = _coded(
        "http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs"
    )

    def observation(key: str, code: dict[str, Any], **value: Any) -> dict[str, Any]:
        resource = {
            "resourceType": "Observation",
            "identifier": [{"system": "urn:vward-demo:reading", "value": _rid(device_id, o, key)}],
            "status": "final",
            "category": [category],
            "code": code,
            "effectiveDateTime": o.at.isoformat(),
            "device": {"identifier": {"value": device_id}, "display": "Home monitoring hub"},
            **value,
        }
        return {"fullUrl": f"urn:uuid:{_uuid(device_id, o, key)}", "resource": resource}

    spo2: dict[str, Any] = {"valueQuantity": _quantity(o.spo2, "%")}
    if v.on_oxygen:
        spo2["component"] = [
            {
                "code": _coded(LOINC, "3151-8", "Inhaled oxygen flow rate"),
                "valueQuantity": _quantity(v.oxygen_flow, "L/min"),
            }
        ]
    air = ("371825009", "Patient on oxygen") if v.on_oxygen else ("722742002", "Room air")
    acvpu = _coded(SNOMED, _ACVPU_SNOMED.get(v.acvpu, "130987000"), v.acvpu)
    blood_pressure = [
        {"code": _coded(LOINC, "8480-6", "Systolic"),
         "valueQuantity": _quantity(v.systolic_bp, "mm[Hg]")},
        {"code": _coded(LOINC, "8462-4", "Diastolic"),
         "valueQuantity": _quantity(v.diastolic_bp, "mm[Hg]")},
    ]  # fmt: skip
    return [
        observation("rr", _coded(LOINC, "9279-1", "Respiratory rate"),
                    valueQuantity=_quantity(v.respiratory_rate, "/min")),
        observation("spo2", _coded(LOINC, "59408-5", "SpO2 by pulse oximetry"), **spo2),
        observation("air", _coded(SNOMED, *air)),
        observation("bp", _coded(LOINC, "85354-9", "Blood pressure panel"),
                    component=blood_pressure),
        observation("hr", _coded(LOINC, "8867-4", "Heart rate"),
                    valueQuantity=_quantity(v.heart_rate, "/min")),
        observation("temp", _coded(LOINC, "8310-5", "Body temperature"),
                    valueQuantity=_quantity(v.temperature, "Cel")),
        observation("acvpu", _coded(SNOMED, "1104441000000107", "ACVPU scale score"),
                    valueCodeableConcept=acvpu),
    ]  # fmt: skip


def openmhealth_points(devices: Devices) -> list[dict[str, Any]]:
    """Open mHealth data points from a phone app; consciousness is not in its schemas."""
    return [p for device_id, rounds in devices for o in rounds for p in _omh_round(device_id, o)]


def _omh_round(device_id: str, o: Observed) -> list[dict[str, Any]]:
    v, at = o.vitals, o.at.isoformat()

    def point(schema: str, modality: str, **body: Any) -> dict[str, Any]:
        header = {
            "id": str(_uuid(device_id, o, schema)),
            "creation_date_time": at,
            "schema_id": {"namespace": "omh", "name": schema, "version": "2.0"},
            "acquisition_provenance": {
                "source_name": "Wellwave app",
                "device_id": device_id,
                "modality": modality,
            },
        }
        return {"header": header, "body": body | {"effective_time_frame": {"date_time": at}}}

    return [
        point("heart-rate", "sensed", heart_rate={"value": v.heart_rate, "unit": "beats/min"}),
        point(
            "respiratory-rate",
            "self-reported",
            respiratory_rate={"value": v.respiratory_rate, "unit": "breaths/min"},
        ),
        point(
            "oxygen-saturation",
            "sensed",
            oxygen_saturation={"value": o.spo2, "unit": "%"},
            supplemental_oxygen_flow_rate={"value": v.oxygen_flow, "unit": "L/min"},
        ),
        point("body-temperature", "sensed", body_temperature={"value": v.temperature, "unit": "C"}),
        point(
            "blood-pressure",
            "sensed",
            systolic_blood_pressure={"value": v.systolic_bp, "unit": "mmHg"},
            diastolic_blood_pressure={"value": v.diastolic_bp, "unit": "mmHg"},
        ),
    ]


def build(format_name: str, devices: Devices) -> Any:
    """The payload for /v1/readings/{format_name}."""
    if format_name == "native":
        return native_batch(devices)
    if format_name == "fhir":
        return fhir_bundle(devices)
    if format_name == "openmhealth":
        return openmhealth_points(devices)
    raise ValueError(f"unknown format {format_name!r}")
