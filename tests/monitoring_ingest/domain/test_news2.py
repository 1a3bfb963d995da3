"""NEWS2 against the RCP 2017 charts.

Every band edge is tested on both sides. Source for every table below: Royal College of
Physicians, National Early Warning Score (NEWS) 2, London: RCP, 2017 — Chart 1 (the NEWS
scoring system), Chart 3 (thresholds and triggers), Chart 4 (clinical response).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.monitoring_ingest.domain.canonical import Acvpu
from services.monitoring_ingest.domain.news2 import (
    CLINICAL_RESPONSES,
    ObservationSet,
    Parameter,
    RiskBand,
    SpO2Scale,
    Trigger,
    score,
    score_air_or_oxygen,
    score_consciousness,
    score_pulse,
    score_respiration_rate,
    score_spo2_scale_1,
    score_spo2_scale_2,
    score_systolic_bp,
    score_temperature,
)

# Chart 1, respiration rate: <=8 -> 3, 9-11 -> 1, 12-20 -> 0, 21-24 -> 2, >=25 -> 3.
RESPIRATION_RATE = [
    (0, 3),
    (8, 3),
    (9, 1),
    (11, 1),
    (12, 0),
    (20, 0),
    (21, 2),
    (24, 2),
    (25, 3),
    (60, 3),
]
# Chart 1, SpO2 scale 1: <=91 -> 3, 92-93 -> 2, 94-95 -> 1, >=96 -> 0.
SPO2_SCALE_1 = [(70, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
# Chart 1, SpO2 scale 2 on air: <=83 -> 3, 84-85 -> 2, 86-87 -> 1, 88-92 -> 0, >=93 on air -> 0.
SPO2_SCALE_2_AIR = [
    (70, 3),
    (83, 3),
    (84, 2),
    (85, 2),
    (86, 1),
    (87, 1),
    (88, 0),
    (92, 0),
    (93, 0),
    (100, 0),
]
# ... on oxygen: as on air up to 92, then 93-94 -> 1, 95-96 -> 2, >=97 -> 3.
SPO2_SCALE_2_OXYGEN = [
    (83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0), (92, 0),
    (93, 1), (94, 1), (95, 2), (96, 2), (97, 3), (100, 3),
]  # fmt: skip
# Chart 1, systolic BP: <=90 -> 3, 91-100 -> 2, 101-110 -> 1, 111-219 -> 0, >=220 -> 3.
SYSTOLIC_BP = [
    (60, 3),
    (90, 3),
    (91, 2),
    (100, 2),
    (101, 1),
    (110, 1),
    (111, 0),
    (219, 0),
    (220, 3),
]
# Chart 1, pulse: <=40 -> 3, 41-50 -> 1, 51-90 -> 0, 91-110 -> 1, 111-130 -> 2, >=131 -> 3.
PULSE = [
    (30, 3),
    (40, 3),
    (41, 1),
    (50, 1),
    (51, 0),
    (90, 0),
    (91, 1),
    (110, 1),
    (111, 2),
    (130, 2),
    (131, 3),
]
# Chart 1, temperature: <=35.0 -> 3, 35.1-36.0 -> 1, 36.1-38.0 -> 0, 38.1-39.0 -> 1, >=39.1 -> 2.
TEMPERATURE = [
    (33.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0),
    (38.1, 1), (39.0, 1), (39.1, 2), (41.0, 2),
]  # fmt: skip


@pytest.mark.parametrize(("rate", "expected"), RESPIRATION_RATE)
def test_respiration_rate_bands(rate: float, expected: int) -> None:
    assert score_respiration_rate(rate) == expected


@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE_1)
def test_spo2_scale_1_bands(spo2: float, expected: int) -> None:
    assert score_spo2_scale_1(spo2) == expected


@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE_2_AIR)
def test_spo2_scale_2_on_air(spo2: float, expected: int) -> None:
    assert score_spo2_scale_2(spo2, on_oxygen=False) == expected


@pytest.mark.parametrize(("spo2", "expected"), SPO2_SCALE_2_OXYGEN)
def test_spo2_scale_2_on_oxygen(spo2: float, expected: int) -> None:
    assert score_spo2_scale_2(spo2, on_oxygen=True) == expected


@pytest.mark.parametrize(("on_oxygen", "expected"), [(False, 0), (True, 2)])
def test_air_or_oxygen(on_oxygen: bool, expected: int) -> None:
    assert score_air_or_oxygen(on_oxygen) == expected


@pytest.mark.parametrize(("mmhg", "expected"), SYSTOLIC_BP)
def test_systolic_bp_bands(mmhg: float, expected: int) -> None:
    assert score_systolic_bp(mmhg) == expected


@pytest.mark.parametrize(("rate", "expected"), PULSE)
def test_pulse_bands(rate: float, expected: int) -> None:
    assert score_pulse(rate) == expected


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (Acvpu.ALERT, 0),
        (Acvpu.NEW_CONFUSION, 3),
        (Acvpu.VOICE, 3),
        (Acvpu.PAIN, 3),
        (Acvpu.UNRESPONSIVE, 3),
    ],
)
def test_consciousness(level: Acvpu, expected: int) -> None:
    assert score_consciousness(level) == expected


@pytest.mark.parametrize(("celsius", "expected"), TEMPERATURE)
def test_temperature_bands(celsius: float, expected: int) -> None:
    assert score_temperature(celsius) == expected


@pytest.mark.parametrize(
    ("value", "scorer", "expected"),
    [
        # Values between chart rows are charted half-up at the chart's resolution.
        (20.4, score_respiration_rate, 0),
        (20.5, score_respiration_rate, 2),
        (95.5, score_spo2_scale_1, 0),
        (95.4, score_spo2_scale_1, 1),
        (35.05, score_temperature, 1),
        (35.04, score_temperature, 3),
        (38.05, score_temperature, 1),
        (90.5, score_pulse, 1),
        (219.4, score_systolic_bp, 0),
    ],
)
def test_values_between_rows_are_charted_half_up(value: float, scorer, expected: int) -> None:
    assert scorer(value) == expected


NORMAL = ObservationSet(
    respiration_rate=16,
    spo2=97,
    on_oxygen=False,
    systolic_bp=125,
    pulse=72,
    consciousness=Acvpu.ALERT,
    temperature=36.8,
)


def with_(**changes: object) -> ObservationSet:
    return replace(NORMAL, **changes)  # type: ignore[arg-type]


def test_all_normal_is_zero_routine_low() -> None:
    result = score(NORMAL)
    assert result.complete
    assert result.aggregate == 0
    assert result.band is RiskBand.LOW
    assert result.response is CLINICAL_RESPONSES[Trigger.ROUTINE]
    assert result.response.monitoring == "Minimum 12-hourly"


@pytest.mark.parametrize(
    ("observations", "aggregate", "trigger", "band"),
    [
        (with_(pulse=95), 1, Trigger.LOW, RiskBand.LOW),  # aggregate 1: lower edge of 1-4
        (with_(respiration_rate=22, pulse=95, temperature=38.5), 4, Trigger.LOW, RiskBand.LOW),
        (with_(respiration_rate=25), 3, Trigger.SINGLE_RED_SCORE, RiskBand.LOW_MEDIUM),
        (
            with_(consciousness=Acvpu.NEW_CONFUSION, pulse=95),
            4,
            Trigger.SINGLE_RED_SCORE,
            RiskBand.LOW_MEDIUM,
        ),
        (
            with_(respiration_rate=22, pulse=95, spo2=94, temperature=38.5),
            5,
            Trigger.URGENT,
            RiskBand.MEDIUM,
        ),
        (
            with_(respiration_rate=22, pulse=115, spo2=94, temperature=38.5),
            6,
            Trigger.URGENT,
            RiskBand.MEDIUM,
        ),
        (with_(respiration_rate=25, on_oxygen=True), 5, Trigger.URGENT, RiskBand.MEDIUM),  # red + 5
        (
            with_(respiration_rate=22, pulse=115, spo2=93, temperature=38.5),
            7,
            Trigger.EMERGENCY,
            RiskBand.HIGH,
        ),
    ],
)
def test_aggregate_thresholds(
    observations: ObservationSet, aggregate: int, trigger: Trigger, band: RiskBand
) -> None:
    result = score(observations)
    assert result.aggregate == aggregate
    assert result.response is not None
    assert result.response.trigger is trigger
    assert result.band is band


def test_maximum_possible_score_is_20() -> None:
    worst = ObservationSet(
        respiration_rate=30,
        spo2=85,
        on_oxygen=True,
        systolic_bp=85,
        pulse=140,
        consciousness=Acvpu.UNRESPONSIVE,
        temperature=34.0,
    )
    # Chart 1 maxima: 3+3+2+3+3+3+3; temperature's maximum (<=35.0) is 3.
    assert score(worst).aggregate == 20


def test_worked_example_on_scale_1() -> None:
    """A worked example applying Chart 1 and Chart 4 by hand (RCP NEWS2, 2017).

    RR 23 (2), SpO2 95 % on oxygen, scale 1 (1), oxygen (2), systolic 105 (1), pulse 112 (2),
    alert (0), 38.4 °C (1): aggregate 9 -> Chart 3 high risk, Chart 4 emergency response.
    """
    result = score(
        ObservationSet(
            respiration_rate=23,
            spo2=95,
            on_oxygen=True,
            systolic_bp=105,
            pulse=112,
            consciousness=Acvpu.ALERT,
            temperature=38.4,
        )
    )
    assert result.parameter_scores == {
        Parameter.RESPIRATION_RATE: 2,
        Parameter.OXYGEN_SATURATION: 1,
        Parameter.AIR_OR_OXYGEN: 2,
        Parameter.SYSTOLIC_BP: 1,
        Parameter.PULSE: 2,
        Parameter.CONSCIOUSNESS: 0,
        Parameter.TEMPERATURE: 1,
    }
    assert result.aggregate == 9
    assert result.band is RiskBand.HIGH
    assert result.response is not None
    assert result.response.monitoring == "Continuous monitoring of vital signs"


def test_published_uk_ed_example_temperature_37_5_scores_0() -> None:
    """The NHS Wales ED FHIR IG 'Carol Test' NEWS2 example (SynaneticsLtd/emergency-department-ig).

    Its observations are RR 21, pulse 95, SpO2 93 % on room air, 37.5 °C, systolic 120, alert,
    and it publishes sub-scores 2/1/2/0/1/0/0 = 6. By Chart 1, 37.5 °C is in the 36.1-38.0 band
    and scores 0, so the correct aggregate is 5: the published temperature sub-score is wrong.
    """
    result = score(
        ObservationSet(
            respiration_rate=21,
            spo2=93,
            on_oxygen=False,
            systolic_bp=120,
            pulse=95,
            consciousness=Acvpu.ALERT,
            temperature=37.5,
        )
    )
    assert result.parameter_scores[Parameter.TEMPERATURE] == 0
    assert result.aggregate == 5
    assert result.band is RiskBand.MEDIUM


def test_scale_2_copd_patient_at_target_on_air_scores_zero_for_spo2() -> None:
    result = score(with_(spo2=89), scale=SpO2Scale.SCALE_2)
    assert result.parameter_scores[Parameter.OXYGEN_SATURATION] == 0
    assert result.aggregate == 0
    # The same patient on scale 1 would score 3 for SpO2 alone.
    assert score(with_(spo2=89)).parameter_scores[Parameter.OXYGEN_SATURATION] == 3


def test_scale_2_over_oxygenation_on_oxygen_scores() -> None:
    result = score(with_(spo2=97, on_oxygen=True), scale=SpO2Scale.SCALE_2)
    assert result.parameter_scores[Parameter.OXYGEN_SATURATION] == 3
    assert result.parameter_scores[Parameter.AIR_OR_OXYGEN] == 2
    assert result.aggregate == 5


@pytest.mark.parametrize("parameter", list(Parameter))
def test_incomplete_set_has_no_aggregate_and_lists_what_is_missing(parameter: Parameter) -> None:
    field = {
        Parameter.RESPIRATION_RATE: "respiration_rate",
        Parameter.OXYGEN_SATURATION: "spo2",
        Parameter.AIR_OR_OXYGEN: "on_oxygen",
        Parameter.SYSTOLIC_BP: "systolic_bp",
        Parameter.PULSE: "pulse",
        Parameter.CONSCIOUSNESS: "consciousness",
        Parameter.TEMPERATURE: "temperature",
    }[parameter]
    result = score(with_(**{field: None}))
    assert not result.complete
    assert result.missing == (parameter,)
    assert result.aggregate is None
    assert result.band is None
    assert result.response is None
    assert parameter not in result.parameter_scores
    assert len(result.parameter_scores) == 6


def test_incomplete_set_with_a_red_score_is_at_least_low_medium() -> None:
    result = score(ObservationSet(respiration_rate=30, pulse=72))
    assert result.red_score
    assert result.parameter_scores == {Parameter.RESPIRATION_RATE: 3, Parameter.PULSE: 0}
    assert set(result.missing) == set(Parameter) - {Parameter.RESPIRATION_RATE, Parameter.PULSE}
    assert result.aggregate is None and result.lower_bound == 3
    assert result.band is RiskBand.LOW_MEDIUM
    assert result.response is CLINICAL_RESPONSES[Trigger.SINGLE_RED_SCORE]


# Incomplete sets: the known parameters' sum is a lower bound on the aggregate (a missing
# parameter scores at least 0), so a set already at a trigger is banded there. Each row has
# temperature missing; (observations, lower bound, band or None for "unknown").
INCOMPLETE_EDGES = [
    (with_(temperature=None), 0, None),
    (with_(temperature=None, respiration_rate=22, pulse=115), 4, None),
    (with_(temperature=None, respiration_rate=22, pulse=115, spo2=95), 5, RiskBand.MEDIUM),
    (with_(temperature=None, respiration_rate=22, pulse=115, spo2=93), 6, RiskBand.MEDIUM),
    (
        with_(temperature=None, respiration_rate=22, pulse=115, spo2=93, systolic_bp=110),
        7,
        RiskBand.HIGH,
    ),
    (with_(temperature=None, respiration_rate=25), 3, RiskBand.LOW_MEDIUM),
    (with_(temperature=None, respiration_rate=25, pulse=95), 4, RiskBand.LOW_MEDIUM),
    (with_(temperature=None, respiration_rate=25, on_oxygen=True), 5, RiskBand.MEDIUM),
]


@pytest.mark.parametrize(("observations", "lower_bound", "band"), INCOMPLETE_EDGES)
def test_incomplete_set_is_banded_by_its_lower_bound(
    observations: ObservationSet, lower_bound: int, band: RiskBand | None
) -> None:
    result = score(observations)
    assert not result.complete and result.aggregate is None
    assert result.lower_bound == lower_bound
    assert result.band is band


def test_issue_example_incomplete_set_already_high() -> None:
    # RR 24 (2), SpO2 92 (2), pulse 125 (2), 39.5 C (2): at least 8 with four parameters missing.
    result = score(ObservationSet(respiration_rate=24, spo2=92, pulse=125, temperature=39.5))
    assert (result.lower_bound, result.band) == (8, RiskBand.HIGH)
    assert result.response is CLINICAL_RESPONSES[Trigger.EMERGENCY]


_BAND_RANK = {
    None: 0,
    RiskBand.LOW: 1,
    RiskBand.LOW_MEDIUM: 2,
    RiskBand.MEDIUM: 3,
    RiskBand.HIGH: 4,
}
_VALUES = {
    "respiration_rate": st.integers(0, 60),
    "spo2": st.integers(70, 100),
    "on_oxygen": st.booleans(),
    "systolic_bp": st.integers(50, 260),
    "pulse": st.integers(20, 200),
    "consciousness": st.sampled_from(list(Acvpu)),
    "temperature": st.sampled_from([33.0, 35.0, 35.1, 36.0, 36.1, 38.0, 38.1, 39.0, 39.1, 41.0]),
}


@given(
    full=st.fixed_dictionaries(_VALUES),
    hidden=st.sets(st.sampled_from(sorted(_VALUES)), min_size=1),
    scale=st.sampled_from(list(SpO2Scale)),
)
def test_an_incomplete_set_never_understates_the_complete_one(
    full: dict, hidden: set[str], scale: SpO2Scale
) -> None:
    """Whatever the missing parameters turn out to be, the complete set scores at least as
    much, and is banded at least as high, as the incomplete one said; never "low" early."""
    complete = score(ObservationSet(**full), scale=scale)
    partial = score(ObservationSet(**{**full, **dict.fromkeys(hidden)}), scale=scale)
    assert complete.aggregate is not None and not partial.complete
    assert partial.aggregate is None
    assert partial.lower_bound <= complete.aggregate
    assert partial.band is not RiskBand.LOW
    assert _BAND_RANK[partial.band] <= _BAND_RANK[complete.band]
    assert complete.lower_bound == complete.aggregate


def test_scale_2_spo2_at_93_or_more_is_unscored_without_air_or_oxygen() -> None:
    result = score(with_(spo2=95, on_oxygen=None), scale=SpO2Scale.SCALE_2)
    assert Parameter.OXYGEN_SATURATION not in result.parameter_scores
    assert result.missing == (Parameter.AIR_OR_OXYGEN,)


def test_every_trigger_has_rcp_response_text() -> None:
    assert set(CLINICAL_RESPONSES) == set(Trigger)
    for response in CLINICAL_RESPONSES.values():
        assert response.monitoring
        assert response.actions
