"""FHIR Observation and Bundle adapter, with vital-signs (LOINC) and UK Core (SNOMED) codes."""

from __future__ import annotations

import copy

import orjson
import pytest

from services.monitoring_ingest.domain.adapters import fhir
from services.monitoring_ingest.domain.canonical import CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import MalformedPayload, Refusal, RefusalReason

AT = "2026-11-23T11:50:00+01:00"  # 10:50 UTC, ten minutes before NOW
LOINC, SNOMED, UCUM = fhir.LOINC, fhir.SNOMED, fhir.UCUM


def observation(code: str, system: str = LOINC, **fields: object) -> dict:
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "https://vendor.example/readings", "value": f"obs-{code}"}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": system, "code": code}]},
        "subject": {"reference": "Patient/123"},
        "effectiveDateTime": AT,
        "device": {
            "identifier": {"system": "https://vendor.example/serial", "value": "SN-778"},
            "display": "Home kit",
        },
        **fields,
    }


def qty(value: float, code: str, system: str = UCUM) -> dict:
    return {"value": value, "unit": code, "system": system, "code": code}


HEART_RATE = observation("8867-4", valueQuantity=qty(88, "{beats}/min"))
TEMPERATURE_F = observation("8310-5", valueQuantity=qty(101.3, "[degF]"))
WEIGHT_LB = observation("29463-7", valueQuantity=qty(185, "[lb_av]"))
BLOOD_PRESSURE = observation(
    "85354-9",
    component=[
        {
            "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
            "valueQuantity": qty(138, "mm[Hg]"),
        },
        {
            "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
            "valueQuantity": qty(86, "mm[Hg]"),
        },
    ],
)


def only(outcomes: list) -> CanonicalReading:
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], CanonicalReading), outcomes[0]
    return outcomes[0]


def refusal(outcomes: list) -> Refusal:
    assert len(outcomes) == 1
    assert isinstance(outcomes[0], Refusal), outcomes[0]
    return outcomes[0]


def test_heart_rate_in_beats_per_minute(normaliser: Normaliser) -> None:
    reading = only(fhir.parse(orjson.dumps(HEART_RATE), normaliser=normaliser))
    assert (reading.code, reading.value, reading.unit) == (Code.HEART_RATE, 88.0, "/min")
    assert reading.device_id == "SN-778"
    assert reading.vendor_reading_id == "obs-8867-4"
    assert reading.provenance is Provenance.DEVICE
    assert reading.observed_at.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]


def test_temperature_in_fahrenheit(normaliser: Normaliser) -> None:
    reading = only(fhir.parse(TEMPERATURE_F, normaliser=normaliser))
    assert reading.value == pytest.approx(38.5)
    assert reading.unit == "Cel"


def test_weight_in_pounds(normaliser: Normaliser) -> None:
    reading = only(fhir.parse(WEIGHT_LB, normaliser=normaliser))
    assert reading.value == pytest.approx(83.91, abs=0.01)
    assert reading.unit == "kg"


def test_blood_pressure_panel_yields_two_readings(normaliser: Normaliser) -> None:
    systolic, diastolic = fhir.parse(BLOOD_PRESSURE, normaliser=normaliser)
    assert isinstance(systolic, CanonicalReading) and isinstance(diastolic, CanonicalReading)
    assert (systolic.code, systolic.value) == (Code.SYSTOLIC_BP, 138.0)
    assert (diastolic.code, diastolic.value) == (Code.DIASTOLIC_BP, 86.0)
    # Each half has its own vendor id, so both survive exactly-once storage.
    assert systolic.reading_key() != diastolic.reading_key()


def test_blood_pressure_panel_missing_diastolic(normaliser: Normaliser) -> None:
    panel = copy.deepcopy(BLOOD_PRESSURE)
    panel["component"].pop()
    systolic, missing = fhir.parse(panel, normaliser=normaliser)
    assert isinstance(systolic, CanonicalReading)
    assert isinstance(missing, Refusal) and missing.reason is RefusalReason.MISSING_FIELD


def test_uk_core_snomed_blood_pressure_in_kpa(normaliser: Normaliser) -> None:
    panel = observation(
        "75367002",
        SNOMED,
        component=[
            {
                "code": {"coding": [{"system": SNOMED, "code": "72313002"}]},
                "valueQuantity": qty(16, "kPa"),
            },
            {
                "code": {"coding": [{"system": SNOMED, "code": "1091811000000102"}]},
                "valueQuantity": qty(10.5, "kPa"),
            },
        ],
    )
    systolic, diastolic = fhir.parse(panel, normaliser=normaliser)
    assert systolic.value == pytest.approx(120.0, abs=0.1)  # type: ignore[union-attr]
    assert diastolic.value == pytest.approx(78.8, abs=0.1)  # type: ignore[union-attr]


def test_pulse_oximetry_with_flow_component(normaliser: Normaliser) -> None:
    spo2 = observation(
        "2708-6",
        valueQuantity=qty(95, "%"),
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": "3151-8"}]},
                "valueQuantity": qty(2, "L/min"),
            }
        ],
    )
    spo2["code"]["coding"].append({"system": LOINC, "code": "59408-5"})
    saturation, flow = fhir.parse(spo2, normaliser=normaliser)
    assert saturation.code == Code.SPO2_PULSE_OXIMETRY  # type: ignore[union-attr]
    assert (flow.code, flow.value, flow.vendor_reading_id) == (
        Code.INHALED_O2_FLOW,
        2.0,
        "obs-2708-6#3151-8",
    )  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("snomed", "letter"),
    [
        ("248234008", "A"),
        ("130987000", "C"),
        ("300202002", "V"),
        ("450847001", "P"),
        ("422768004", "U"),
    ],
)
def test_uk_acvpu(normaliser: Normaliser, snomed: str, letter: str) -> None:
    acvpu = observation(
        "1104441000000107",
        SNOMED,
        valueCodeableConcept={"coding": [{"system": SNOMED, "code": snomed}]},
        performer=[{"reference": "Practitioner/nurse-1"}],
    )
    reading = only(fhir.parse(acvpu, normaliser=normaliser))
    assert (reading.code, reading.code_value) == (Code.CONSCIOUSNESS, letter)
    assert reading.provenance is Provenance.CLINICIAN_ENTERED


@pytest.mark.parametrize(("snomed", "flag"), [("722742002", "false"), ("371825009", "true")])
def test_uk_code_only_inspired_oxygen(normaliser: Normaliser, snomed: str, flag: str) -> None:
    reading = only(fhir.parse(observation(snomed, SNOMED), normaliser=normaliser))
    assert (reading.code, reading.code_value) == (Code.SUPPLEMENTAL_OXYGEN, flag)


def test_effective_period_uses_its_end(normaliser: Normaliser) -> None:
    resource = dict(HEART_RATE)
    del resource["effectiveDateTime"]
    resource["effectivePeriod"] = {"start": "2026-11-23T10:40:00Z", "end": "2026-11-23T10:45:00Z"}
    assert only(fhir.parse(resource, normaliser=normaliser)).observed_at.minute == 45


@pytest.mark.parametrize("status", ["final", "amended", "corrected", "entered-in-error"])
def test_accepted_statuses(normaliser: Normaliser, status: str) -> None:
    only(fhir.parse({**HEART_RATE, "status": status}, normaliser=normaliser))


@pytest.mark.parametrize("status", ["preliminary", "registered", "cancelled", "unknown"])
def test_refused_statuses(normaliser: Normaliser, status: str) -> None:
    refused = refusal(fhir.parse({**HEART_RATE, "status": status}, normaliser=normaliser))
    assert refused.reason is RefusalReason.BAD_STATUS
    assert refused.pointer == "/status"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"effectiveDateTime": "2026-11-23T10:50:00"}, RefusalReason.NAIVE_TIMESTAMP),
        ({"effectiveDateTime": "2026-11-23"}, RefusalReason.NAIVE_TIMESTAMP),
        ({"effectiveDateTime": "2026-11-24T10:50:00Z"}, RefusalReason.FUTURE_TIMESTAMP),
        ({"effectiveDateTime": None}, RefusalReason.MISSING_FIELD),
        ({"device": None}, RefusalReason.MISSING_FIELD),
        ({"code": {"coding": [{"system": LOINC, "code": "2339-0"}]}}, RefusalReason.UNKNOWN_CODE),
        (
            {"code": {"coding": [{"system": "http://example.org", "code": "8867-4"}]}},
            RefusalReason.UNKNOWN_CODE,
        ),
        (
            {"valueQuantity": qty(88, "/min", system="http://example.org/units")},
            RefusalReason.UNKNOWN_UNIT,
        ),
        ({"valueQuantity": {"value": 88, "unit": "bpm"}}, RefusalReason.UNKNOWN_UNIT),
        ({"valueQuantity": qty(88, "bpm")}, RefusalReason.UNKNOWN_UNIT),
        ({"valueQuantity": qty(400, "/min")}, RefusalReason.IMPLAUSIBLE_VALUE),
        ({"valueQuantity": None}, RefusalReason.MISSING_FIELD),
        (
            {"valueQuantity": None, "dataAbsentReason": {"text": "Error"}},
            RefusalReason.MISSING_FIELD,
        ),
        ({"valueQuantity": {"value": "eighty"}}, RefusalReason.INVALID_VALUE),
    ],
)
def test_refusals(normaliser: Normaliser, change: dict, reason: RefusalReason) -> None:
    resource = {k: v for k, v in {**HEART_RATE, **change}.items() if v is not None}
    assert refusal(fhir.parse(resource, normaliser=normaliser)).reason is reason


@pytest.mark.parametrize("bundle_type", ["batch", "transaction", "collection"])
def test_bundle_entries_are_judged_one_by_one(normaliser: Normaliser, bundle_type: str) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": bundle_type,
        "entry": [
            {
                "fullUrl": "urn:uuid:1",
                "resource": HEART_RATE,
                "request": {"method": "POST", "url": "Observation"},
            },
            {"resource": {**TEMPERATURE_F, "status": "preliminary"}},
            {"resource": {"resourceType": "Patient", "id": "123"}},
            {"request": {"method": "POST", "url": "Observation"}},
            {"resource": BLOOD_PRESSURE},
        ],
    }
    outcomes = fhir.parse(orjson.dumps(bundle), normaliser=normaliser)
    assert [type(o).__name__ for o in outcomes] == [
        "CanonicalReading", "Refusal", "Refusal", "Refusal", "CanonicalReading", "CanonicalReading",
    ]  # fmt: skip
    bad_status, patient, empty = outcomes[1:4]
    assert (bad_status.item, bad_status.pointer, bad_status.reason) == (
        1,
        "/entry/1/resource/status",
        RefusalReason.BAD_STATUS,
    )  # type: ignore[union-attr]
    assert (patient.item, patient.reason) == (2, RefusalReason.UNSUPPORTED_RESOURCE)  # type: ignore[union-attr]
    assert (empty.item, empty.pointer, empty.reason) == (3, "/entry/3", RefusalReason.MISSING_FIELD)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "searchset", "entry": []},
        {"resourceType": "Bundle", "type": "document", "entry": []},
        {"resourceType": "Bundle", "type": "batch", "entry": {}},
    ],
)
def test_unreadable_payloads_raise(payload: object) -> None:
    with pytest.raises(MalformedPayload):
        fhir.parse(payload)
