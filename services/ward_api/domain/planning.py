"""Capacity planning: share new virtual-ward beds across areas to bring them into the 40–50 band.

The rule is water-filling on beds per 100,000 (effective) population, one whole bed at a time:

1. Each bed goes to the area with the lowest rate; ties go to the smaller area code. So the
   areas furthest below 40 are lifted first and the result does not depend on input order.
2. An area only receives a bed if that bed keeps it at or below 50. No bed ever takes an area
   above 50, so no area is pushed above 50 while another is below 40. An area whose population
   is so small that one bed jumps it past 50 is left alone and its result says why.
3. When every area is at its ceiling, the remainder is **left unallocated** by default and
   reported: beds above the band are outside the ambition and should be a deliberate decision.
   With ``allow_above_band=True`` the remainder keeps water-filling above 50, lowest rate first.

Need-weighting: ``effective population = population × weight`` (e.g. a deprivation weight).
Ranking, ceilings and band status all use the effective population, as with needs-weighted
capitation; each area's result also shows its rate on the unweighted population, and the plan
records the weights it used and where they came from.

Beds are handed out through a heap keyed by (rate, code): O((areas + beds) · log areas).
"""

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from .capacity import (
    BAND_LOWER,
    BAND_UPPER,
    DEFAULT_COST_PER_BED,
    PER_POPULATION,
    BandStatus,
    band_status,
    round_half_up,
)

__all__ = [
    "AreaShare",
    "BudgetPlan",
    "CapacityPlan",
    "NeedWeights",
    "PlanningArea",
    "ShareReason",
    "beds_for_budget",
    "plan_beds",
    "plan_budget",
]


@dataclass(frozen=True, slots=True)
class PlanningArea:
    """An area to plan for: an ICB, or a ward within an ICB, with its beds and population."""

    code: str
    beds: int
    population: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class NeedWeights:
    """Population weights per area code (> 0) and a note of where they came from."""

    source: str
    by_code: Mapping[str, Decimal] = field(default_factory=dict)


class ShareReason(StrEnum):
    """Why an area received the beds it did."""

    LIFTED_FROM_BELOW_BAND = "lifted_from_below_band"
    TOPPED_UP_WITHIN_BAND = "topped_up_within_band"
    GIVEN_ABOVE_BAND = "given_above_band"
    AT_CEILING = "at_ceiling"
    STEP_TOO_LARGE = "step_too_large"
    NOT_REACHED = "not_reached"


@dataclass(frozen=True, slots=True)
class AreaShare:
    """One area's part of a plan, before and after, with the reason in words."""

    code: str
    name: str
    population: int
    weight: Decimal
    effective_population: Decimal
    beds_before: int
    beds_given: int
    per_100k_before: Decimal
    per_100k_after: Decimal
    effective_per_100k_before: Decimal
    effective_per_100k_after: Decimal
    status_before: BandStatus
    status_after: BandStatus
    reason: ShareReason
    explanation: str

    @property
    def beds_after(self) -> int:
        """Beds once the plan is carried out."""
        return self.beds_before + self.beds_given


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """The outcome of sharing ``requested_beds``; allocated + unallocated == requested."""

    requested_beds: int
    allocated_beds: int
    unallocated_beds: int
    lower: Decimal
    upper: Decimal
    allow_above_band: bool
    weights: NeedWeights | None
    areas: tuple[AreaShare, ...]

    def area(self, code: str) -> AreaShare:
        """The share for one area code; KeyError if it was not in the plan."""
        for share in self.areas:
            if share.code == code:
                return share
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class BudgetPlan:
    """A plan for as many whole beds as a budget buys, and the money left over."""

    budget: Decimal
    cost_per_bed: Decimal
    beds: int
    unspent: Decimal
    plan: CapacityPlan


def beds_for_budget(budget: Decimal, cost_per_bed: Decimal = DEFAULT_COST_PER_BED) -> int:
    """Whole beds a budget buys: floor(budget ÷ cost per bed), computed exactly."""
    if budget < 0:
        raise ValueError(f"budget must be non-negative, got {budget}")
    if cost_per_bed <= 0:
        raise ValueError(f"cost per bed must be positive, got {cost_per_bed}")
    return math.floor(Fraction(budget) / Fraction(cost_per_bed))


@dataclass(slots=True)
class _State:
    area: PlanningArea
    weight: Decimal
    effective: Fraction
    ceiling: int  # most beds that keep the effective rate at or below the upper bound
    given: int = 0

    def rate(self, extra: int = 0) -> Fraction:
        return (self.area.beds + self.given + extra) * PER_POPULATION / self.effective


def _states(
    areas: Sequence[PlanningArea], weights: NeedWeights | None, upper: Decimal
) -> list[_State]:
    codes = [a.code for a in areas]
    if len(set(codes)) != len(codes):
        raise ValueError("area codes must be unique")
    states = []
    for area in sorted(areas, key=lambda a: a.code):
        if area.population <= 0 or area.beds < 0:
            raise ValueError(f"{area.code}: population must be positive and beds non-negative")
        weight = Decimal(1)
        if weights is not None:
            if area.code not in weights.by_code:
                raise ValueError(f"{area.code}: no need weight in {weights.source!r}")
            weight = weights.by_code[area.code]
            if not weight > 0:
                raise ValueError(f"{area.code}: need weight must be positive, got {weight}")
        effective = area.population * Fraction(weight)
        ceiling = math.floor(Fraction(upper) * effective / PER_POPULATION)
        states.append(_State(area, weight, effective, ceiling))
    return states


def _room(state: _State, capped: bool) -> int | None:
    """Beds the area can still take (None = no limit)."""
    return max(0, state.ceiling - state.area.beds - state.given) if capped else None


def _beds_below(state: _State, level: Fraction, room: int | None) -> int:
    """Beds whose rate before they are added is strictly below ``level``."""
    count = max(
        0, math.ceil(level * state.effective / PER_POPULATION) - state.area.beds - state.given
    )
    return count if room is None else min(count, room)


def _level_fill(states: list[_State], beds: int, *, capped: bool) -> int:
    """Give in one step every bed below the highest level L that needs no more than ``beds``.

    Greedy lowest-first hands out beds in increasing (rate, code) order, so the beds with rate
    below L are exactly its first picks: skipping ahead to L gives the same answer, fast. L is
    found by float bisection and then checked exactly; the heap does the last few beds.
    """
    rooms = [_room(s, capped) for s in states]
    floats = [float(s.effective) for s in states]
    current = [s.area.beds + s.given for s in states]

    def rough(level: float) -> int:
        total = 0
        for room, eff, cur in zip(rooms, floats, current, strict=True):
            k = max(0, math.ceil(level * eff / PER_POPULATION) - cur)
            total += k if room is None else min(k, room)
        return total

    low, high = (
        0.0,
        max((c + beds) * PER_POPULATION / e for c, e in zip(current, floats, strict=True)),
    )
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if rough(middle) <= beds else (low, middle)
    level = Fraction(low)
    while True:
        counts = [_beds_below(s, level, room) for s, room in zip(states, rooms, strict=True)]
        if sum(counts) <= beds:
            break
        level = level * Fraction(999_999, 1_000_000)  # float error overshot: step down, recheck
    for state, count in zip(states, counts, strict=True):
        state.given += count
    return beds - sum(counts)


def _water_fill(states: list[_State], beds: int, *, capped: bool) -> int:
    """Give beds one at a time to the lowest (rate, code); return the beds left over."""
    if beds > len(states):
        beds = _level_fill(states, beds, capped=capped)

    def open_(s: _State) -> bool:
        return not capped or s.area.beds + s.given < s.ceiling

    heap = [(s.rate(), s.area.code, i) for i, s in enumerate(states) if open_(s)]
    heapq.heapify(heap)
    while beds and heap:
        _, code, i = heapq.heappop(heap)
        state = states[i]
        state.given += 1
        beds -= 1
        if open_(state):
            heapq.heappush(heap, (state.rate(), code, i))
    return beds


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _shown(rate: Fraction) -> Decimal:
    return round_half_up(_decimal(rate), 2)


def _reason(state: _State, lower: Fraction, upper: Fraction) -> tuple[ShareReason, str]:
    before, after, at_ceiling = (
        state.rate(-state.given),
        state.rate(),
        state.area.beds >= state.ceiling,
    )
    if state.given and after > upper:
        return ShareReason.GIVEN_ABOVE_BAND, "every area was at its ceiling; remainder spread"
    if state.given and before < lower:
        return ShareReason.LIFTED_FROM_BELOW_BAND, "below the band, lifted lowest-first"
    if state.given:
        return ShareReason.TOPPED_UP_WITHIN_BAND, "within the band, filled lowest-first"
    if at_ceiling and before < lower:
        jump = _shown(state.rate(1))
        return ShareReason.STEP_TOO_LARGE, f"below the band but one bed would take it to {jump}"
    if at_ceiling:
        return ShareReason.AT_CEILING, f"one more bed would take it above {upper}"
    return ShareReason.NOT_REACHED, "beds ran out before its rate was the lowest"


def _share(state: _State, lower: Decimal, upper: Decimal) -> AreaShare:
    area, given = state.area, state.given
    before, after = state.rate(-given), state.rate()
    reason, text = _reason(state, Fraction(lower), Fraction(upper))
    explanation = f"{_shown(before)} → {_shown(after)} per 100k with {given} bed(s): {text}"
    return AreaShare(
        code=area.code,
        name=area.name,
        population=area.population,
        weight=state.weight,
        effective_population=_decimal(state.effective),
        beds_before=area.beds,
        beds_given=given,
        per_100k_before=Decimal(area.beds) * PER_POPULATION / area.population,
        per_100k_after=Decimal(area.beds + given) * PER_POPULATION / area.population,
        effective_per_100k_before=_decimal(before),
        effective_per_100k_after=_decimal(after),
        status_before=band_status(_decimal(before), lower, upper),
        status_after=band_status(_decimal(after), lower, upper),
        reason=reason,
        explanation=explanation,
    )


def plan_beds(
    areas: Sequence[PlanningArea],
    new_beds: int,
    *,
    weights: NeedWeights | None = None,
    lower: Decimal = BAND_LOWER,
    upper: Decimal = BAND_UPPER,
    allow_above_band: bool = False,
) -> CapacityPlan:
    """Share ``new_beds`` across ``areas`` by water-filling beds per 100k (see module docstring)."""
    if new_beds < 0:
        raise ValueError(f"new beds must be non-negative, got {new_beds}")
    if not 0 <= lower <= upper:
        raise ValueError(f"band must satisfy 0 ≤ lower ≤ upper, got {lower}–{upper}")
    states = _states(areas, weights, upper)
    left = _water_fill(states, new_beds, capped=True)
    if allow_above_band:
        left = _water_fill(states, left, capped=False)
    used = None
    if weights is not None:
        used = NeedWeights(weights.source, {s.area.code: s.weight for s in states})
    return CapacityPlan(
        requested_beds=new_beds,
        allocated_beds=new_beds - left,
        unallocated_beds=left,
        lower=lower,
        upper=upper,
        allow_above_band=allow_above_band,
        weights=used,
        areas=tuple(_share(s, lower, upper) for s in states),
    )


def plan_budget(
    areas: Sequence[PlanningArea],
    budget: Decimal,
    *,
    cost_per_bed: Decimal = DEFAULT_COST_PER_BED,
    weights: NeedWeights | None = None,
    allow_above_band: bool = False,
) -> BudgetPlan:
    """Plan as many beds as ``budget`` buys at ``cost_per_bed`` (whole beds, rounded down)."""
    beds = beds_for_budget(budget, cost_per_bed)
    plan = plan_beds(areas, beds, weights=weights, allow_above_band=allow_above_band)
    return BudgetPlan(budget, cost_per_bed, beds, budget - beds * cost_per_bed, plan)
