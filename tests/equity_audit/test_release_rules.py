"""Rules of the linked release on small hand-made releases (fast; the full attack is slow)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from services.equity_audit.audit.compute import GroupCounts
from services.equity_audit.audit.frame import Areas, Uptake
from services.equity_audit.audit.publish import publish_groups
from services.equity_audit.audit.report import build_audit
from services.equity_audit.domain.disclosure import DEFAULT_POLICY

visible = st.integers(8, 400)


def _group(discharged: int, days: int) -> GroupCounts:
    return GroupCounts("1", "1", 1000.0, discharged + 3, discharged, 0, days, 0, 0, 0)


@settings(max_examples=200, deadline=None)
@given(discharged=visible, days=st.integers(8, 5000), data=st.data())
def test_mean_length_of_stay_gives_away_no_more_than_the_rounded_counts(
    discharged: int, days: int, data: st.DataObject
) -> None:
    """Counts that round alike publish the same row, mean length of stay included."""

    def alike(count: int) -> int:
        """Another count that rounds to the same published value (and is not small)."""
        rounded = DEFAULT_POLICY.round_count(count)
        return max(8, rounded + data.draw(st.integers(-2, 2)))

    other_discharged, other_days = alike(discharged), alike(days)
    rows, _ = publish_groups([_group(discharged, days), _group(10_000, 70_000)])
    again, _ = publish_groups([_group(other_discharged, other_days), _group(10_000, 70_000)])
    assert rows[0]["mean_length_of_stay_days"] == again[0]["mean_length_of_stay_days"]
    published = DEFAULT_POLICY.round_count(days) / DEFAULT_POLICY.round_count(discharged)
    assert rows[0]["mean_length_of_stay_days"] == round(published, 1)


def _one_sub_icb_areas() -> Areas:
    """ICB A (two sub-ICBs) and ICB B (one sub-ICB: its only sub-ICB is the ICB)."""
    n = 6
    return Areas(
        codes=np.array([f"E0100000{i}" for i in range(n)]),
        icb=np.array(["E54000001"] * 4 + ["E54000002"] * 2),
        sub_icb=np.array(["E38000001", "E38000001", "E38000002", "E38000002", "E38000003",
                          "E38000003"]),
        population=np.full(n, 1500.0),
        imd_score=np.array([50.0, 40.0, 20.0, 5.0, 15.0, 10.0]),
        imd_decile=np.array([1, 2, 5, 10, 4, 7]),
        housing_quintile=np.array([1, 2, 3, 4, 5, 1]),
        digital_quintile=np.array([1, 2, 3, 4, 5, 1]),
        icb_names={"E54000001": ("QAA", "ICB A"), "E54000002": ("QBB", "ICB B")},
    )  # fmt: skip


def _uptake(area: list[int], admissions: list[int]) -> Uptake:
    n = np.array(admissions, np.int64)
    zeros = np.zeros(len(area), np.int64)
    return Uptake(
        area=np.array(area, np.int64),
        icb=np.array([""] * len(area)),
        person=np.array([""] * len(area)),
        admissions=n, discharged=n, escalated=zeros, los_days_sum=n * 5,
        stays_over_14_days=zeros, readings_expected=zeros, readings_received=zeros,
        own_device_yes=n, own_device_no=zeros, broadband_yes=n, broadband_no=zeros,
    )  # fmt: skip


def _cell(audit: dict, group: str) -> int | None:
    return next(r["admissions"] for r in audit["groups"] if r["group"] == group)


@settings(max_examples=12, deadline=None)
@given(
    a=st.lists(st.integers(0, 60), min_size=4, max_size=4),
    b=st.lists(st.integers(0, 9), min_size=2, max_size=2),
)
def test_a_population_is_shown_or_hidden_alike_in_every_table(a: list[int], b: list[int]) -> None:
    """England's `icb` row for ICB B, its `sub_icb` row and B's own total are one population."""
    areas = _one_sub_icb_areas()
    uptake = _uptake([0, 1, 2, 3, 4, 5], [*a, *b])
    icb = build_audit(areas, uptake, cut="icb", icb=None, repetitions=200)
    sub = build_audit(areas, uptake, cut="sub_icb", icb=None, repetitions=200)
    own = build_audit(areas, uptake, cut="imd_quintile", icb="E54000002", repetitions=200)
    assert _cell(icb, "E54000002") == _cell(sub, "E38000003") == own["total"]["admissions"]
    need = {p["icb_code"]: p for p in icb["need"]["points"]}
    core20 = build_audit(areas, uptake, cut="core20", icb="E54000001", repetitions=200)
    if "E54000001" in need:
        assert need["E54000001"]["observed_core20_admissions"] == _cell(core20, "core20")
