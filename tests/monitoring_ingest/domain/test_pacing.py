"""Observation frequency by NEWS2 band (RCP Chart 4), a clinician's plan, the device fallback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.monitoring_ingest.domain.pacing import FOUR_HOURLY, HOURLY, TWELVE_HOURLY, pace

CONTINUOUS = 15


def _minutes(score: int, *, complete: bool = True, red: bool = False) -> float:
    return pace(
        lower_bound=score,
        complete=complete,
        red_score=red,
        plan_minutes=None,
        device_minutes=240,
        missed_factor=2.0,
        continuous_minutes=CONTINUOUS,
    ).allowed_minutes


# (lower bound, complete, a single 3) -> minutes of silence allowed
EDGES = [
    (0, True, False, 12 * 60),  # 0: 12-hourly
    (1, True, False, 4 * 60),  # 1-4: 4-6-hourly, the stricter 4 h
    (4, True, False, 4 * 60),
    (3, True, True, 60),  # a single parameter scoring 3: hourly
    (5, True, False, 60),  # 5-6: hourly
    (6, True, False, 60),
    (7, True, False, CONTINUOUS),  # 7+: continuous
    (20, True, True, CONTINUOUS),
    (0, False, False, 480),  # incomplete below every trigger: the device's interval x factor
    (4, False, False, 480),
    (3, False, True, 60),  # incomplete, banded by its lower bound
    (5, False, False, 60),
    (7, False, False, CONTINUOUS),
]


@pytest.mark.parametrize(("score", "complete", "red", "minutes"), EDGES)
def test_band_edges(score: int, complete: bool, red: bool, minutes: float) -> None:
    assert _minutes(score, complete=complete, red=red) == minutes


def test_no_set_yet_falls_back_to_the_device() -> None:
    paced = pace(
        lower_bound=None, complete=None, red_score=None, plan_minutes=None,
        device_minutes=60, missed_factor=2.0, continuous_minutes=CONTINUOUS,
    )  # fmt: skip
    assert (paced.allowed_minutes, paced.expected_minutes) == (120, 60)
    assert "device" in paced.paced_by


@given(st.integers(0, 20), st.booleans(), st.booleans(), st.integers(5, 1440))
def test_a_plan_overrides_any_band(score: int, complete: bool, red: bool, plan: int) -> None:
    paced = pace(
        lower_bound=score, complete=complete, red_score=red, plan_minutes=plan,
        device_minutes=240, missed_factor=2.0, continuous_minutes=CONTINUOUS,
    )  # fmt: skip
    assert paced.allowed_minutes == paced.expected_minutes == plan
    assert paced.paced_by == "monitoring plan"


@given(st.integers(0, 19), st.booleans(), st.booleans())
def test_a_higher_score_never_allows_a_longer_silence(
    score: int, complete: bool, red: bool
) -> None:
    silence = _minutes(score, complete=complete, red=red)
    assert _minutes(score + 1, complete=complete, red=red) <= silence
    assert _minutes(score, complete=complete, red=True) <= silence  # a single 3 never slows it
    assert _minutes(score, complete=True, red=red) <= 12 * 60


def test_band_names() -> None:
    assert (TWELVE_HOURLY.minutes, FOUR_HOURLY.minutes, HOURLY.minutes) == (720, 240, 60)
    assert "hourly" in HOURLY.label


def test_a_compressed_clock_scales_bands_and_plans_not_the_device() -> None:
    common = {"device_minutes": 1, "missed_factor": 0.25, "continuous_minutes": CONTINUOUS}
    band = pace(lower_bound=6, complete=True, red_score=False, plan_minutes=None,
                clock_scale=0.25, **common)  # fmt: skip
    plan = pace(lower_bound=6, complete=True, red_score=False, plan_minutes=120,
                clock_scale=0.25, **common)  # fmt: skip
    device = pace(lower_bound=None, complete=None, red_score=None, plan_minutes=None,
                  clock_scale=0.25, **common)  # fmt: skip
    assert (band.allowed_minutes, plan.allowed_minutes, device.allowed_minutes) == (15, 30, 0.25)
