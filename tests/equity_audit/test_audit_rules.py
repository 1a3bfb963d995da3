"""The audit's rules checked by hand on tiny areas (pure, no database)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.equity_audit.audit.compute import DigitalCounts, icb_need
from services.equity_audit.audit.frame import AREA_CUTS, Areas, Uptake
from services.equity_audit.audit.publish import NEED_RULE, digital_access
from services.equity_audit.audit.report import build_audit
from services.equity_audit.domain.disclosure import find_recoverable, protect_table


def _areas() -> Areas:
    """ICB A: four LSOAs of IMD deciles 1, 2, 5, 10; ICB B: two LSOAs, none in Core20."""
    return Areas(
        codes=np.array(["E01000001", "E01000002", "E01000003", "E01000004", "E01000005",
                        "E01000006"]),
        icb=np.array(["E54000001"] * 4 + ["E54000002"] * 2),
        sub_icb=np.array(["E38000001"] * 4 + ["E38000002"] * 2),
        population=np.array([1000.0, 2000.0, 1500.0, 500.0, 3000.0, 3000.0]),
        imd_score=np.array([50.0, 40.0, 20.0, 5.0, 15.0, 10.0]),
        imd_decile=np.array([1, 2, 5, 10, 4, 7]),
        housing_quintile=np.zeros(6, np.int64),
        digital_quintile=np.zeros(6, np.int64),
        icb_names={"E54000001": ("QAA", "ICB A"), "E54000002": ("QBB", "ICB B")},
    )  # fmt: skip


def _uptake(area: list[int], admissions: list[int], own_device: list[int] | None = None) -> Uptake:
    n = np.array(admissions, np.int64)
    own = np.array(own_device if own_device is not None else admissions, np.int64)
    zeros = np.zeros(len(area), np.int64)
    return Uptake(
        area=np.array(area, np.int64),
        icb=np.array([""] * len(area)),
        person=np.array([""] * len(area)),
        admissions=n,
        discharged=n,
        escalated=zeros,
        los_days_sum=zeros,
        stays_over_14_days=zeros,
        readings_expected=zeros,
        readings_received=zeros,
        own_device_yes=own,
        own_device_no=n - own,
        broadband_yes=n,
        broadband_no=zeros,
    )


def test_need_share_is_the_core20_share_of_population_weighted_by_imd_score():
    areas = _areas()
    # 20 admissions from the decile-1 LSOA, 30 from decile 5, 50 from decile 10.
    uptake = _uptake([0, 2, 3], [20, 30, 50])
    need = {n.icb_code: n for n in icb_need(areas, uptake)}["E54000001"]
    # population x IMD score: 1000x50 + 2000x40 = 130,000 in Core20, of 162,500 in all.
    assert need.need_share == pytest.approx(130_000 / 162_500) == pytest.approx(0.8)
    # Plain population share would be 3,000 / 5,000 = 0.6: the weighting matters.
    assert need.core20_population / need.population == pytest.approx(0.6)
    assert (need.admissions, need.core20_admissions) == (100, 20)

    built = build_audit(areas, uptake, cut="imd_quintile", icb=None, repetitions=1000)
    (point,) = built["need"]["points"]  # ICB B has no Core20 areas, so no expectation
    assert built["need"]["icbs_without_core20_areas"] == ["E54000002"]
    assert point["expected_core20_admissions"] == pytest.approx(100 * 0.8)
    assert point["observed_core20_admissions"] == 20
    assert point["ratio"] == pytest.approx(20 / 80)
    assert point["flag"] == "below_need"  # 0.25 is far below the 99.8% limit at E = 80
    assert built["need_rule"] == NEED_RULE
    assert "proxy" in NEED_RULE and "population x IMD score" in NEED_RULE


def test_need_uses_published_counts():
    """Expected uses the rounded total (103 -> 105), observed the rounded Core20 count."""
    areas = _areas()
    built = build_audit(
        areas, _uptake([0, 1, 2], [12, 11, 80]), cut="imd_quintile", icb=None, repetitions=1000
    )
    (point,) = built["need"]["points"]
    assert point["observed_core20_admissions"] == 25  # 23 rounded to 5
    assert point["expected_core20_admissions"] == pytest.approx(105 * 0.8)


def test_digital_access_is_protected_as_a_table_with_margins():
    counts = [
        DigitalCounts("1", "1 (most deprived)", 22, 20, 32, 10),
        DigitalCounts("2", "2", 15, 8, 23, 0),
        DigitalCounts("3", "3", 15, 5, 20, 0),
        DigitalCounts("4", "4", 14, 3, 17, 0),
        DigitalCounts("5", "5 (least deprived)", 11, 1, 12, 0),
    ]
    out = digital_access(counts)
    rows = {r["group"]: r for r in out["rows"]}
    assert (rows["1"]["own_device"], rows["1"]["own_device_recorded"]) == (20, 40)
    assert rows["1"]["own_device_pct"] == pytest.approx(50.0)  # from published 20 / 40
    assert rows["1"]["own_device_lower_95"] < 50 < rows["1"]["own_device_upper_95"]
    assert rows["1"]["broadband_pct"] == pytest.approx(75.0)  # 30 / 40
    # Quintile 5: one patient without a device is hidden, so the "yes" cell must be too.
    assert rows["5"]["own_device"] is None and "own_device" in rows["5"]["suppressed"]
    assert rows["5"]["own_device_pct"] is None
    # No hidden cell can be worked out from what is shown.
    table = protect_table([[c.own_device_yes, c.own_device_no] for c in counts])
    assert find_recoverable(table) == ()
    assert out["total"]["own_device_recorded"] == 115  # 114 rounded


def test_rii_both_ways_in_the_audit():
    areas = _areas()
    # Five quintiles in ICB A + B: deciles 1, 2 (q1), 4 (q2), 5 (q3), 7 (q4), 10 (q5).
    uptake = _uptake([0, 1, 4, 2, 5, 3], [40, 60, 90, 50, 60, 20])
    built = build_audit(areas, uptake, cut="imd_quintile", icb=None, repetitions=2000)
    sii = built["inequality"]["imd_quintile"]
    assert sii["available"] is True
    assert sii["rii_most_over_least_deprived"] == pytest.approx(1 / sii["rii"], rel=2e-3)
    for name in ("rii", "rii_most_over_least_deprived"):
        assert sii[f"{name}_lower_95"] < sii[name] < sii[f"{name}_upper_95"]
    assert "reciprocal" in sii["rii_convention"]


def _two_core20_icbs() -> Areas:
    """ICB A as in _areas(); ICB B now has a Core20 LSOA too, so it would be placed."""
    areas = _areas()
    return Areas(
        codes=areas.codes,
        icb=areas.icb,
        sub_icb=areas.sub_icb,
        population=areas.population,
        imd_score=np.array([50.0, 40.0, 20.0, 5.0, 45.0, 10.0]),
        imd_decile=np.array([1, 2, 5, 10, 1, 7]),
        housing_quintile=areas.housing_quintile,
        digital_quintile=areas.digital_quintile,
        icb_names=areas.icb_names,
    )


@settings(max_examples=40, deadline=None)
@given(b_core20=st.integers(0, 400), b_other=st.integers(0, 400), cut=st.sampled_from(AREA_CUTS))
def test_a_one_icb_audit_reveals_nothing_of_another_icb(
    b_core20: int, b_other: int, cut: str
) -> None:
    """Attack the whole release: ICB A's audit, as A's commissioner sees it, is the same
    whatever ICB B's admissions are, so no field (point, list, limit grid) discloses them."""
    areas = _two_core20_icbs()

    def audit(b: tuple[int, int]) -> dict:
        uptake = _uptake([0, 2, 3, 4, 5], [40, 30, 50, *b])
        return build_audit(
            areas, uptake, cut=cut, icb="E54000001", repetitions=200,
            visible_icbs=frozenset({"E54000001"}),
        )  # fmt: skip

    seen = audit((b_core20, b_other))
    assert seen == audit((200, 200))
    text = repr(seen)
    assert "E54000002" not in text and "QBB" not in text and "ICB B" not in text
    assert [p["icb_code"] for p in seen["need"]["points"]] == ["E54000001"]
    assert seen["need"]["coverage"] == "icbs_in_scope"


def test_a_national_audit_still_places_every_icb() -> None:
    areas = _two_core20_icbs()
    built = build_audit(
        areas, _uptake([0, 2, 4, 5], [40, 30, 60, 60]), cut="imd_quintile", icb=None,
        repetitions=200, visible_icbs=None,
    )  # fmt: skip
    assert [p["icb_code"] for p in built["need"]["points"]] == ["E54000001", "E54000002"]
    assert built["need"]["coverage"] == "england"
