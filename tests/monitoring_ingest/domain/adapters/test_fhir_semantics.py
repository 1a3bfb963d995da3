"""FHIR semantics that used to lose or freeze data: identifier systems, status lifecycle,
device references, censored and string values, and where a timestamp refusal points."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.monitoring_ingest.domain.adapters import fhir
from services.monitoring_ingest.domain.canonical import CanonicalReading, Revision
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import Refusal, RefusalReason
from tests.monitoring_ingest.domain.adapters.test_fhir import HEART_RATE, observation, qty
from tests.monitoring_ingest.domain.conftest import NOW


def one(resource: dict, normaliser: Normaliser) -> CanonicalReading | Refusal:
    outcomes = fhir.parse(resource, normaliser=normaliser)
    assert len(outcomes) == 1
    return outcomes[0]


def with_identifier(system: str | None, value: str) -> dict:
    resource = copy.deepcopy(HEART_RATE)
    resource["identifier"] = [{"value": value} | ({"system": system} if system else {})]
    return resource


@given(
    value=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
    systems=st.lists(st.sampled_from(["urn:x:hr-monitor", "urn:x:oximeter", "urn:x:cuff"]),
                     min_size=2, max_size=2, unique=True),
)  # fmt: skip
def test_identifier_is_system_and_value(value: str, systems: list[str]) -> None:
    n = Normaliser(now=NOW)
    first, second = (one(with_identifier(s, value), n) for s in systems)
    assert isinstance(first, CanonicalReading) and isinstance(second, CanonicalReading)
    assert first.id_system == systems[0]
    assert first.reading_key() != second.reading_key()


def test_same_system_and_value_is_the_same_reading(normaliser: Normaliser) -> None:
    first = one(with_identifier("urn:x:hr-monitor", "X"), normaliser)
    again = one(with_identifier("urn:x:hr-monitor", "X"), normaliser)
    assert first.reading_key() == again.reading_key()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "revision"),
    [
        ("final", Revision.ORIGINAL),
        ("amended", Revision.CORRECTION),
        ("corrected", Revision.CORRECTION),
        ("entered-in-error", Revision.WITHDRAWAL),
    ],
)
def test_status_lifecycle(normaliser: Normaliser, status: str, revision: Revision) -> None:
    reading = one({**HEART_RATE, "status": status}, normaliser)
    assert isinstance(reading, CanonicalReading) and reading.revision is revision
    original = one(HEART_RATE, normaliser)
    # A revision names the reading it revises, and is itself a different row.
    assert reading.original_key() == original.reading_key()  # type: ignore[union-attr]
    if revision is not Revision.ORIGINAL:
        assert reading.reading_key() != original.reading_key()  # type: ignore[union-attr]


def test_corrections_with_new_values_are_distinct(normaliser: Normaliser) -> None:
    amended = one({**HEART_RATE, "status": "amended", "valueQuantity": qty(90, "/min")}, normaliser)
    again = one({**HEART_RATE, "status": "amended", "valueQuantity": qty(91, "/min")}, normaliser)
    assert amended.reading_key() != again.reading_key()  # type: ignore[union-attr]


def test_revision_without_identifier_is_refused(normaliser: Normaliser) -> None:
    resource = {k: v for k, v in HEART_RATE.items() if k != "identifier"}
    refused = one({**resource, "status": "amended"}, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (RefusalReason.MISSING_FIELD, "/identifier")


@pytest.mark.parametrize(
    ("device", "contained", "serial"),
    [
        ({"reference": "Device/SN-1"}, None, "SN-1"),
        (
            {"reference": "#hub"},
            [{"resourceType": "Device", "id": "hub",
              "identifier": [{"system": "urn:x:serial", "value": "SN-2"}]}],
            "SN-2",
        ),
        (
            {"reference": "#hub"},
            [{"resourceType": "Device", "id": "hub", "serialNumber": "SN-3"}],
            "SN-3",
        ),
        ({"identifier": {"system": "urn:x:serial", "value": "SN-4"}}, None, "SN-4"),
    ],
)  # fmt: skip
def test_device_resolved_the_fhir_way(
    normaliser: Normaliser, device: dict, contained: list | None, serial: str
) -> None:
    resource = {**HEART_RATE, "device": device}
    if contained is not None:
        resource["contained"] = contained
    reading = one(resource, normaliser)
    assert isinstance(reading, CanonicalReading), reading
    assert reading.device_id == serial


@pytest.mark.parametrize(
    ("device", "reason"),
    [
        ({"display": "Home monitoring hub"}, RefusalReason.MISSING_FIELD),
        ({"reference": "DeviceMetric/example"}, RefusalReason.INVALID_VALUE),
        ({"reference": "#nowhere"}, RefusalReason.INVALID_VALUE),
        ({"reference": "https://other.example/fhir/Device/1"}, RefusalReason.INVALID_VALUE),
    ],
)
def test_display_is_never_a_device(
    normaliser: Normaliser, device: dict, reason: RefusalReason
) -> None:
    refused = one({**HEART_RATE, "device": device}, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (reason, "/device")


def test_comparator_is_refused_not_taken_as_exact(normaliser: Normaliser) -> None:
    spo2 = observation("2708-6", valueQuantity={**qty(85, "%"), "comparator": "<"})
    refused = one(spo2, normaliser)
    assert isinstance(refused, Refusal)
    assert refused.reason is RefusalReason.INVALID_VALUE
    assert refused.pointer == "/valueQuantity/comparator"


@pytest.mark.parametrize("value", ["72", True])
def test_decimal_must_be_a_json_number(normaliser: Normaliser, value: object) -> None:
    refused = one({**HEART_RATE, "valueQuantity": {**qty(0, "/min"), "value": value}}, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (
        RefusalReason.INVALID_VALUE,
        "/valueQuantity/value",
    )


def test_component_decimal_must_be_a_json_number(normaliser: Normaliser) -> None:
    from tests.monitoring_ingest.domain.adapters.test_fhir import BLOOD_PRESSURE

    panel = copy.deepcopy(BLOOD_PRESSURE)
    panel["component"][1]["valueQuantity"]["value"] = "86"
    outcomes = fhir.parse(panel, normaliser=normaliser)
    assert [o.pointer for o in outcomes if isinstance(o, Refusal)] == [
        "/component/1/valueQuantity/value"
    ]
    assert all(isinstance(o, Refusal) for o in outcomes)


@pytest.mark.parametrize(
    ("change", "reason", "pointer"),
    [
        ({"effectiveDateTime": "2026-11-23T10:50:00"}, RefusalReason.NAIVE_TIMESTAMP,
         "/effectiveDateTime"),
        ({"effectiveDateTime": "2026-11-24T10:50:00Z"}, RefusalReason.FUTURE_TIMESTAMP,
         "/effectiveDateTime"),
        ({"effectiveDateTime": "2026-01-01T10:50:00Z"}, RefusalReason.STALE_TIMESTAMP,
         "/effectiveDateTime"),
        ({"effectiveDateTime": "yesterday"}, RefusalReason.INVALID_TIMESTAMP,
         "/effectiveDateTime"),
        ({"effectiveDateTime": None,
          "effectivePeriod": {"start": "2026-11-23T10:40:00Z", "end": "2026-11-23T10:45:00"}},
         RefusalReason.NAIVE_TIMESTAMP, "/effectivePeriod/end"),
    ],
)  # fmt: skip
def test_timestamp_refusals_point_at_the_time(
    normaliser: Normaliser, change: dict, reason: RefusalReason, pointer: str
) -> None:
    resource = {k: v for k, v in {**HEART_RATE, **change}.items() if v is not None}
    refused = one(resource, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (reason, pointer)


def test_timestamp_pointer_inside_a_bundle(normaliser: Normaliser) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {**HEART_RATE, "effectiveDateTime": "2026-11-23T10:50:00"}}],
    }
    (refused,) = fhir.parse(bundle, normaliser=normaliser)
    assert refused.pointer == "/entry/0/resource/effectiveDateTime"  # type: ignore[union-attr]


VITALSIGNS = {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns|4.0.1"]}
UK_CORE = {
    "profile": [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns-HeartRate"
    ]
}


@pytest.mark.parametrize("meta", [VITALSIGNS, UK_CORE])
@pytest.mark.parametrize(
    "category",
    [
        None,
        [{"coding": [{"system": fhir.OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        [{"coding": [{"system": "http://example.org", "code": "vital-signs"}]}],
    ],
)
def test_claimed_profile_needs_vital_signs_category(
    normaliser: Normaliser, meta: dict, category: list | None
) -> None:
    resource = {k: v for k, v in HEART_RATE.items() if k != "category"} | {"meta": meta}
    if category is not None:
        resource["category"] = category
    refused = one(resource, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (RefusalReason.MISSING_FIELD, "/category")
    # Claiming no profile, the base Observation rules apply: no category needed.
    del resource["meta"]
    assert isinstance(one(resource, normaliser), CanonicalReading)


@pytest.mark.parametrize("meta", [VITALSIGNS, UK_CORE])
def test_claimed_profile_needs_a_subject(normaliser: Normaliser, meta: dict) -> None:
    resource = {k: v for k, v in HEART_RATE.items() if k != "subject"} | {"meta": meta}
    refused = one(resource, normaliser)
    assert isinstance(refused, Refusal) and refused.pointer == "/subject"


def test_fhir_profile_needs_loinc_uk_core_takes_snomed(normaliser: Normaliser) -> None:
    snomed = observation("364075005", fhir.SNOMED, valueQuantity=qty(70, "/min"))
    refused = one({**snomed, "meta": VITALSIGNS}, normaliser)
    assert isinstance(refused, Refusal)
    assert (refused.reason, refused.pointer) == (RefusalReason.UNKNOWN_CODE, "/code")
    reading = one({**snomed, "meta": UK_CORE}, normaliser)
    assert isinstance(reading, CanonicalReading) and reading.value == 70


def test_reference_to_a_device_entry_of_the_bundle(normaliser: Normaliser) -> None:
    hub = "urn:uuid:7f0c1d6e-2b6a-4c1e-9a51-0d2f3c4b5a69"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": hub, "resource": {"resourceType": "Device",
                                          "identifier": [{"system": "urn:x:serial",
                                                          "value": "SN-9"}]},
             "request": {"method": "POST", "url": "Device"}},
            {"resource": {**HEART_RATE, "device": {"reference": hub}}},
            {"resource": {**HEART_RATE, "device": {"reference": "urn:uuid:other"}}},
        ],
    }  # fmt: skip
    parsed = fhir.parse_bundle(bundle, normaliser=normaliser)
    reading, refused = parsed.outcomes
    assert isinstance(reading, CanonicalReading) and reading.device_id == "SN-9"
    assert isinstance(refused, Refusal) and refused.pointer == "/entry/2/resource/device"
    assert (parsed.entries, parsed.device_entries, parsed.entry_count) == ([1, 2], {0}, 3)
