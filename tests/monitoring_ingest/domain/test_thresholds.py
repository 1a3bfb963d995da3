"""Per-patient threshold rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.monitoring_ingest.domain.canonical import CanonicalReading, Code, Measure, Provenance
from services.monitoring_ingest.domain.thresholds import Direction, ThresholdRule, breaches

COPD_SPO2 = ThresholdRule(
    "copd-spo2", Measure.SPO2, Direction.BELOW, 88, description="COPD target 88-92 %"
)
FEVER = ThresholdRule("fever", Measure.BODY_TEMPERATURE, Direction.ABOVE, 38.0, inclusive=True)
TACHY = ThresholdRule("tachycardia", Measure.HEART_RATE, Direction.ABOVE, 120)


def reading(code: str, value: float) -> CanonicalReading:
    return CanonicalReading(
        "D", code, value, "x", datetime(2026, 11, 23, tzinfo=UTC), Provenance.DEVICE
    )


@pytest.mark.parametrize(
    ("code", "value", "breached"),
    [
        (Code.SPO2_PULSE_OXIMETRY, 87, ["copd-spo2"]),
        (Code.SPO2, 87.9, ["copd-spo2"]),  # either SpO2 code matches the rule
        (Code.SPO2_PULSE_OXIMETRY, 88, []),  # strict: at the limit is not below it
        (Code.BODY_TEMPERATURE, 38.0, ["fever"]),  # inclusive: at the limit breaches
        (Code.BODY_TEMPERATURE, 37.9, []),
        (Code.HEART_RATE, 121, ["tachycardia"]),
        (Code.HEART_RATE, 120, []),
        (Code.RESPIRATORY_RATE, 40, []),  # no rule for this measure
    ],
)
def test_breaches(code: str, value: float, breached: list[str]) -> None:
    found = breaches(reading(code, value), [COPD_SPO2, FEVER, TACHY])
    assert [b.rule.rule_id for b in found] == breached
    for breach in found:
        assert breach.reading.value == value
        assert breach.rule.unit in breach.detail


def test_detail_names_measure_value_and_limit() -> None:
    [breach] = breaches(reading(Code.SPO2_PULSE_OXIMETRY, 85), [COPD_SPO2])
    assert breach.detail == "spo2 85 % is below 88"


def test_rules_need_a_numeric_measure_and_finite_limit() -> None:
    with pytest.raises(ValueError, match="numeric"):
        ThresholdRule("x", Measure.CONSCIOUSNESS, Direction.ABOVE, 0)
    with pytest.raises(ValueError, match="finite"):
        ThresholdRule("x", Measure.HEART_RATE, Direction.ABOVE, float("inf"))
