"""Forming NEWS2 observation sets from a patient's readings."""

from __future__ import annotations

from datetime import timedelta

from services.monitoring_ingest.domain.canonical import Acvpu, CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.news2 import ObservationSet, RiskBand, score
from services.monitoring_ingest.domain.observation_sets import (
    DEFAULT_WINDOW,
    form_observation_set,
    window_ends,
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


def _at(*minutes: float) -> list:
    return [NOW + timedelta(minutes=m) for m in minutes]


def test_window_ends_one_round_is_one_set() -> None:
    assert window_ends(_at(0, 1, 3, 2)) == _at(3)
    assert window_ends([]) == []


def test_window_ends_rounds_hours_apart_are_separate_sets() -> None:
    assert window_ends(_at(240, 0, 2, 241, 480)) == _at(2, 241, 480)


def test_window_ends_window_is_inclusive_and_measured_from_the_set_start() -> None:
    # 0..15 is one set (inclusive); 16 opens the next, which runs to 31.
    assert window_ends(_at(0, 15, 16, 31, 32)) == _at(15, 31, 32)


def test_window_ends_continuous_readings_give_one_set_per_window() -> None:
    minutes = [float(m) for m in range(120)]  # one reading a minute for two hours
    ends = window_ends(_at(*minutes))
    assert ends == _at(15, 31, 47, 63, 79, 95, 111, 119)
    assert window_ends(_at(*minutes), window=timedelta(minutes=60)) == _at(60, 119)


def test_window_ends_newest_reading_always_ends_the_last_set() -> None:
    import random

    rng = random.Random(7)
    for _ in range(200):
        times = _at(*(rng.uniform(0, 600) for _ in range(rng.randint(1, 40))))
        ends = window_ends(times)
        assert ends[-1] == max(times)
        assert ends == sorted(set(ends))  # strictly increasing
        # Every reading falls in the window ending at the first end at or after it.
        for at in times:
            end = next(e for e in ends if e >= at)
            assert end - at <= DEFAULT_WINDOW
