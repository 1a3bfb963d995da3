import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest

from services.ward_api.domain.capacity import BandStatus, assess_capacity
from services.ward_api.domain.planning import (
    CapacityPlan,
    NeedWeights,
    PlanningArea,
    ShareReason,
    beds_for_budget,
    plan_beds,
    plan_budget,
)
from services.ward_api.domain.sitrep import SitrepRow

THREE = [
    PlanningArea("C", beds=100, population=200_000),  # 50 per 100k: at the ceiling
    PlanningArea("B", beds=30, population=100_000),  # 30
    PlanningArea("A", beds=10, population=100_000),  # 10: furthest below
]


def _reference(
    areas: list[PlanningArea],
    beds: int,
    weights: dict[str, Decimal] | None = None,
    allow_above_band: bool = False,
) -> tuple[dict[str, int], int]:
    """Bed-by-bed scan: each bed to the lowest (rate, code) that may still take one."""
    weight = weights or {}
    effective = {a.code: a.population * Fraction(weight.get(a.code, 1)) for a in areas}
    ceiling = {code: math.floor(50 * e / 100_000) for code, e in effective.items()}
    given = dict.fromkeys(effective, 0)
    start = {a.code: a.beds for a in areas}

    def fill(left: int, capped: bool) -> int:
        while left:
            options = [
                (Fraction((start[c] + given[c]) * 100_000) / effective[c], c)
                for c in effective
                if not capped or start[c] + given[c] < ceiling[c]
            ]
            if not options:
                break
            given[min(options)[1]] += 1
            left -= 1
        return left

    left = fill(beds, capped=True)
    if allow_above_band:
        left = fill(left, capped=False)
    return given, left


def _given(plan: CapacityPlan) -> dict[str, int]:
    return {share.code: share.beds_given for share in plan.areas}


def test_hand_worked_plan_lifts_the_lowest_first() -> None:
    # A needs 20 beds to reach B's 30; the last 10 alternate A, B (A first on the tie by code).
    plan = plan_beds(THREE, 30)
    assert _given(plan) == {"A": 25, "B": 5, "C": 0}
    assert plan.area("A").per_100k_after == Decimal(35) == plan.area("B").per_100k_after
    assert plan.area("A").reason is ShareReason.LIFTED_FROM_BELOW_BAND
    assert plan.area("C").reason is ShareReason.AT_CEILING
    assert plan.area("A").explanation.startswith("10.00 → 35.00 per 100k with 25 bed(s)")
    assert [s.code for s in plan.areas] == ["A", "B", "C"]


def test_beds_short_of_band_are_not_reached() -> None:
    plan = plan_beds(THREE, 5)
    assert _given(plan) == {"A": 5, "B": 0, "C": 0}
    assert plan.area("B").reason is ShareReason.NOT_REACHED


def test_remainder_is_unallocated_once_every_area_is_at_50() -> None:
    # Room to 50: A 40, B 20, C 0 → 60 beds; 70 requested leaves 10 unallocated.
    plan = plan_beds(THREE, 70)
    assert _given(plan) == {"A": 40, "B": 20, "C": 0}
    assert (plan.allocated_beds, plan.unallocated_beds) == (60, 10)
    assert all(s.status_after is BandStatus.WITHIN for s in plan.areas)


def test_remainder_can_be_spread_above_the_band_on_request() -> None:
    plan = plan_beds(THREE, 70, allow_above_band=True)
    assert (plan.allocated_beds, plan.unallocated_beds) == (70, 0)
    assert _given(plan) == {"A": 43, "B": 23, "C": 4}  # 10 more, lowest rate first
    assert plan.area("C").reason is ShareReason.GIVEN_ABOVE_BAND


def test_an_area_one_bed_would_jump_past_50_is_left_and_explained() -> None:
    ward = PlanningArea("W1", beds=0, population=1_500)  # one bed = 66.7 per 100k
    plan = plan_beds([ward, PlanningArea("W2", beds=0, population=10_000)], 3)
    assert _given(plan) == {"W1": 0, "W2": 3}
    assert plan.area("W1").reason is ShareReason.STEP_TOO_LARGE
    assert "66.67" in plan.area("W1").explanation


def test_need_weights_change_the_share_and_are_recorded() -> None:
    areas = [PlanningArea("A", 0, 100_000), PlanningArea("B", 0, 100_000)]
    weights = NeedWeights(
        "IMD 2019 Core20 share (test)", {"A": Decimal("1.5"), "B": Decimal(1), "Z": Decimal(9)}
    )
    plan = plan_beds(areas, 50, weights=weights)
    # Effective populations 150,000 and 100,000: equal rates at 30 and 20 beds.
    assert _given(plan) == {"A": 30, "B": 20}
    assert plan.weights == NeedWeights(weights.source, {"A": Decimal("1.5"), "B": Decimal(1)})
    assert plan.area("A").effective_population == Decimal(150_000)
    assert plan.area("A").effective_per_100k_after == Decimal(20)
    assert plan.area("A").per_100k_after == Decimal(30)


@pytest.mark.parametrize(
    ("weights", "message"),
    [({"A": Decimal(1)}, "no need weight"), ({"A": Decimal(1), "B": Decimal(0)}, "positive")],
)
def test_weights_must_cover_every_area_and_be_positive(weights: dict, message: str) -> None:
    areas = [PlanningArea("A", 0, 100_000), PlanningArea("B", 0, 100_000)]
    with pytest.raises(ValueError, match=message):
        plan_beds(areas, 1, weights=NeedWeights("test", weights))


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        plan_beds([THREE[0], THREE[0]], 1)
    with pytest.raises(ValueError, match="non-negative"):
        plan_beds(THREE, -1)
    with pytest.raises(ValueError, match="positive"):
        plan_beds([PlanningArea("A", 0, 0)], 1)


def test_budget_buys_whole_beds_rounded_down() -> None:
    assert beds_for_budget(Decimal(17_899)) == 0
    assert beds_for_budget(Decimal(17_900)) == 1
    budget = plan_budget(THREE, Decimal(1_000_000))
    assert budget.beds == 55  # 1,000,000 / 17,900 = 55.87
    assert budget.unspent == Decimal(15_500)
    assert budget.plan.requested_beds == 55
    with pytest.raises(ValueError, match="positive"):
        beds_for_budget(Decimal(1), Decimal(0))


def _random_case(seed: int) -> tuple[list[PlanningArea], int, dict[str, Decimal] | None]:
    rng = random.Random(seed)
    count = rng.randint(1, 25)
    areas = [
        PlanningArea(f"W{i:03d}", rng.randint(0, 40), rng.choice([1_000, 8_000, 60_000, 250_000]))
        for i in range(count)
    ]
    weights = None
    if seed % 2:
        weights = {a.code: Decimal(rng.randint(70, 140)) / 100 for a in areas}
    return areas, rng.randint(0, 400), weights


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("allow_above_band", [False, True])
def test_plan_equals_bed_by_bed_water_filling(seed: int, allow_above_band: bool) -> None:
    areas, beds, weights = _random_case(seed)
    need = NeedWeights("test", weights) if weights else None
    plan = plan_beds(areas, beds, weights=need, allow_above_band=allow_above_band)
    expected, left = _reference(areas, beds, weights, allow_above_band)
    assert (_given(plan), plan.unallocated_beds) == (expected, left)


@pytest.mark.parametrize("seed", range(24))
def test_plan_invariants(seed: int) -> None:
    areas, beds, weights = _random_case(seed)
    need = NeedWeights("test", weights) if weights else None
    plan = plan_beds(areas, beds, weights=need)
    assert plan.allocated_beds + plan.unallocated_beds == beds
    assert sum(s.beds_given for s in plan.areas) == plan.allocated_beds
    for share in plan.areas:
        if share.beds_given:  # no bed ever takes an area above 50
            assert share.effective_per_100k_after <= 50
    if plan.unallocated_beds:  # only when nobody can take another bed inside the band
        assert all(s.reason is not ShareReason.NOT_REACHED for s in plan.areas)
    shuffled = areas[:]
    random.Random(seed).shuffle(shuffled)
    assert plan_beds(shuffled, beds, weights=need) == plan


@pytest.mark.parametrize("seed", range(12))
def test_never_above_50_while_another_below_40(seed: int) -> None:
    areas, beds, _ = _random_case(seed)
    plan = plan_beds(areas, beds)
    pushed_above = [s for s in plan.areas if s.beds_given and s.status_after is BandStatus.ABOVE]
    assert pushed_above == []


def test_sitrep_shortfall_is_closed_exactly(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    icbs = [r for r in sitrep_rows if r.period == "2024-07" and not r.is_england]
    areas = [PlanningArea(r.icb_code, r.capacity, r.population, r.icb_name) for r in icbs]
    shortfall = {
        r.icb_code: assess_capacity(r.icb_code, r.capacity, r.denominator).short_of_lower
        for r in icbs
    }
    plan = plan_beds(areas, sum(shortfall.values()))
    assert _given(plan) == shortfall
    assert all(s.status_after is BandStatus.WITHIN for s in plan.areas)


def test_hundreds_of_wards_and_thousands_of_beds_are_allocated() -> None:
    """Timed in bench/pure.py, not here: a unit test must not fail because a machine is busy."""
    rng = random.Random(7)
    wards = [
        PlanningArea(f"W{i:04d}", rng.randint(0, 30), rng.randint(20_000, 120_000))
        for i in range(400)
    ]
    plan = plan_beds(wards, 8_000, allow_above_band=True)
    assert plan.allocated_beds == 8_000
