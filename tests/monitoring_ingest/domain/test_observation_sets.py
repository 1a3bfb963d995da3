"""Forming NEWS2 observation sets from a patient's readings."""

from __future__ import annotations

from datetime import timedelta

from services.monitoring_ingest.domain.canonical import Acvpu, CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.news2 import ObservationSet, RiskBand, score
from services.monitoring_ingest.domain.observation_sets import (
    form_observation_set,
)

from .conftest import NOW


def reading(
    code: str, value: float, minutes_ago: float, code_value: str | None = None
) -> CanonicalReading:
    return CanonicalReading(
        device_id="HUB-1",
        code=code,
        value=value,
        unit="x",
        observed_at=NOW - timedelta(minutes=minutes_ago),
        provenance=Provenance.DEVICE,
        code_value=code_value,
    )


FULL_ROUND = [
    reading(Code.RESPIRATORY_RATE, 18, 4),
    reading(Code.SPO2_PULSE_OXIMETRY, 96, 3),
    reading(Code.SUPPLEMENTAL_OXYGEN, 0, 3, "false"),
    reading(Code.SYSTOLIC_BP, 128, 2),
    reading(Code.HEART_RATE, 76, 3),
    reading(Code.CONSCIOUSNESS, 0, 1, "A"),
    reading(Code.BODY_TEMPERATURE, 36.9, 0),
]


def test_full_round_forms_a_complete_set() -> None:
    formed = form_observation_set(FULL_ROUND)
    assert formed is not None
    assert formed.observations == ObservationSet(18, 96, False, 128, 76, Acvpu.ALERT, 36.9)
    assert set(formed.used) == set(FULL_ROUND)
    assert formed.window_end == NOW
    assert formed.window_start == NOW - timedelta(minutes=15)
    assert score(formed.observations).band is RiskBand.LOW


def test_latest_value_per_parameter_wins_and_old_readings_are_left_out() -> None:
    earlier_pulse = reading(Code.HEART_RATE, 120, 10)
    too_old = reading(Code.SYSTOLIC_BP, 85, 15.01)
    formed = form_observation_set([*FULL_ROUND[:3], earlier_pulse, too_old, *FULL_ROUND[4:]])
    assert formed is not None
    assert formed.observations.pulse == 76
    assert formed.observations.systolic_bp is None
    assert earlier_pulse not in formed.used and too_old not in formed.used
    assert score(formed.observations).aggregate is None


def test_window_is_inclusive_and_configurable() -> None:
    edge = reading(Code.SYSTOLIC_BP, 150, 15)
    formed = form_observation_set([edge, FULL_ROUND[-1]])
    assert formed is not None and formed.observations.systolic_bp == 150
    narrow = form_observation_set([edge, FULL_ROUND[-1]], window=timedelta(minutes=5))
    assert narrow is not None and narrow.observations.systolic_bp is None


def test_oxygen_from_flow_rate_or_concentration() -> None:
    on_flow = form_observation_set([reading(Code.INHALED_O2_FLOW, 2, 0)])
    room_air_flow = form_observation_set([reading(Code.INHALED_O2_FLOW, 0, 0)])
    on_mask = form_observation_set([reading(Code.INHALED_O2_CONCENTRATION, 28, 0)])
    room_air = form_observation_set([reading(Code.INHALED_O2_CONCENTRATION, 21, 0)])
    assert [s.observations.on_oxygen for s in (on_flow, room_air_flow, on_mask, room_air)] == [  # type: ignore[union-attr]
        True,
        False,
        True,
        False,
    ]


def test_window_ends_at_newest_news2_reading_not_at_a_weight() -> None:
    weight_later = reading(Code.BODY_WEIGHT, 80, -60)
    formed = form_observation_set([*FULL_ROUND, weight_later])
    assert formed is not None
    assert formed.window_end == NOW
    assert weight_later not in formed.used


def test_no_news2_readings_forms_nothing() -> None:
    assert form_observation_set([reading(Code.BODY_WEIGHT, 80, 0)]) is None
    assert form_observation_set([]) is None
