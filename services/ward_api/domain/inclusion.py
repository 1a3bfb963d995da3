"""Inclusion need and its cost: what a virtual ward's admissions need so it does not widen the gap.

The arithmetic, in the order a plan uses it (no I/O; every figure carries its working):

1. **Expected admissions** over a period = beds × occupancy × period days / mean length of stay.
2. **Needs** of an admission, from what was recorded at registration (disjoint, except the last):
   - ``device_or_connectivity``: lacks exactly one of an own device and broadband, so a loaned
     device *or* a data plan lets them be monitored remotely;
   - ``face_to_face``: lacks both (the most digitally excluded), so is observed in person
     instead of remotely (NHS England: alternatives to remote monitoring must be available);
   - ``housing_or_welfare``: a housing concern, so needs a housing or welfare assessment;
   - ``voluntary_sector``: any of the above, as the proxy for carer support, befriending and
     practical help (nothing at registration records that need directly; an assumption).
3. **Shares** of admissions with each need, per cell of IMD 2019 quintile × DERI quintile
   (1 = most deprived / most at risk of digital exclusion). A cell with at least
   ``min_admissions`` platform admissions (all wards, nationally) uses their observed share with
   Wilson score limits, unless the count with (or without) the need is one equity_audit would
   suppress (1–7); any other cell falls back to the area indicators of the area's own LSOAs in
   that cell:
   - digital needs: a national baseline share (a stated assumption) × the cell's population-
     weighted DERI score ÷ England's, capped so the two digital shares sum to at most 1;
   - housing: the cell's population-weighted IoD2019 "housing in poor condition" proportion;
   - voluntary sector: the union of the two under independence, 1 − (1 − digital)(1 − housing).
   The area's share is the population-weighted mean of its cells' shares (admissions are assumed
   to come from each cell in proportion to its population). Its limits are the same weighted
   means of the cells' limits, with indicator cells contributing their point value: a bound that
   shows the sampling uncertainty of the platform part only, not a joint interval.
4. **Cost** per admission with the need (unit costs per ICB, cited defaults): a device and data
   plan per stay; visits per day × length of stay × a community nurse visit; one housing
   assessment; voluntary-sector hours per stay × cost per hour. Area cost = expected admissions ×
   share × cost per admission, at the share and at its limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.equity_audit.domain.disclosure import DEFAULT_POLICY
from services.equity_audit.methods.intervals import wilson_limits
from services.ward_api.domain.planning import (
    BudgetPlan,
    CapacityPlan,
    NeedWeights,
    PlanningArea,
    beds_for_budget,
    plan_beds,
)

__all__ = [
    "CORE20_IMD_QUINTILE",
    "DEFAULT_UNIT_COSTS",
    "MIN_CELL_ADMISSIONS",
    "AreaCell",
    "CellKey",
    "Core20Shares",
    "CostItem",
    "ExpectedAdmissions",
    "InclusionCosting",
    "IndicatorAssumptions",
    "Need",
    "NeedCost",
    "ObservedCell",
    "ShareEstimate",
    "SplitBudget",
    "UnitCost",
    "cell_share",
    "core20_shares",
    "cost_needs",
    "deri_quintile",
    "estimate_share",
    "expected_admissions",
    "imd_quintile",
    "inclusion_cost_per_bed",
    "needs_of",
    "plan_budget_with_inclusion",
    "voluntary_hours_per_week",
]

MIN_CELL_ADMISSIONS = 30
CONFIDENCE = 0.95
PENCE = Decimal("0.01")
SHARE_PLACES = Decimal("0.0001")


class Need(StrEnum):
    DEVICE = "device_or_connectivity"
    FACE_TO_FACE = "face_to_face"
    HOUSING = "housing_or_welfare"
    VOLUNTARY = "voluntary_sector"


def needs_of(*, own_device: bool, broadband: bool, housing_concern: bool) -> frozenset[Need]:
    """The needs of one admission from its patient's registration answers."""
    needs = set()
    if own_device != broadband:
        needs.add(Need.DEVICE)
    if not own_device and not broadband:
        needs.add(Need.FACE_TO_FACE)
    if housing_concern:
        needs.add(Need.HOUSING)
    if needs:
        needs.add(Need.VOLUNTARY)
    return frozenset(needs)


def imd_quintile(decile: int) -> int:
    """IMD decile 1–10 to quintile 1–5 (1 = most deprived)."""
    if not 1 <= decile <= 10:
        raise ValueError(f"IMD decile {decile} is not 1–10")
    return (decile + 1) // 2


def deri_quintile(rank: int, count: int) -> int:
    """Quintile 1–5 of an LSOA ranked 1 (highest DERI score, most at risk) to ``count``."""
    if not 1 <= rank <= count:
        raise ValueError(f"rank {rank} is not 1–{count}")
    return (rank - 1) * 5 // count + 1


def _round(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ExpectedAdmissions:
    beds: int
    occupancy: Decimal  # fraction 0–1
    length_of_stay_days: Decimal
    period_days: int
    admissions: Decimal

    @property
    def working(self) -> str:
        return (
            f"{self.beds} beds × {self.occupancy} occupancy × {self.period_days} days ÷ "
            f"{self.length_of_stay_days} days mean stay = {_round(self.admissions, PENCE)}"
        )


def expected_admissions(
    beds: int, occupancy: Decimal, length_of_stay_days: Decimal, period_days: int = 365
) -> ExpectedAdmissions:
    """beds × occupancy × period days ÷ mean length of stay (exact Decimal)."""
    if beds < 0 or period_days <= 0:
        raise ValueError("beds must be >= 0 and the period positive")
    if not Decimal(0) <= occupancy <= Decimal(1):
        raise ValueError(f"occupancy {occupancy} is not a fraction 0–1")
    if length_of_stay_days <= 0:
        raise ValueError("length of stay must be positive")
    admissions = Decimal(beds) * occupancy * Decimal(period_days) / length_of_stay_days
    return ExpectedAdmissions(beds, occupancy, length_of_stay_days, period_days, admissions)


@dataclass(frozen=True, slots=True, order=True)
class CellKey:
    imd_quintile: int
    deri_quintile: int


@dataclass(frozen=True, slots=True)
class AreaCell:
    """The area's LSOAs in one cell: population and population-weighted indicators."""

    key: CellKey
    population: int
    deri_mean: float
    housing_poor_mean: float


@dataclass(frozen=True, slots=True)
class ObservedCell:
    """Platform admissions in one cell (every ward) and how many had each need."""

    admissions: int
    with_need: Mapping[Need, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IndicatorAssumptions:
    """Baselines for the indicator fallback; stated assumptions, not measurements."""

    england_deri_mean: float
    device_baseline: float = 0.06
    face_to_face_baseline: float = 0.04
    note: str = (
        "assumption: about 6% of UK households had no home internet (Ofcom Technology Tracker "
        "2023); 6% of admissions are taken to lack one of device or broadband and 4% both, in "
        "an area of England-average DERI, scaled by the area's DERI relative to England's"
    )


def _digital(cell: AreaCell, a: IndicatorAssumptions) -> tuple[float, float]:
    ratio = cell.deri_mean / a.england_deri_mean if a.england_deri_mean > 0 else 1.0
    device, f2f = a.device_baseline * ratio, a.face_to_face_baseline * ratio
    total = device + f2f
    if total > 1:
        device, f2f = device / total, f2f / total
    return device, f2f


def indicator_share(need: Need, cell: AreaCell, assumptions: IndicatorAssumptions) -> float:
    """The area-indicator share of a need in a cell (see the module docstring, step 3)."""
    device, f2f = _digital(cell, assumptions)
    housing = min(max(cell.housing_poor_mean, 0.0), 1.0)
    if need is Need.DEVICE:
        return device
    if need is Need.FACE_TO_FACE:
        return f2f
    if need is Need.HOUSING:
        return housing
    return 1 - (1 - device - f2f) * (1 - housing)


@dataclass(frozen=True, slots=True)
class ShareEstimate:
    need: Need
    share: float
    lower: float
    upper: float
    population: int
    platform_population: int  # population in cells estimated from platform admissions
    admissions_used: int

    @property
    def source(self) -> str:
        if self.platform_population == 0:
            return "area indicators"
        if self.platform_population == self.population:
            return "platform admissions"
        return "platform admissions and area indicators"


def cell_share(
    need: Need,
    cell: AreaCell,
    observed: Mapping[CellKey, ObservedCell],
    assumptions: IndicatorAssumptions,
    min_admissions: int = MIN_CELL_ADMISSIONS,
    level: float = CONFIDENCE,
) -> tuple[float, float, float, int]:
    """(share, lower, upper, platform admissions used: 0 for the indicator) of one cell."""
    seen = observed.get(cell.key)
    if seen is not None and seen.admissions >= min_admissions:
        x = seen.with_need.get(need, 0)
        # The cell's weight and indicator are public, so x/n could be read back: a count the
        # audit would suppress (1–7, or 1–7 without the need) is not used.
        if not (DEFAULT_POLICY.is_small(x) or DEFAULT_POLICY.is_small(seen.admissions - x)):
            lo, hi = wilson_limits(x, seen.admissions, level)
            return x / seen.admissions, lo, hi, seen.admissions
    p = indicator_share(need, cell, assumptions)
    return p, p, p, 0


def estimate_share(
    need: Need,
    cells: Sequence[AreaCell],
    observed: Mapping[CellKey, ObservedCell],
    assumptions: IndicatorAssumptions,
    *,
    min_admissions: int = MIN_CELL_ADMISSIONS,
    level: float = CONFIDENCE,
) -> ShareEstimate:
    """Population-weighted share of admissions with ``need`` over the area's cells."""
    population = sum(c.population for c in cells)
    if population <= 0:
        raise ValueError("an area with no population has no share")
    share = lower = upper = 0.0
    platform_population = used = 0
    for cell in sorted(cells, key=lambda c: c.key):
        weight = cell.population / population
        p, lo, hi, n = cell_share(need, cell, observed, assumptions, min_admissions, level)
        if n:
            platform_population += cell.population
            used += n
        share += weight * p
        lower += weight * lo
        upper += weight * hi
    return ShareEstimate(
        need, share, max(lower, 0.0), min(upper, 1.0), population, platform_population, used
    )


class CostItem(StrEnum):
    NURSE_VISIT = "community_nurse_visit_gbp"
    VISITS_PER_DAY = "face_to_face_visits_per_day"
    DEVICE_DATA = "device_and_data_per_stay_gbp"
    HOUSING_ASSESSMENT = "housing_welfare_assessment_gbp"
    VCS_HOURS = "voluntary_sector_hours_per_stay"
    VCS_HOUR_COST = "voluntary_sector_hour_gbp"


@dataclass(frozen=True, slots=True)
class UnitCost:
    item: CostItem
    value: Decimal
    unit: str
    citation: str


DEFAULT_UNIT_COSTS: Mapping[CostItem, UnitCost] = {
    CostItem.NURSE_VISIT: UnitCost(
        CostItem.NURSE_VISIT,
        Decimal(62),
        "GBP per visit",
        "Jones K, Weatherly H, Birch S et al. Unit Costs of Health and Social Care 2023 "
        "Manual, PSSRU (University of Kent) and Centre for Health Economics (University of "
        "York), section 'Community-based health care staff', table for a Band 6 community "
        "nurse: cost per working hour, taken as one hour per visit including travel. The "
        "£62 default was not checked against the published table when written: confirm it "
        "before a business case relies on it.",
    ),
    CostItem.VISITS_PER_DAY: UnitCost(
        CostItem.VISITS_PER_DAY,
        Decimal(1),
        "visits per day of stay",
        "assumption: one in-person observation visit a day in place of remote monitoring",
    ),
    CostItem.DEVICE_DATA: UnitCost(
        CostItem.DEVICE_DATA,
        Decimal(25),
        "GBP per stay",
        "assumption: a loaned tablet or hub (about £300, reused over three years at roughly 25 "
        "stays a year, so £4 a stay) plus cleaning and logistics and a 30-day data SIM",
    ),
    CostItem.HOUSING_ASSESSMENT: UnitCost(
        CostItem.HOUSING_ASSESSMENT,
        Decimal(120),
        "GBP per assessment",
        "assumption: two hours of a social worker's or housing officer's time at about £60 "
        "an hour (order of the PSSRU 2023 adult social worker hourly cost; not checked)",
    ),
    CostItem.VCS_HOURS: UnitCost(
        CostItem.VCS_HOURS,
        Decimal(4),
        "hours per stay",
        "assumption: four hours of carer support, befriending or practical help per stay",
    ),
    CostItem.VCS_HOUR_COST: UnitCost(
        CostItem.VCS_HOUR_COST,
        Decimal(20),
        "GBP per hour",
        "assumption: £20 an hour for a commissioned voluntary-sector hour (coordination, "
        "training, expenses), not a volunteer's wage",
    ),
}


def cost_per_admission(
    need: Need, costs: Mapping[CostItem, Decimal], length_of_stay_days: Decimal
) -> tuple[Decimal, str]:
    """Cost of meeting one admission's need, with its working."""
    c = costs
    if need is Need.DEVICE:
        value = c[CostItem.DEVICE_DATA]
        return value, f"£{value} device and data per stay"
    if need is Need.FACE_TO_FACE:
        visits = c[CostItem.VISITS_PER_DAY] * length_of_stay_days
        value = visits * c[CostItem.NURSE_VISIT]
        return value, (
            f"{c[CostItem.VISITS_PER_DAY]} visits a day × {length_of_stay_days} days × "
            f"£{c[CostItem.NURSE_VISIT]} a visit = £{_round(value, PENCE)}"
        )
    if need is Need.HOUSING:
        value = c[CostItem.HOUSING_ASSESSMENT]
        return value, f"£{value} per housing or welfare assessment"
    value = c[CostItem.VCS_HOURS] * c[CostItem.VCS_HOUR_COST]
    return value, (
        f"{c[CostItem.VCS_HOURS]} hours × £{c[CostItem.VCS_HOUR_COST]} an hour = "
        f"£{_round(value, PENCE)}"
    )


@dataclass(frozen=True, slots=True)
class NeedCost:
    estimate: ShareEstimate
    admissions: Decimal  # expected admissions with the need
    cost_per_admission: Decimal
    cost: Decimal
    cost_lower: Decimal
    cost_upper: Decimal
    working: str


@dataclass(frozen=True, slots=True)
class InclusionCosting:
    expected: ExpectedAdmissions
    needs: tuple[NeedCost, ...]

    @property
    def total(self) -> Decimal:
        return sum((n.cost for n in self.needs), Decimal(0))

    @property
    def total_lower(self) -> Decimal:
        return sum((n.cost_lower for n in self.needs), Decimal(0))

    @property
    def total_upper(self) -> Decimal:
        return sum((n.cost_upper for n in self.needs), Decimal(0))


def _dec(x: float) -> Decimal:
    return _round(Decimal(repr(x)), SHARE_PLACES)


def cost_needs(
    expected: ExpectedAdmissions,
    estimates: Iterable[ShareEstimate],
    costs: Mapping[CostItem, Decimal],
) -> InclusionCosting:
    """Cost each need: expected admissions × share (4 dp) × cost per admission, to the penny."""
    out = []
    for estimate in estimates:
        unit, unit_working = cost_per_admission(estimate.need, costs, expected.length_of_stay_days)
        share, lo, hi = _dec(estimate.share), _dec(estimate.lower), _dec(estimate.upper)
        admissions = expected.admissions * share
        out.append(
            NeedCost(
                estimate=estimate,
                admissions=_round(admissions, PENCE),
                cost_per_admission=_round(unit, PENCE),
                cost=_round(admissions * unit, PENCE),
                cost_lower=_round(expected.admissions * lo * unit, PENCE),
                cost_upper=_round(expected.admissions * hi * unit, PENCE),
                working=(
                    f"{_round(expected.admissions, PENCE)} admissions × {share} share × "
                    f"({unit_working}) = £{_round(admissions * unit, PENCE)}"
                ),
            )
        )
    return InclusionCosting(expected, tuple(out))


def voluntary_hours_per_week(
    costing: InclusionCosting, costs: Mapping[CostItem, Decimal]
) -> Decimal:
    """Voluntary-sector hours a week the expected admissions need (2 dp)."""
    vcs = next((n for n in costing.needs if n.estimate.need is Need.VOLUNTARY), None)
    if vcs is None:
        return Decimal(0)
    hours = vcs.admissions * costs[CostItem.VCS_HOURS]
    weeks = Decimal(costing.expected.period_days) / Decimal(7)
    return _round(hours / weeks, PENCE)


CORE20_IMD_QUINTILE = 1  # Core20: the most deprived 20% of LSOAs nationally (IMD deciles 1–2)


@dataclass(frozen=True, slots=True)
class Core20Shares:
    """The Core20 share of an area's population and of its expected admissions.

    Without inclusion, an admission lacking a device or broadband cannot be monitored
    remotely and is taken as lost, so each cell's admissions are its population × (1 − the
    device and face-to-face shares). With inclusion funded for every admission the ward
    takes, no one is lost and the admissions' Core20 share is the population's.
    """

    population: float
    admissions_without_inclusion: float
    admissions_with_inclusion: float


def core20_shares(
    cells: Sequence[AreaCell],
    observed: Mapping[CellKey, ObservedCell],
    assumptions: IndicatorAssumptions,
    min_admissions: int = MIN_CELL_ADMISSIONS,
) -> Core20Shares:
    total = sum(c.population for c in cells)
    if total <= 0:
        raise ValueError("an area with no population has no Core20 share")
    core20 = sum(c.population for c in cells if c.key.imd_quintile == CORE20_IMD_QUINTILE)
    kept = {}
    for cell in cells:
        digital = sum(
            cell_share(need, cell, observed, assumptions, min_admissions)[0]
            for need in (Need.DEVICE, Need.FACE_TO_FACE)
        )
        kept[cell.key] = cell.population * max(0.0, 1 - digital)
    reached = sum(kept.values())
    without = (
        sum(v for k, v in kept.items() if k.imd_quintile == CORE20_IMD_QUINTILE) / reached
        if reached > 0
        else 0.0
    )
    return Core20Shares(core20 / total, without, core20 / total)


def inclusion_cost_per_bed(
    occupancy: Decimal,
    length_of_stay_days: Decimal,
    estimates: Iterable[ShareEstimate],
    costs: Mapping[CostItem, Decimal],
    period_days: int = 365,
) -> Decimal:
    """Exact inclusion cost of one bed over the period (shares at 4 dp, as cost_needs)."""
    one = expected_admissions(1, occupancy, length_of_stay_days, period_days).admissions
    return sum(
        (
            one * _dec(e.share) * cost_per_admission(e.need, costs, length_of_stay_days)[0]
            for e in estimates
        ),
        Decimal(0),
    )


@dataclass(frozen=True, slots=True)
class SplitBudget:
    """A budget shared between beds and the inclusion their admissions need."""

    budget: BudgetPlan
    beds_cost: Decimal
    inclusion_cost: Decimal  # exact; each area's shown figure is rounded to the penny


def plan_budget_with_inclusion(
    areas: Sequence[PlanningArea],
    budget: Decimal,
    *,
    cost_per_bed: Decimal,
    inclusion_per_bed: Mapping[str, Decimal],
    weights: NeedWeights | None = None,
    allow_above_band: bool = False,
) -> SplitBudget:
    """The most beds whose cost plus their areas' inclusion cost fits the budget.

    Beds are shared by the same water-filling as ``plan_beds``, which gives beds one at a
    time, so the spend grows with the beds requested and a binary search finds the largest
    request that fits. Inclusion is funded in full for every bed bought, so each area's
    expected Core20 share of admissions is its Core20 share of population (Core20Shares).
    """
    if budget < 0:
        raise ValueError(f"budget must be non-negative, got {budget}")

    def spend(plan: CapacityPlan) -> tuple[Decimal, Decimal]:
        beds = plan.allocated_beds * cost_per_bed
        inclusion = sum((s.beds_given * inclusion_per_bed[s.code] for s in plan.areas), Decimal(0))
        return beds, inclusion

    def fits(n: int) -> bool:
        plan = plan_beds(areas, n, weights=weights, allow_above_band=allow_above_band)
        return sum(spend(plan), Decimal(0)) <= budget

    low, high = 0, beds_for_budget(budget, cost_per_bed)  # fits(0) always holds
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    plan = plan_beds(areas, low, weights=weights, allow_above_band=allow_above_band)
    beds, inclusion = spend(plan)
    return SplitBudget(
        BudgetPlan(budget, cost_per_bed, low, budget - beds - inclusion, plan), beds, inclusion
    )
