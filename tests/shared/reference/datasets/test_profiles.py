"""Derived groupings: IMD quintile, Core20, digital-exclusion and housing quintiles."""

from __future__ import annotations

import pytest

from shared.reference.datasets import (
    DigitalExclusionRow,
    HousingMeasure,
    HousingRow,
    IcbLookupRow,
    ImdRow,
    build_profiles,
    decile_to_quintile,
    housing_quintile,
    is_core20,
    national_quintiles,
)


@pytest.mark.parametrize(
    ("decile", "quintile"),
    [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (8, 4), (9, 5), (10, 5)],
)
def test_decile_to_quintile(decile: int, quintile: int) -> None:
    assert decile_to_quintile(decile) == quintile


@pytest.mark.parametrize("decile", [0, 11, -1])
def test_decile_out_of_range(decile: int) -> None:
    with pytest.raises(ValueError, match="decile"):
        decile_to_quintile(decile)


def test_core20_is_the_two_most_deprived_deciles() -> None:
    assert [is_core20(d) for d in range(1, 11)] == [True, True] + [False] * 8


def test_national_quintiles_rank_by_lsoa_count_worst_first() -> None:
    scores = {f"E0100000{i}": float(i) for i in range(10)}
    quintiles = national_quintiles(scores)
    assert [quintiles[f"E0100000{i}"] for i in range(9, -1, -1)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    lowest_worst = national_quintiles(scores, higher_is_worse=False)
    assert lowest_worst["E01000000"] == 1 and lowest_worst["E01000009"] == 5


def test_tied_scores_share_a_quintile() -> None:
    scores = {"a": 9.0, "b": 5.0, "c": 5.0, "d": 5.0, "e": 1.0}
    assert national_quintiles(scores) == {"a": 1, "b": 2, "c": 2, "d": 2, "e": 5}


def test_national_quintiles_of_nothing() -> None:
    assert national_quintiles({}) == {}


def _housing(indoors: int, barriers: int) -> HousingRow:
    return HousingRow("E01000001", barriers, 1, 1, 1, 1, 1, 1, indoors, 1, 0.1, 0.1, 0.1, 1, 0, 1)


def test_housing_quintile_uses_the_indoors_subdomain_unless_told_otherwise() -> None:
    row = _housing(indoors=2, barriers=9)
    assert housing_quintile(row) == 1
    assert housing_quintile(row, HousingMeasure.BARRIERS) == 5


def test_build_profiles_needs_an_icb_and_tolerates_missing_extras() -> None:
    imd = {
        "E01000001": ImdRow("E01000001", 50.0, 1, 1500),
        "E01000002": ImdRow("E01000002", 5.0, 10, 1600),
        "E01000003": ImdRow("E01000003", 20.0, 5, 1700),
    }
    place = ("E38000255", "A3A8R", "E54000029", "QMF", "NHS North East London ICB", "E09000001")
    icb = {code: IcbLookupRow(code, *place) for code in ("E01000001", "E01000002")}
    digital = {
        "E01000001": DigitalExclusionRow("E01000001", 5, 5, 5, 5.0, 10, "e-Withdrawn"),
    }
    profiles = build_profiles(imd, icb, {"E01000001": _housing(3, 3)}, digital)
    assert set(profiles) == {"E01000001", "E01000002"}  # E01000003 has no ICB
    first, second = profiles["E01000001"], profiles["E01000002"]
    assert (first.imd_quintile, first.core20, first.housing_quintile) == (1, True, 2)
    assert (first.digital_exclusion_quintile, first.deri_score) == (1, 5.0)
    assert (second.imd_quintile, second.core20) == (5, False)
    assert second.housing_quintile is None and second.digital_exclusion_quintile is None
    assert second.icb_code == "E54000029" and second.population == 1600
