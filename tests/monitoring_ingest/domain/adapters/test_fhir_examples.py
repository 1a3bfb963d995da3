"""The official FHIR R4 vital-signs examples (tests/monitoring_ingest/data/fhir, CC0).

Each is judged as published (dated 1999-2016 with no wearable device, so refused for the
reason the rules give, at the right pointer), then with a recent time and a device, as a
monitoring hub would send it, and normalised to canonical units. A UK Core-shaped heart rate
(SNOMED and LOINC codings) follows the UK Core heart-rate example's structure.
"""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from services.monitoring_ingest.domain.adapters import fhir
from services.monitoring_ingest.domain.canonical import (
    CanonicalReading,
    Code,
    Provenance,
    Revision,
)
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import Refusal, RefusalReason

DATA = Path(__file__).parents[2] / "data" / "fhir"
RECENT = "2026-11-23T11:40:00+00:00"  # twenty minutes before the shared NOW


def example(name: str) -> dict:
    return orjson.loads((DATA / name).read_bytes())


def as_sent(resource: dict, *, device: str = "HUB-1") -> dict:
    """The example with a recent effective time and a registered device, nothing else."""
    sent = copy.deepcopy(resource)
    sent["effectiveDateTime"] = RECENT
    sent["device"] = {"reference": f"Device/{device}"}
    return sent


@pytest.mark.parametrize(
    ("name", "reason", "pointer"),
    [
        ("observation-example-heart-rate.json", RefusalReason.NAIVE_TIMESTAMP,
         "/effectiveDateTime"),  # a date, not an instant
        ("observation-example-satO2.json", RefusalReason.STALE_TIMESTAMP, "/effectiveDateTime"),
        ("observation-example-bloodpressure.json", RefusalReason.NAIVE_TIMESTAMP,
         "/effectiveDateTime"),
        ("observation-example-body-weight-lb.json", RefusalReason.NAIVE_TIMESTAMP,
         "/effectiveDateTime"),
        ("observation-example-f202-temperature.json", RefusalReason.MISSING_FIELD, ""),
    ],
)  # fmt: skip
def test_examples_as_published_are_refused_for_their_time(
    normaliser: Normaliser, name: str, reason: RefusalReason, pointer: str
) -> None:
    [refused] = fhir.parse(example(name), normaliser=normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (reason, pointer)


def test_heart_rate(normaliser: Normaliser) -> None:
    [reading] = fhir.parse(as_sent(example("observation-example-heart-rate.json")),
                           normaliser=normaliser)  # fmt: skip
    assert isinstance(reading, CanonicalReading)
    assert (reading.code, reading.value, reading.unit) == (Code.HEART_RATE, 44.0, "/min")
    assert (reading.device_id, reading.vendor_reading_id) == ("HUB-1", None)


def test_oxygen_saturation_device_metric_is_not_a_device(normaliser: Normaliser) -> None:
    published = example("observation-example-satO2.json")
    recent = {**copy.deepcopy(published), "effectiveDateTime": RECENT}
    [refused] = fhir.parse(recent, normaliser=normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (RefusalReason.INVALID_VALUE, "/device")
    [reading] = fhir.parse(as_sent(published), normaliser=normaliser)
    assert isinstance(reading, CanonicalReading)
    assert (reading.code, reading.value, reading.unit) == (Code.SPO2_PULSE_OXIMETRY, 95.0, "%")
    assert (reading.id_system, reading.vendor_reading_id) == (
        "http://goodcare.org/observation/id", "o1223435-10",
    )  # fmt: skip


def test_blood_pressure_panel(normaliser: Normaliser) -> None:
    systolic, diastolic = fhir.parse(as_sent(example("observation-example-bloodpressure.json")),
                                     normaliser=normaliser)  # fmt: skip
    assert isinstance(systolic, CanonicalReading) and isinstance(diastolic, CanonicalReading)
    assert (systolic.code, systolic.value, systolic.unit) == (Code.SYSTOLIC_BP, 107.0, "mm[Hg]")
    assert (diastolic.code, diastolic.value) == (Code.DIASTOLIC_BP, 60.0)
    assert systolic.provenance is Provenance.CLINICIAN_ENTERED  # performer Practitioner/example
    assert systolic.reading_key() != diastolic.reading_key()


def test_body_weight_in_pounds(normaliser: Normaliser) -> None:
    [reading] = fhir.parse(as_sent(example("observation-example-body-weight-lb.json")),
                           normaliser=normaliser)  # fmt: skip
    assert isinstance(reading, CanonicalReading)
    assert reading.code == Code.BODY_WEIGHT and reading.unit == "kg"
    assert reading.value == pytest.approx(185 * 0.45359237)


def test_entered_in_error_temperature_needs_an_identifier(normaliser: Normaliser) -> None:
    sent = as_sent(example("observation-example-f202-temperature.json"))
    [refused] = fhir.parse(sent, normaliser=normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (RefusalReason.MISSING_FIELD, "/identifier")
    sent["identifier"] = [{"system": "urn:x:thermometer", "value": "f202"}]
    [withdrawal] = fhir.parse(sent, normaliser=normaliser)
    assert isinstance(withdrawal, CanonicalReading)
    assert withdrawal.revision is Revision.WITHDRAWAL and withdrawal.code == Code.BODY_TEMPERATURE


def test_examples_claiming_the_profile_meet_it(normaliser: Normaliser) -> None:
    for name in ("observation-example-heart-rate.json", "observation-example-satO2.json",
                 "observation-example-bloodpressure.json"):  # fmt: skip
        published = example(name)
        assert published["meta"]["profile"] == [
            "http://hl7.org/fhir/StructureDefinition/vitalsigns"
        ]
        stripped = {k: v for k, v in as_sent(published).items() if k != "category"}
        [refused, *_] = fhir.parse(stripped, normaliser=normaliser)
        assert isinstance(refused, Refusal) and refused.pointer == "/category"


def test_uk_core_shaped_heart_rate(normaliser: Normaliser) -> None:
    # Structure of UK Core's UKCore-Observation-VitalSigns-HeartRate-Example: SNOMED CT
    # 444981005 |Resting heart rate| alongside LOINC 8867-4, performer an Organization.
    resource = {
        "resourceType": "Observation",
        "meta": {"profile": [
            "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns-HeartRate"
        ]},
        "status": "final",
        "category": [{"coding": [{"system": fhir.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [
            {"system": fhir.SNOMED, "code": "444981005", "display": "Resting heart rate"},
            {"system": fhir.LOINC, "code": "8867-4", "display": "Heart rate"},
        ]},
        "subject": {"reference": "Patient/example"},
        "effectiveDateTime": RECENT,
        "device": {"identifier": {"system": "https://vendor.example/serial", "value": "HUB-2"}},
        "performer": [{"reference": "Organization/example"}],
        "valueQuantity": {"value": 104, "code": "/min", "system": fhir.UCUM, "unit": "per minute"},
    }  # fmt: skip
    [reading] = fhir.parse(resource, normaliser=normaliser)
    assert isinstance(reading, CanonicalReading)
    assert (reading.code, reading.value, reading.device_id) == (Code.HEART_RATE, 104.0, "HUB-2")
    assert reading.provenance is Provenance.DEVICE
