"""Open mHealth data points for the omh vital-sign schemas."""

from __future__ import annotations

import copy

import orjson
import pytest

from services.monitoring_ingest.domain.adapters import openmhealth
from services.monitoring_ingest.domain.canonical import CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import MalformedPayload, Refusal, RefusalReason

AT = "2026-11-23T10:55:00Z"


def point(name: str, version: str, body: dict, modality: str = "sensed") -> dict:
    return {
        "header": {
            "id": f"dp-{name}",
            "creation_date_time": AT,
            "schema_id": {"namespace": "omh", "name": name, "version": version},
            "acquisition_provenance": {
                "source_name": "Acme Health Hub",
                "device_id": "HUB-0099",
                "source_creation_date_time": AT,
                "modality": modality,
            },
            "user_id": "patient-17",
        },
        "body": {**body, "effective_time_frame": {"date_time": AT}},
    }


HEART_RATE = point("heart-rate", "2.0", {"heart_rate": {"value": 64, "unit": "beats/min"}})
RESPIRATORY_RATE = point(
    "respiratory-rate", "2.0", {"respiratory_rate": {"value": 18, "unit": "breaths/min"}}
)
OXYGEN = point(
    "oxygen-saturation",
    "2.0",
    {
        "oxygen_saturation": {"value": 93, "unit": "%"},
        "supplemental_oxygen_flow_rate": {"value": 2, "unit": "L/min"},
        "measurement_method": "pulse oximetry",
    },
)
TEMPERATURE = point("body-temperature", "4.0", {"body_temperature": {"value": 99.5, "unit": "F"}})
WEIGHT = point(
    "body-weight", "2.0", {"body_weight": {"value": 170, "unit": "lb"}}, modality="self-reported"
)
BLOOD_PRESSURE = point(
    "blood-pressure",
    "4.0",
    {
        "systolic_blood_pressure": {"value": 142, "unit": "mmHg"},
        "diastolic_blood_pressure": {"value": 91, "unit": "mmHg"},
    },
)


def test_array_of_vital_sign_points(normaliser: Normaliser) -> None:
    payload = orjson.dumps(
        [HEART_RATE, RESPIRATORY_RATE, OXYGEN, TEMPERATURE, WEIGHT, BLOOD_PRESSURE]
    )
    outcomes = openmhealth.parse(payload, normaliser=normaliser)
    assert all(isinstance(o, CanonicalReading) for o in outcomes), outcomes
    got = {(o.code, round(o.value, 2), o.unit) for o in outcomes}  # type: ignore[union-attr]
    assert got == {
        (Code.HEART_RATE, 64.0, "/min"),
        (Code.RESPIRATORY_RATE, 18.0, "/min"),
        (Code.SPO2_PULSE_OXIMETRY, 93.0, "%"),
        (Code.INHALED_O2_FLOW, 2.0, "L/min"),
        (Code.BODY_TEMPERATURE, 37.5, "Cel"),
        (Code.BODY_WEIGHT, 77.11, "kg"),
        (Code.SYSTOLIC_BP, 142.0, "mm[Hg]"),
        (Code.DIASTOLIC_BP, 91.0, "mm[Hg]"),
    }
    assert {o.device_id for o in outcomes} == {"HUB-0099"}  # type: ignore[union-attr]
    weight = next(o for o in outcomes if o.code == Code.BODY_WEIGHT)  # type: ignore[union-attr]
    assert weight.provenance is Provenance.SELF_REPORTED  # type: ignore[union-attr]
    ids = [o.vendor_reading_id for o in outcomes]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)


def test_single_point_and_interval_time_frame(normaliser: Normaliser) -> None:
    data_point = copy.deepcopy(HEART_RATE)
    data_point["body"]["effective_time_frame"] = {
        "time_interval": {
            "start_date_time": "2026-11-23T10:00:00Z",
            "end_date_time": "2026-11-23T10:10:00Z",
        }
    }
    [reading] = openmhealth.parse(data_point, normaliser=normaliser)
    assert reading.observed_at.minute == 10  # type: ignore[union-attr]


def test_source_name_is_not_a_device(normaliser: Normaliser) -> None:
    # source_name is an app's name: every patient on the app would share one "device".
    data_point = copy.deepcopy(HEART_RATE)
    del data_point["header"]["acquisition_provenance"]["device_id"]
    [refused] = openmhealth.parse(data_point, normaliser=normaliser)
    assert isinstance(refused, Refusal)
    assert refused.reason is RefusalReason.MISSING_FIELD
    assert refused.pointer == "/header/acquisition_provenance/device_id"


def mutated(base: dict, path: tuple[str, ...], value: object) -> dict:
    data_point = copy.deepcopy(base)
    target = data_point
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data_point


@pytest.mark.parametrize(
    ("data_point", "reason"),
    [
        ("text", RefusalReason.MALFORMED),
        ({"header": {}}, RefusalReason.MISSING_FIELD),
        (mutated(HEART_RATE, ("header", "schema_id"), None), RefusalReason.MISSING_FIELD),
        (
            mutated(HEART_RATE, ("header", "schema_id", "name"), "step-count"),
            RefusalReason.UNKNOWN_CODE,
        ),
        (
            mutated(HEART_RATE, ("header", "schema_id", "namespace"), "acme"),
            RefusalReason.UNKNOWN_CODE,
        ),
        (
            mutated(HEART_RATE, ("header", "acquisition_provenance"), None),
            RefusalReason.MISSING_FIELD,
        ),
        (
            mutated(HEART_RATE, ("header", "acquisition_provenance", "modality"), "guessed"),
            RefusalReason.INVALID_VALUE,
        ),
        (mutated(HEART_RATE, ("body", "effective_time_frame"), None), RefusalReason.MISSING_FIELD),
        (
            mutated(
                HEART_RATE, ("body", "effective_time_frame", "date_time"), "2026-11-23T10:55:00"
            ),
            RefusalReason.NAIVE_TIMESTAMP,
        ),
        (mutated(HEART_RATE, ("body", "heart_rate"), None), RefusalReason.MISSING_FIELD),
        (mutated(HEART_RATE, ("body", "heart_rate"), 64), RefusalReason.MALFORMED),
        (mutated(HEART_RATE, ("body", "heart_rate", "unit"), "bpm"), RefusalReason.UNKNOWN_UNIT),
        (
            mutated(HEART_RATE, ("body", "heart_rate", "value"), 500),
            RefusalReason.IMPLAUSIBLE_VALUE,
        ),
        (
            mutated(TEMPERATURE, ("body", "body_temperature", "unit"), "Cel"),
            RefusalReason.UNKNOWN_UNIT,
        ),
        (
            mutated(BLOOD_PRESSURE, ("body", "diastolic_blood_pressure", "value"), 150),
            RefusalReason.IMPLAUSIBLE_VALUE,
        ),
    ],
)
def test_refusals_do_not_spoil_neighbours(
    normaliser: Normaliser, data_point: object, reason: RefusalReason
) -> None:
    outcomes = openmhealth.parse([HEART_RATE, data_point, HEART_RATE], normaliser=normaliser)
    assert isinstance(outcomes[0], CanonicalReading)
    assert isinstance(outcomes[-1], CanonicalReading)
    refusals = [o for o in outcomes if isinstance(o, Refusal)]
    assert refusals
    assert {r.reason for r in refusals} == {reason}
    assert {r.item for r in refusals} == {1}
    assert all(r.pointer.startswith("/1") for r in refusals)


@pytest.mark.parametrize("payload", [b"nope", b"42", '"text"'])
def test_unreadable_payloads_raise(payload: object) -> None:
    with pytest.raises(MalformedPayload):
        openmhealth.parse(payload)
