"""Inclusion need and cost per area (issue #15), unit costs per ICB and voluntary partners.

The arithmetic is domain/inclusion.py. This module picks its inputs and says which it used:

- occupancy: the platform's own (patients on its wards ÷ their beds at `at`) once the area's
  wards have at least MIN_ADMISSIONS admissions; else the newest measured sitrep month for the
  ICB, else England's; else the stated assumption DEFAULT_OCCUPANCY;
- mean length of stay: the area's discharged admissions once there are MIN_ADMISSIONS; else
  every discharged admission on the platform; else the stated assumption DEFAULT_STAY_DAYS
  (the sitrep publishes no length of stay);
- unit costs: the ICB's latest setting of each item, else the cited default.

Outputs are identifier-free: shares, expected counts and costs, never a patient or a raw cell
count. A platform cell is used only with at least MIN_CELL_ADMISSIONS admissions; the only
platform count shown is the number of admissions used, rounded to 5 and suppressed from 1 to 7
(equity_audit's disclosure rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.domain.disclosure import protect_count
from services.ward_api.access import require_icb
from services.ward_api.capacity import repository as capacity
from services.ward_api.capacity.service import moment_of
from services.ward_api.domain import inclusion as domain
from services.ward_api.domain.inclusion import (
    DEFAULT_UNIT_COSTS,
    CellKey,
    CostItem,
    IndicatorAssumptions,
    Need,
    ObservedCell,
)
from services.ward_api.domain.planning import NeedWeights, PlanningArea
from services.ward_api.domain.sitrep import ENGLAND_CODE
from services.ward_api.domain.sources import OGL_ATTRIBUTION
from services.ward_api.geography import service as geography
from services.ward_api.geography.models import Icb
from services.ward_api.inclusion import repository
from services.ward_api.inclusion.models import InclusionUnitCost, WardPartner
from services.ward_api.inclusion.schemas import (
    AreaInclusionOut,
    Core20Out,
    ExpectedAdmissionsOut,
    FigureOut,
    InclusionReport,
    NeedOut,
    PartnerCreate,
    PartnerOut,
    UnitCostHistoryOut,
    UnitCostOut,
    UnitCostSet,
    VoluntaryCapacityOut,
)
from services.ward_api.wards import service as wards
from shared.auth import Principal
from shared.problems import Unprocessable

MIN_ADMISSIONS = 30
DEFAULT_OCCUPANCY = Decimal("0.75")
DEFAULT_STAY_DAYS = Decimal(7)
SIX = Decimal("0.000001")
PENCE = Decimal("0.01")
FOUR = Decimal("0.0001")

METHOD = (domain.__doc__ or "").strip()
ATTRIBUTION = (
    f"{OGL_ATTRIBUTION} Digital Exclusion Risk Index v1.6, Greater Manchester Combined "
    "Authority (OGL v3.0). English Indices of Deprivation 2019, MHCLG (OGL v3.0). Source: "
    "Office for National Statistics licensed under the Open Government Licence v3.0."
)


def _q(value: Decimal | float, places: Decimal) -> Decimal:
    return domain._round(Decimal(repr(value)) if isinstance(value, float) else value, places)


@dataclass(frozen=True, slots=True)
class Context:
    """What every area of one report shares: platform cells and England's DERI."""

    at: date
    period_days: int
    cost_per_bed: Decimal
    observed: dict[CellKey, ObservedCell]
    assumptions: IndicatorAssumptions


async def context(
    session: AsyncSession, *, at: date, period_days: int, cost_per_bed: Decimal
) -> Context:
    england = await repository.england_deri_mean(session)
    if england is None:
        raise Unprocessable(
            "no digital-exclusion reference data is loaded (digital_exclusion_lsoa.csv and "
            "housing_lsoa.csv), so inclusion need cannot be estimated",
            slug="inclusion-data-missing",
        )
    observed = await repository.observed_cells(session)
    return Context(
        at, period_days, cost_per_bed, observed, IndicatorAssumptions(england_deri_mean=england)
    )


async def _occupancy(
    session: AsyncSession, icb: Icb, at: date, admissions: int
) -> tuple[Decimal, str]:
    if admissions >= MIN_ADMISSIONS:
        moment = moment_of(at)
        beds, _ = (await capacity.live_beds_by_icb(session, moment)).get(icb.code, (0, 0))
        patients = (await capacity.live_patients_by_icb(session, moment)).get(icb.code, 0)
        if beds > 0:
            value = min(Decimal(patients) / Decimal(beds), Decimal(1))
            return _q(value, SIX), (
                f"platform: {patients} patients on {beds} beds of {icb.code}'s wards at {at}"
            )
    period = at.strftime("%Y-%m")
    for code, label in ((icb.code, icb.code), (ENGLAND_CODE, "England")):
        row = await repository.sitrep_occupancy(session, code, period)
        if row is not None and row.occupancy_pct is not None:
            return _q(row.occupancy_pct / 100, SIX), (
                f"NHS England sitrep {row.period}, {label}: {row.occupancy_pct}% occupied"
            )
    return DEFAULT_OCCUPANCY, "assumption: 75% occupancy (no sitrep month is loaded)"


async def _stay(
    session: AsyncSession, icb: Icb, ward_ids: Sequence[uuid.UUID] | None
) -> tuple[int, Decimal, str]:
    """(admissions on the area's wards, mean length of stay, its source)."""
    n, discharged, mean = await repository.stays(session, icb_code=icb.code, ward_ids=ward_ids)
    where = "the ward(s)" if ward_ids else f"{icb.code}'s wards"
    if discharged >= MIN_ADMISSIONS and mean is not None:
        return (
            n,
            max(_q(mean, FOUR), Decimal(1)),
            (f"platform: mean of {discharged} discharged admissions on {where}"),
        )
    _, everywhere, national = await repository.stays(session, icb_code=None)
    if everywhere >= MIN_ADMISSIONS and national is not None:
        return (
            n,
            max(_q(national, FOUR), Decimal(1)),
            (
                f"platform: mean of {everywhere} discharged admissions on every ward (fewer than "
                f"{MIN_ADMISSIONS} on {where})"
            ),
        )
    return (
        n,
        DEFAULT_STAY_DAYS,
        (
            "assumption: 7 days (the sitrep publishes no length of stay, and the platform has "
            f"fewer than {MIN_ADMISSIONS} discharged admissions)"
        ),
    )


async def unit_costs(
    session: AsyncSession, icb_code: str
) -> tuple[dict[CostItem, Decimal], list[UnitCostOut], list[UnitCostOut]]:
    """The ICB's unit costs in force (latest setting, else the default) and their history."""
    history = await repository.unit_cost_history(session, icb_code)
    latest: dict[CostItem, InclusionUnitCost] = {}
    for setting in history:
        latest[CostItem(setting.item)] = setting  # ordered by id: the last one wins
    values, current = {}, []
    for item, default in DEFAULT_UNIT_COSTS.items():
        row = latest.get(item)
        values[item] = default.value if row is None else row.value
        current.append(_cost_out(default, row))
    return values, current, [_cost_out(DEFAULT_UNIT_COSTS[CostItem(r.item)], r) for r in history]


def _cost_out(default: domain.UnitCost, row: InclusionUnitCost | None) -> UnitCostOut:
    if row is None:
        return UnitCostOut(
            item=default.item, value=default.value, unit=default.unit, citation=default.citation
        )
    return UnitCostOut(
        item=default.item,
        value=row.value,
        unit=default.unit,
        citation=f"set for this ICB (default: {default.citation})",
        set_by=row.set_by,
        set_at=row.set_at,
        reason=row.reason,
    )


def _admissions_used(n: int) -> str:
    shown = protect_count(n)
    return "*" if shown.suppressed else str(shown.value)


@dataclass(frozen=True, slots=True)
class AreaInputs:
    """Everything an area's costing depends on except its number of beds."""

    cells: list[domain.AreaCell]
    occupancy: tuple[Decimal, str]
    stay: tuple[Decimal, str]
    estimates: list[domain.ShareEstimate]
    costs: dict[CostItem, Decimal]
    costs_out: list[UnitCostOut]

    def cost_per_bed(self, period_days: int) -> Decimal:
        return domain.inclusion_cost_per_bed(
            self.occupancy[0], self.stay[0], self.estimates, self.costs, period_days
        )


async def area_inputs(
    session: AsyncSession,
    ctx: Context,
    *,
    icb: Icb,
    code: str,
    sub_icb_codes: Sequence[str] | None = None,
    ward_ids: Sequence[uuid.UUID] | None = None,
) -> AreaInputs:
    cells = await repository.area_cells(session, icb_code=icb.code, sub_icb_codes=sub_icb_codes)
    if not cells:
        raise Unprocessable(
            f"no LSOA with inclusion figures lies in {code}", slug="inclusion-data-missing"
        )
    admissions, stay, stay_source = await _stay(session, icb, ward_ids)
    occupancy = await _occupancy(session, icb, ctx.at, admissions)
    estimates = [domain.estimate_share(need, cells, ctx.observed, ctx.assumptions) for need in Need]
    costs, costs_out, _ = await unit_costs(session, icb.code)
    return AreaInputs(cells, occupancy, (stay, stay_source), estimates, costs, costs_out)


async def area_inclusion(
    session: AsyncSession,
    ctx: Context,
    *,
    icb: Icb,
    code: str,
    name: str,
    beds: int,
    sub_icb_codes: Sequence[str] | None = None,
    ward_ids: Sequence[uuid.UUID] | None = None,
    inputs: AreaInputs | None = None,
) -> AreaInclusionOut:
    """Inclusion need and cost of `beds` more beds in one area (an ICB or a ward's catchment)."""
    if inputs is None:
        inputs = await area_inputs(
            session, ctx, icb=icb, code=code, sub_icb_codes=sub_icb_codes, ward_ids=ward_ids
        )
    (occupancy, occupancy_source), (stay, stay_source) = inputs.occupancy, inputs.stay
    expected = domain.expected_admissions(beds, occupancy, stay, ctx.period_days)
    costing = domain.cost_needs(expected, inputs.estimates, inputs.costs)
    partners = (
        await repository.partners_of_wards(session, ward_ids)
        if ward_ids
        else await repository.partners_in_icb(session, icb.code)
    )
    needed = domain.voluntary_hours_per_week(costing, inputs.costs)
    offered = sum((p.hours_per_week for p in partners), Decimal(0))
    core20 = domain.core20_shares(inputs.cells, ctx.observed, ctx.assumptions)
    return AreaInclusionOut(
        code=code,
        name=name,
        icb_code=icb.code,
        expected=ExpectedAdmissionsOut(
            beds=beds,
            period_days=ctx.period_days,
            occupancy=FigureOut(value=occupancy, source=occupancy_source),
            length_of_stay_days=FigureOut(value=stay, source=stay_source),
            admissions=_q(expected.admissions, PENCE),
            working=expected.working,
        ),
        needs=[_need_out(n) for n in costing.needs],
        beds_cost_gbp=beds * ctx.cost_per_bed,
        inclusion_cost_gbp=costing.total,
        inclusion_cost_lower_gbp=costing.total_lower,
        inclusion_cost_upper_gbp=costing.total_upper,
        inclusion_cost_per_bed_gbp=_q(inputs.cost_per_bed(ctx.period_days), PENCE),
        core20=Core20Out(
            population_share=_q(core20.population, FOUR),
            admissions_share_without_inclusion=_q(core20.admissions_without_inclusion, FOUR),
            admissions_share_with_inclusion=_q(core20.admissions_with_inclusion, FOUR),
        ),
        voluntary=VoluntaryCapacityOut(
            hours_needed_per_week=needed,
            partner_hours_per_week=offered,
            shortfall_hours_per_week=max(needed - offered, Decimal(0)),
            partners=len(partners),
        ),
        unit_costs=inputs.costs_out,
    )


def _need_out(n: domain.NeedCost) -> NeedOut:
    e = n.estimate
    used = _admissions_used(e.admissions_used)
    source = e.source if e.platform_population == 0 else f"{e.source} ({used} admissions)"
    return NeedOut(
        need=e.need,
        share=_q(e.share, FOUR),
        share_lower=_q(e.lower, FOUR),
        share_upper=_q(e.upper, FOUR),
        source=source,
        population_from_platform_pct=_q(100 * e.platform_population / e.population, PENCE),
        admissions=n.admissions,
        cost_per_admission_gbp=n.cost_per_admission,
        cost_gbp=n.cost,
        cost_lower_gbp=n.cost_lower,
        cost_upper_gbp=n.cost_upper,
        working=n.working,
    )


def report(ctx: Context, areas: list[AreaInclusionOut]) -> InclusionReport:
    return InclusionReport(
        at=ctx.at,
        method=METHOD,
        assumptions=[
            ctx.assumptions.note,
            f"occupancy and length of stay from the platform once an area has "
            f"{MIN_ADMISSIONS} admissions; a platform cell once it has "
            f"{domain.MIN_CELL_ADMISSIONS}",
            "admissions are assumed to come from each IMD × DERI cell of an area in proportion "
            "to its population",
        ],
        attribution=ATTRIBUTION,
        beds_cost_gbp=sum((a.beds_cost_gbp for a in areas), Decimal(0)),
        inclusion_cost_gbp=sum((a.inclusion_cost_gbp for a in areas), Decimal(0)),
        areas=areas,
    )


async def need_report(
    session: AsyncSession,
    principal: Principal,
    *,
    icb: str,
    beds: int,
    at: date | None,
    period_days: int,
    cost_per_bed: Decimal,
) -> InclusionReport:
    """GET /v1/inclusion/need: one ICB, `beds` beds."""
    found = await geography.get_icb_or_raise(session, icb)
    require_icb(principal, found.code, found.ods_code)
    ctx = await context(
        session,
        at=at or datetime.now(UTC).date(),
        period_days=period_days,
        cost_per_bed=cost_per_bed,
    )
    area = await area_inclusion(
        session, ctx, icb=found, code=found.code, name=found.name, beds=beds
    )
    return report(ctx, [area])


async def unit_cost_history(
    session: AsyncSession, principal: Principal, icb: str
) -> UnitCostHistoryOut:
    found = await geography.get_icb_or_raise(session, icb)
    require_icb(principal, found.code, found.ods_code)
    _, current, history = await unit_costs(session, found.code)
    return UnitCostHistoryOut(icb_code=found.code, current=current, history=history)


async def set_unit_cost(
    session: AsyncSession, principal: Principal, data: UnitCostSet
) -> UnitCostHistoryOut:
    """Append a new setting of one unit cost for an ICB (history is never overwritten)."""
    found = await geography.get_icb_or_raise(session, data.icb_code)
    require_icb(principal, found.code, found.ods_code)
    await repository.add_unit_cost(
        session,
        InclusionUnitCost(
            icb_code=found.code,
            item=str(data.item),
            value=data.value,
            reason=data.reason,
            set_by=principal.subject,
        ),
    )
    _, current, history = await unit_costs(session, found.code)
    return UnitCostHistoryOut(icb_code=found.code, current=current, history=history)


def _partner_out(p: WardPartner) -> PartnerOut:
    return PartnerOut(
        id=p.id,
        ward_id=p.ward_id,
        organisation=p.organisation,
        service=p.service,
        hours_per_week=p.hours_per_week,
        contact_role=p.contact_role,
        created_by=p.created_by,
        created_at=p.created_at,
    )


async def add_partner(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID, data: PartnerCreate
) -> PartnerOut:
    ward = await wards.get_visible(session, principal, ward_id)
    row = await repository.add_partner(
        session,
        WardPartner(
            id=uuid.uuid4(),
            ward_id=ward.id,
            organisation=data.organisation,
            service=data.service,
            hours_per_week=data.hours_per_week,
            contact_role=data.contact_role,
            created_by=principal.subject,
        ),
    )
    return _partner_out(row)


async def list_partners(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID
) -> list[PartnerOut]:
    ward = await wards.get_visible(session, principal, ward_id)
    return [_partner_out(p) for p in await repository.partners_of_wards(session, [ward.id])]


@dataclass(frozen=True, slots=True)
class PlannedArea:
    """One area of a capacity plan, as inclusion costing needs it."""

    code: str
    name: str
    icb_code: str
    sub_icb_codes: Sequence[str] | None = None
    ward_id: uuid.UUID | None = None


async def _planned_inputs(
    session: AsyncSession, ctx: Context, areas: Sequence[PlannedArea]
) -> tuple[dict[str, Icb], dict[str, AreaInputs]]:
    icbs = {a.icb_code: await geography.get_icb_or_raise(session, a.icb_code) for a in areas}
    inputs = {
        a.code: await area_inputs(
            session,
            ctx,
            icb=icbs[a.icb_code],
            code=a.code,
            sub_icb_codes=a.sub_icb_codes,
            ward_ids=None if a.ward_id is None else [a.ward_id],
        )
        for a in areas
    }
    return icbs, inputs


async def for_plan(
    session: AsyncSession,
    *,
    at: date,
    cost_per_bed: Decimal,
    areas: Sequence[PlannedArea],
    beds: Mapping[str, int],
    prepared: tuple[Context, dict[str, Icb], dict[str, AreaInputs]] | None = None,
) -> InclusionReport:
    """Inclusion need and cost of the beds a capacity plan gives each area, over a year."""
    if prepared is None:
        ctx = await context(session, at=at, period_days=365, cost_per_bed=cost_per_bed)
        icbs, inputs = await _planned_inputs(session, ctx, areas)
    else:
        ctx, icbs, inputs = prepared
    out = [
        await area_inclusion(
            session,
            ctx,
            icb=icbs[a.icb_code],
            code=a.code,
            name=a.name,
            beds=beds[a.code],
            sub_icb_codes=a.sub_icb_codes,
            ward_ids=None if a.ward_id is None else [a.ward_id],
            inputs=inputs[a.code],
        )
        for a in areas
    ]
    return report(ctx, out)


async def plan_budget(
    session: AsyncSession,
    *,
    at: date,
    cost_per_bed: Decimal,
    areas: Sequence[PlannedArea],
    planning: Sequence[PlanningArea],
    budget: Decimal,
    weights: NeedWeights | None,
    allow_above_band: bool,
) -> tuple[domain.SplitBudget, InclusionReport]:
    """Share a budget between beds and the inclusion their admissions need (issue #15 §3)."""
    ctx = await context(session, at=at, period_days=365, cost_per_bed=cost_per_bed)
    icbs, inputs = await _planned_inputs(session, ctx, areas)
    split = domain.plan_budget_with_inclusion(
        planning,
        budget,
        cost_per_bed=cost_per_bed,
        inclusion_per_bed={code: i.cost_per_bed(ctx.period_days) for code, i in inputs.items()},
        weights=weights,
        allow_above_band=allow_above_band,
    )
    given = {s.code: s.beds_given for s in split.budget.plan.areas}
    included = await for_plan(
        session,
        at=at,
        cost_per_bed=cost_per_bed,
        areas=areas,
        beds=given,
        prepared=(ctx, icbs, inputs),
    )
    return split, included
