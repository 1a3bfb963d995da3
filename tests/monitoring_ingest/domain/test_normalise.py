"""Unit conversion, timestamps and plausibility: every refusal reason the normaliser owns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.monitoring_ingest.domain.canonical import Acvpu, CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.normalise import (
    IngestPolicy,
    Normaliser,
    parse_timestamp,
    refuse_inverted_blood_pressure,
)
from services.monitoring_ingest.domain.outcomes import Refusal, RefusalReason

from .conftest import NOW

AT = NOW - timedelta(minutes=1)


def quantity(n: Normaliser, code: str, value: object, unit: object, at: datetime = AT):
    return n.quantity(
        3, "/readings/3", device_id="D1", code=code, value=value, unit=unit,
        observed_at=at, provenance=Provenance.DEVICE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("code", "value", "unit", "expected", "canonical_unit"),
    [
        (Code.BODY_TEMPERATURE, 98.6, "[degF]", 37.0, "Cel"),
        (Code.BODY_TEMPERATURE, 310.15, "K", 37.0, "Cel"),
        (Code.BODY_TEMPERATURE, 37.2, "Cel", 37.2, "Cel"),
        (Code.BODY_WEIGHT, 154.0, "[lb_av]", 69.853, "kg"),
        (Code.BODY_WEIGHT, 11.0, "[stone_av]", 69.853, "kg"),
        (Code.BODY_WEIGHT, 70500, "g", 70.5, "kg"),
        (Code.SYSTOLIC_BP, 16.0, "kPa", 120.01, "mm[Hg]"),
        (Code.DIASTOLIC_BP, 80, "mm[Hg]", 80.0, "mm[Hg]"),
        (Code.HEART_RATE, 72, "{beats}/min", 72.0, "/min"),
        (Code.HEART_RATE, 72, "/min", 72.0, "/min"),
        (Code.RESPIRATORY_RATE, 16, "{breaths}/min", 16.0, "/min"),
        (Code.SPO2_PULSE_OXIMETRY, 94, "%", 94.0, "%"),
        (Code.INHALED_O2_FLOW, 2000, "mL/min", 2.0, "L/min"),
        (Code.INHALED_O2_CONCENTRATION, 28, "%", 28.0, "%"),
    ],
)
def test_converts_to_canonical_ucum(
    normaliser: Normaliser, code: str, value: float, unit: str, expected: float, canonical_unit: str
) -> None:
    reading = quantity(normaliser, code, value, unit)
    assert isinstance(reading, CanonicalReading)
    assert reading.value == pytest.approx(expected, abs=0.01)
    assert reading.unit == canonical_unit


@pytest.mark.parametrize(
    ("code", "value", "unit", "reason"),
    [
        (Code.BODY_TEMPERATURE, 37, "degC", RefusalReason.UNKNOWN_UNIT),
        (Code.HEART_RATE, 72, "bpm", RefusalReason.UNKNOWN_UNIT),
        (Code.SPO2, 0.94, "1", RefusalReason.UNKNOWN_UNIT),
        (Code.HEART_RATE, 72, None, RefusalReason.MISSING_FIELD),
        (Code.HEART_RATE, "72", "/min", RefusalReason.INVALID_VALUE),
        (Code.HEART_RATE, True, "/min", RefusalReason.INVALID_VALUE),
        (Code.HEART_RATE, float("nan"), "/min", RefusalReason.INVALID_VALUE),
        ("1234-5", 1, "/min", RefusalReason.UNKNOWN_CODE),
        (Code.CONSCIOUSNESS, 1, "1", RefusalReason.UNKNOWN_CODE),
    ],
)
def test_refuses_bad_quantities(
    normaliser: Normaliser, code: str, value: object, unit: object, reason: RefusalReason
) -> None:
    refusal = quantity(normaliser, code, value, unit)
    assert isinstance(refusal, Refusal)
    assert refusal.reason is reason
    assert (refusal.item, refusal.pointer) == (3, "/readings/3")
    assert refusal.detail


# Plausible limits are inclusive; one step outside each is refused.
@pytest.mark.parametrize(
    ("code", "unit", "inside", "outside"),
    [
        (Code.SPO2_PULSE_OXIMETRY, "%", [50, 100], [49.9, 100.1]),
        (Code.BODY_TEMPERATURE, "Cel", [25, 45], [24.9, 45.1]),
        (Code.HEART_RATE, "/min", [20, 300], [19, 301]),
        (Code.RESPIRATORY_RATE, "/min", [2, 80], [1, 81]),
        (Code.SYSTOLIC_BP, "mm[Hg]", [40, 300], [39, 301]),
        (Code.DIASTOLIC_BP, "mm[Hg]", [20, 200], [19, 201]),
        (Code.BODY_WEIGHT, "kg", [1, 400], [0.9, 401]),
        (Code.INHALED_O2_FLOW, "L/min", [0, 60], [-0.1, 61]),
        (Code.INHALED_O2_CONCENTRATION, "%", [21, 100], [20, 101]),
    ],
)
def test_plausibility_limits(
    normaliser: Normaliser, code: str, unit: str, inside: list, outside: list
) -> None:
    for value in inside:
        assert isinstance(quantity(normaliser, code, value, unit), CanonicalReading)
    for value in outside:
        refusal = quantity(normaliser, code, value, unit)
        assert isinstance(refusal, Refusal)
        assert refusal.reason is RefusalReason.IMPLAUSIBLE_VALUE


def test_plausibility_is_judged_after_conversion(normaliser: Normaliser) -> None:
    # 104 °F is a fever; 104 °C would be implausible.
    assert isinstance(quantity(normaliser, Code.BODY_TEMPERATURE, 104, "[degF]"), CanonicalReading)
    refusal = quantity(normaliser, Code.BODY_TEMPERATURE, 104, "Cel")
    assert refusal.reason is RefusalReason.IMPLAUSIBLE_VALUE  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (NOW + timedelta(minutes=5), None),
        (NOW + timedelta(minutes=5, seconds=1), RefusalReason.FUTURE_TIMESTAMP),
        (NOW - timedelta(days=30), None),
        (NOW - timedelta(days=30, seconds=1), RefusalReason.STALE_TIMESTAMP),
        (datetime(2026, 11, 23, 11, 0), RefusalReason.NAIVE_TIMESTAMP),
    ],
)
def test_time_window_edges(
    normaliser: Normaliser, at: datetime, reason: RefusalReason | None
) -> None:
    outcome = quantity(normaliser, Code.HEART_RATE, 70, "/min", at)
    if reason is None:
        assert isinstance(outcome, CanonicalReading)
    else:
        assert isinstance(outcome, Refusal)
        assert outcome.reason is reason


def test_policy_is_configurable() -> None:
    strict = Normaliser(IngestPolicy(max_future_skew=timedelta(0), max_age=timedelta(hours=1)), NOW)
    assert quantity(strict, Code.HEART_RATE, 70, "/min", NOW + timedelta(seconds=1)).reason is (  # type: ignore[union-attr]
        RefusalReason.FUTURE_TIMESTAMP
    )
    assert quantity(strict, Code.HEART_RATE, 70, "/min", NOW - timedelta(hours=2)).reason is (  # type: ignore[union-attr]
        RefusalReason.STALE_TIMESTAMP
    )


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        Normaliser(now=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("2026-11-23T10:00:00+00:00", datetime(2026, 11, 23, 10, tzinfo=UTC)),
        ("2026-11-23T10:00:00Z", datetime(2026, 11, 23, 10, tzinfo=UTC)),
        ("2026-11-23T10:00:00", RefusalReason.NAIVE_TIMESTAMP),
        ("2026-11-23", RefusalReason.NAIVE_TIMESTAMP),
        ("yesterday", RefusalReason.INVALID_TIMESTAMP),
        (1700000000, RefusalReason.INVALID_TIMESTAMP),
    ],
)
def test_parse_timestamp(text: object, result: object) -> None:
    parsed = parse_timestamp(text)
    if isinstance(result, RefusalReason):
        assert isinstance(parsed, tuple)
        assert parsed[0] is result
    else:
        assert parsed == result


@pytest.mark.parametrize(
    ("value", "expected_code_value", "ordinal"),
    [
        ("A", "A", 0.0),
        ("alert", "A", 0.0),
        ("c", "C", 1.0),
        ("Voice", "V", 2.0),
        ("P", "P", 3.0),
        ("U", "U", 4.0),
    ],
)
def test_acvpu_levels(
    normaliser: Normaliser, value: str, expected_code_value: str, ordinal: float
) -> None:
    reading = normaliser.categorical(
        0, "", device_id="D", code=Code.CONSCIOUSNESS, value=value, observed_at=AT,
        provenance=Provenance.CLINICIAN_ENTERED,
    )  # fmt: skip
    assert isinstance(reading, CanonicalReading)
    assert reading.code_value == expected_code_value
    assert Acvpu(reading.code_value) is not None
    assert reading.value == ordinal


@pytest.mark.parametrize(
    ("value", "expected"), [(True, "true"), (False, "false"), ("yes", "true"), ("air", "false")]
)
def test_on_oxygen_flag(normaliser: Normaliser, value: object, expected: str) -> None:
    reading = normaliser.categorical(
        0, "", device_id="D", code=Code.SUPPLEMENTAL_OXYGEN, value=value, observed_at=AT,
        provenance=Provenance.DEVICE,
    )  # fmt: skip
    assert isinstance(reading, CanonicalReading)
    assert reading.code_value == expected


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (Code.CONSCIOUSNESS, "X"),
        (Code.CONSCIOUSNESS, 3),
        (Code.SUPPLEMENTAL_OXYGEN, "maybe"),
        (Code.SUPPLEMENTAL_OXYGEN, 1),
    ],
)
def test_bad_categories_are_invalid_values(
    normaliser: Normaliser, code: str, value: object
) -> None:
    refusal = normaliser.categorical(
        0, "", device_id="D", code=code, value=value, observed_at=AT, provenance=Provenance.DEVICE
    )
    assert isinstance(refusal, Refusal)
    assert refusal.reason is RefusalReason.INVALID_VALUE


def test_inverted_blood_pressure_refuses_both_halves(normaliser: Normaliser) -> None:
    systolic = quantity(normaliser, Code.SYSTOLIC_BP, 80, "mm[Hg]")
    diastolic = quantity(normaliser, Code.DIASTOLIC_BP, 90, "mm[Hg]")
    for outcome in refuse_inverted_blood_pressure(systolic, diastolic, 0, "/x"):
        assert isinstance(outcome, Refusal)
        assert outcome.reason is RefusalReason.IMPLAUSIBLE_VALUE
    normal = quantity(normaliser, Code.DIASTOLIC_BP, 70, "mm[Hg]")
    assert refuse_inverted_blood_pressure(systolic, normal, 0, "/x") == (systolic, normal)
