"""domain/inclusion.py: expected admissions, need shares with Wilson limits, and their cost.

Every expected figure below is worked by hand in the comment beside it.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ward_api.domain.inclusion import (
    DEFAULT_UNIT_COSTS,
    AreaCell,
    CellKey,
    CostItem,
    IndicatorAssumptions,
    Need,
    ObservedCell,
    ShareEstimate,
    core20_shares,
    cost_needs,
    deri_quintile,
    estimate_share,
    expected_admissions,
    imd_quintile,
    inclusion_cost_per_bed,
    indicator_share,
    needs_of,
    plan_budget_with_inclusion,
    voluntary_hours_per_week,
)
from services.ward_api.domain.planning import PlanningArea, plan_beds

COSTS = {item: unit.value for item, unit in DEFAULT_UNIT_COSTS.items()}
A = CellKey(1, 1)
B = CellKey(3, 2)


def test_expected_admissions_worked() -> None:
    # 10 beds × 0.8 × 365 / 8 = 2920 / 8 = 365 admissions a year.
    e = expected_admissions(10, Decimal("0.8"), Decimal(8))
    assert e.admissions == Decimal(365)
    assert e.working == "10 beds × 0.8 occupancy × 365 days ÷ 8 days mean stay = 365.00"
    # 3 beds × 0.7 × 30 / 7 = 63 / 7 = 9.
    assert expected_admissions(3, Decimal("0.7"), Decimal(7), 30).admissions == Decimal(9)


@pytest.mark.parametrize(
    ("beds", "occupancy", "los", "period"),
    [(-1, "0.5", 7, 365), (1, "1.01", 7, 365), (1, "0.5", 0, 365), (1, "0.5", 7, 0)],
)
def test_expected_admissions_refuses_nonsense(beds, occupancy, los, period) -> None:
    with pytest.raises(ValueError, match=r"."):
        expected_admissions(beds, Decimal(occupancy), Decimal(los), period)


@given(
    beds=st.integers(0, 10_000),
    occ=st.decimals(0, 1, places=3),
    los=st.integers(1, 60),
)
def test_expected_admissions_scale_with_beds(beds: int, occ: Decimal, los: int) -> None:
    one = expected_admissions(1, occ, Decimal(los)).admissions
    got = expected_admissions(beds, occ, Decimal(los)).admissions
    assert abs(got - one * beds) < Decimal("1e-20")  # equal up to Decimal's 28 digits


@pytest.mark.parametrize(
    ("device", "broadband", "housing", "needs"),
    [
        (True, True, False, set()),
        (True, False, False, {Need.DEVICE, Need.VOLUNTARY}),
        (False, True, False, {Need.DEVICE, Need.VOLUNTARY}),
        (False, False, False, {Need.FACE_TO_FACE, Need.VOLUNTARY}),
        (True, True, True, {Need.HOUSING, Need.VOLUNTARY}),
        (False, False, True, {Need.FACE_TO_FACE, Need.HOUSING, Need.VOLUNTARY}),
    ],
)
def test_needs_of(device: bool, broadband: bool, housing: bool, needs: set[Need]) -> None:
    got = needs_of(own_device=device, broadband=broadband, housing_concern=housing)
    assert got == needs
    # A loaned device and face-to-face observation are alternatives, never both.
    assert not {Need.DEVICE, Need.FACE_TO_FACE} <= got


def test_quintiles() -> None:
    assert [imd_quintile(d) for d in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert [deri_quintile(r, 10) for r in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert deri_quintile(1, 32_844) == 1 and deri_quintile(32_844, 32_844) == 5
    with pytest.raises(ValueError, match="decile"):
        imd_quintile(0)


def test_indicator_shares_worked() -> None:
    # DERI 4 in an England of mean 2: ratio 2, so device 0.06 × 2 = 0.12, face to face 0.08;
    # housing 0.2 as given; voluntary 1 − (1 − 0.12 − 0.08)(1 − 0.2) = 1 − 0.8 × 0.8 = 0.36.
    cell = AreaCell(B, 100, deri_mean=4.0, housing_poor_mean=0.2)
    a = IndicatorAssumptions(england_deri_mean=2.0)
    assert indicator_share(Need.DEVICE, cell, a) == pytest.approx(0.12)
    assert indicator_share(Need.FACE_TO_FACE, cell, a) == pytest.approx(0.08)
    assert indicator_share(Need.HOUSING, cell, a) == pytest.approx(0.2)
    assert indicator_share(Need.VOLUNTARY, cell, a) == pytest.approx(0.36)
    # An absurd ratio is capped so the two digital shares sum to 1 and keep their 6:4 ratio.
    extreme = IndicatorAssumptions(england_deri_mean=0.01)
    assert indicator_share(Need.DEVICE, cell, extreme) == pytest.approx(0.6)
    assert indicator_share(Need.FACE_TO_FACE, cell, extreme) == pytest.approx(0.4)


def test_share_mixes_platform_and_indicator_cells() -> None:
    # Cell A: 300 people, 30 platform admissions, 15 lacking one of device/broadband:
    # p = 0.5, Wilson 95% (2·15 + z² ± z√(z² + 4·15·0.5)) / 2(30 + z²) = 0.33153, 0.66847.
    # Cell B: 100 people, 29 admissions (< 30): indicator 0.06 × 4 / 2 = 0.12.
    # Share 0.75·0.5 + 0.25·0.12 = 0.405; limits 0.75·0.33153 + 0.03 = 0.27865 and 0.53135.
    cells = [
        AreaCell(A, 300, deri_mean=1.0, housing_poor_mean=0.1),
        AreaCell(B, 100, deri_mean=4.0, housing_poor_mean=0.2),
    ]
    observed = {
        A: ObservedCell(30, {Need.DEVICE: 15}),
        B: ObservedCell(29, {Need.DEVICE: 29}),
    }
    a = IndicatorAssumptions(england_deri_mean=2.0)
    s = estimate_share(Need.DEVICE, cells, observed, a)
    assert s.share == pytest.approx(0.405)
    assert s.lower == pytest.approx(0.27865, abs=1e-5)
    assert s.upper == pytest.approx(0.53135, abs=1e-5)
    assert (s.population, s.platform_population, s.admissions_used) == (400, 300, 30)
    assert s.source == "platform admissions and area indicators"
    only_indicators = estimate_share(Need.DEVICE, cells, {}, a)
    # 0.75 · (0.06 · 1/2) + 0.25 · 0.12 = 0.0225 + 0.03 = 0.0525, no sampling interval.
    assert only_indicators.share == pytest.approx(0.0525)
    assert only_indicators.lower == only_indicators.upper == only_indicators.share
    assert only_indicators.source == "area indicators"


@given(
    cells=st.lists(
        st.tuples(
            st.integers(1, 10_000),
            st.floats(0, 10),
            st.floats(0, 1),
            st.integers(0, 200),
            st.integers(0, 200),
        ),
        min_size=1,
        max_size=25,
    ),
    need=st.sampled_from(list(Need)),
)
def test_share_is_a_proportion_within_its_limits(cells, need: Need) -> None:
    area, observed = [], {}
    for i, (pop, deri, housing, n, x) in enumerate(cells):
        key = CellKey(i // 5 + 1, i % 5 + 1)
        area.append(AreaCell(key, pop, deri, housing))
        observed[key] = ObservedCell(n, {need: min(x, n)})
    s = estimate_share(need, area, observed, IndicatorAssumptions(england_deri_mean=2.5))
    assert 0 <= s.lower <= s.share + 1e-12
    assert s.share <= s.upper + 1e-12 and s.upper <= 1


def test_costs_worked() -> None:
    # 365 admissions (10 beds × 0.8 × 365 / 8). Shares (4 dp) and default unit costs:
    # device 0.1 × 365 = 36.5 admissions × £25 = £912.50
    # face to face 0.05 × 365 = 18.25 × (1 visit × 8 days × £62 = £496) = £9,052.00
    # housing 0.2 × 365 = 73 × £120 = £8,760.00
    # voluntary 0.3 × 365 = 109.5 × (4 h × £20 = £80) = £8,760.00; total £27,484.50.
    # Voluntary hours a week: 109.5 × 4 = 438 hours over 365/7 weeks = 8.4 hours a week.
    expected = expected_admissions(10, Decimal("0.8"), Decimal(8))

    def est(need: Need, p: float, lo: float, hi: float) -> ShareEstimate:
        return ShareEstimate(
            need, p, lo, hi, population=1, platform_population=1, admissions_used=100
        )

    costing = cost_needs(
        expected,
        [
            est(Need.DEVICE, 0.1, 0.05, 0.15),
            est(Need.FACE_TO_FACE, 0.05, 0.04, 0.06),
            est(Need.HOUSING, 0.2, 0.2, 0.2),
            est(Need.VOLUNTARY, 0.3, 0.25, 0.35),
        ],
        COSTS,
    )
    by_need = {n.estimate.need: n for n in costing.needs}
    assert by_need[Need.DEVICE].cost == Decimal("912.50")
    assert by_need[Need.DEVICE].cost_lower == Decimal("456.25")  # 365 × 0.05 × 25
    assert by_need[Need.FACE_TO_FACE].cost_per_admission == Decimal("496.00")
    assert by_need[Need.FACE_TO_FACE].cost == Decimal("9052.00")
    assert by_need[Need.HOUSING].cost == Decimal("8760.00")
    assert by_need[Need.VOLUNTARY].cost == Decimal("8760.00")
    assert costing.total == Decimal("27484.50")
    assert voluntary_hours_per_week(costing, COSTS) == Decimal("8.40")
    assert by_need[Need.FACE_TO_FACE].working == (
        "365.00 admissions × 0.0500 share × (1 visits a day × 8 days × £62 a visit = £496.00)"
        " = £9052.00"
    )


def test_every_cost_item_has_a_cited_default() -> None:
    assert set(DEFAULT_UNIT_COSTS) == set(CostItem)
    assert all(u.citation for u in DEFAULT_UNIT_COSTS.values())
    assert "Unit Costs of Health and Social Care 2023" in (
        DEFAULT_UNIT_COSTS[CostItem.NURSE_VISIT].citation
    )


def test_core20_share_of_admissions_without_inclusion_worked() -> None:
    # Core20 cell A: 300 people, DERI 4 (ratio 2 to England's 2): device 0.12 + face to face
    # 0.08 lost, so 300 × 0.8 = 240 reached. Cell B: 100 people, DERI 1 (ratio 0.5): 0.03 +
    # 0.02 lost, 95 reached. Population share 300/400 = 0.75; admissions without inclusion
    # 240 / (240 + 95) = 0.716418; with inclusion funded, 0.75 again.
    cells = [AreaCell(A, 300, 4.0, 0.1), AreaCell(B, 100, 1.0, 0.1)]
    shares = core20_shares(cells, {}, IndicatorAssumptions(england_deri_mean=2.0))
    assert shares.population == pytest.approx(0.75)
    assert shares.admissions_without_inclusion == pytest.approx(240 / 335)
    assert shares.admissions_with_inclusion == pytest.approx(0.75)


def test_inclusion_cost_per_bed_worked() -> None:
    # One bed: 0.8 × 365 / 8 = 36.5 admissions; device 0.1 × £25 + housing 0.2 × £120
    # = £2.50 + £24 = £26.50 an admission, so 36.5 × 26.5 = £967.25 a bed.
    estimates = [
        ShareEstimate(Need.DEVICE, 0.1, 0.1, 0.1, 1, 0, 0),
        ShareEstimate(Need.HOUSING, 0.2, 0.2, 0.2, 1, 0, 0),
    ]
    assert inclusion_cost_per_bed(Decimal("0.8"), Decimal(8), estimates, COSTS) == Decimal("967.25")


def test_budget_split_between_beds_and_inclusion_worked() -> None:
    # £90,000 buys floor(90,000 / 17,900) = 5 beds alone, all to A (10 per 100k, lowest).
    # With A's inclusion at £1,000 a bed, 5 beds cost 89,500 + 5,000 = 94,500 > 90,000, and
    # 4 cost 71,600 + 4,000 = 75,600: 4 beds, £14,400 unspent.
    areas = [PlanningArea("A", 10, 100_000), PlanningArea("B", 30, 100_000)]
    split = plan_budget_with_inclusion(
        areas,
        Decimal(90_000),
        cost_per_bed=Decimal(17_900),
        inclusion_per_bed={"A": Decimal(1_000), "B": Decimal(500)},
    )
    assert split.budget.plan.area("A").beds_given == 4
    assert (split.beds_cost, split.inclusion_cost) == (Decimal(71_600), Decimal(4_000))
    assert split.budget.unspent == Decimal(14_400)


@given(
    areas=st.lists(
        st.tuples(st.integers(0, 200), st.integers(10_000, 2_000_000), st.integers(0, 5_000)),
        min_size=1,
        max_size=6,
    ),
    budget=st.integers(0, 5_000_000),
    above=st.booleans(),
)
def test_budget_split_buys_the_most_beds_that_fit(areas, budget: int, above: bool) -> None:
    planning = [PlanningArea(f"A{i}", b, p) for i, (b, p, _) in enumerate(areas)]
    per_bed = {f"A{i}": Decimal(c) for i, (_, _, c) in enumerate(areas)}
    cost = Decimal(17_900)
    split = plan_budget_with_inclusion(
        planning,
        Decimal(budget),
        cost_per_bed=cost,
        inclusion_per_bed=per_bed,
        allow_above_band=above,
    )
    assert split.beds_cost + split.inclusion_cost + split.budget.unspent == budget
    assert split.budget.unspent >= 0
    n = split.budget.beds
    if n < budget // 17_900:  # one more bed requested would not have fitted
        more = plan_beds(planning, n + 1, allow_above_band=above)
        spend = sum(s.beds_given * (cost + per_bed[s.code]) for s in more.areas)
        assert spend > budget


@pytest.mark.parametrize(("x", "platform"), [(0, True), (3, False), (8, True), (25, False)])
def test_a_cell_count_that_would_be_suppressed_is_not_used(x: int, platform: bool) -> None:
    """A platform share x/n with x or n − x in 1–7 would let a reader recover a count the
    audit suppresses (the weights and indicator shares are public), so such a cell falls
    back to the area indicator for that need: 3 of 30 and 25 of 30 (5 without) do not show."""
    cells = [AreaCell(A, 100, 2.0, 0.1)]
    observed = {A: ObservedCell(30, {Need.DEVICE: x})}
    s = estimate_share(Need.DEVICE, cells, observed, IndicatorAssumptions(england_deri_mean=2.0))
    assert (s.platform_population == 100) is platform
    assert s.share == pytest.approx(x / 30 if platform else 0.06)
