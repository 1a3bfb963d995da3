"""Capacity plans: share new beds (or a budget) across ICBs, or the wards of one ICB
(capacity/ward_plans.py), with domain/planning.py.

Need weighting asks equity_audit for weights over HTTP. If it cannot be reached the request
fails with 503 `need-weights-unavailable` rather than quietly planning unweighted: a plan
that says it was need-weighted must have been. Plans are stored with the weights they used,
their basis and vintage.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import may_see_icb, require_icb
from services.ward_api.capacity.models import CapacityPlan
from services.ward_api.capacity.schemas import PlanAreaOut, PlanOut, PlanRequest
from services.ward_api.capacity.service import assess_icbs
from services.ward_api.capacity.ward_plans import ward_areas
from services.ward_api.clients.equity_audit import EquityAuditClient, NeedWeightsResponse
from services.ward_api.domain.planning import NeedWeights, PlanningArea, plan_beds, plan_budget
from services.ward_api.geography import repository as geography
from services.ward_api.inclusion import service as inclusion
from shared.auth import Principal
from shared.http_client import PeerError, PeerUnavailable
from shared.problems import NotFound, ProblemError, ServiceUnavailable, Unprocessable


class BadGateway(ProblemError):
    status, slug, title = 502, "bad-gateway", "A peer answered wrongly"


async def _weights(client: EquityAuditClient, codes: list[str]) -> tuple[NeedWeights, dict]:
    try:
        answer: NeedWeightsResponse = await client.need_weights(level="icb")
    except PeerUnavailable as exc:
        raise ServiceUnavailable(
            "equity_audit could not be reached for need weights; retry, or plan without "
            "need_weighting",
            slug="need-weights-unavailable",
        ) from exc
    except PeerError as exc:
        raise BadGateway(f"equity_audit refused need weights: {exc.detail}") from exc
    by_code = {w.code: w.weight for w in answer.weights}
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise BadGateway(
            f"equity_audit gave no weight for {len(missing)} ICB(s)",
            slug="need-weights-incomplete",
            missing=missing,
        )
    source = f"equity_audit {answer.basis} ({answer.vintage})"
    used = {"basis": answer.basis, "vintage": answer.vintage, "source": "equity_audit"}
    return NeedWeights(source, by_code), used


async def _icb_areas(
    session: AsyncSession, principal: Principal, request: PlanRequest, at: date, cost: Decimal
) -> tuple[list[PlanningArea], dict[str, dict[str, Any]], str]:
    """ICBs the caller may see (or the ones asked for), with how each was measured."""
    areas = await assess_icbs(session, at=at, cost_per_bed=cost)
    areas = [a for a in areas if may_see_icb(principal, a.code, a.ods_code)]
    if request.icb_codes is not None:
        wanted = set(request.icb_codes)
        areas = [a for a in areas if a.code in wanted or a.ods_code in wanted]
        found = {a.code for a in areas} | {a.ods_code for a in areas}
        unknown = sorted(wanted - found)
        if unknown:
            raise NotFound(f"unknown or out-of-scope ICB(s): {unknown}", slug="icb-not-found")
    if not areas:
        raise Unprocessable("no ICBs to plan for", slug="plan-has-no-areas")
    planning = [PlanningArea(a.code, a.beds, a.population, a.name) for a in areas]
    extra = {
        a.code: {
            "population_basis": a.population_basis,
            "population_effective": a.population_effective,
        }
        for a in areas
    }
    sources = sorted({f"{a.source}:{a.period or 'now'}" for a in areas})
    return planning, extra, ", ".join(sources)


async def create_plan(
    session: AsyncSession,
    principal: Principal,
    request: PlanRequest,
    *,
    equity: EquityAuditClient,
    cost_per_bed: Decimal,
) -> PlanOut:
    at = request.at or datetime.now(UTC).date()
    notes: list[str] = []
    icb_code = None
    if request.level == "ward":
        assert request.icb is not None
        wards = await ward_areas(
            session, principal, icb=request.icb, ward_ids=request.ward_ids, at=at
        )
        planning = [w.area for w in wards.areas]
        extra = {
            w.area.code: {
                "population_basis": w.denominator.basis,
                "population_effective": w.denominator.effective,
                "catchment": w.sub_icb_codes,
            }
            for w in wards.areas
        }
        source, notes, icb_code = (
            f"live wards at {at}, ward catchments",
            wards.notes,
            wards.icb_code,
        )
    else:
        planning, extra, source = await _icb_areas(session, principal, request, at, cost_per_bed)
    weights, used = (None, None)
    if request.need_weighting:
        weights, used = await _weights(equity, [a.code for a in planning])
    budget = unspent = included = None
    if request.budget_gbp is not None and request.budget_includes_inclusion:
        split, included = await inclusion.plan_budget(
            session,
            at=at,
            cost_per_bed=cost_per_bed,
            areas=_planned(planning, icb_code, extra),
            planning=planning,
            budget=request.budget_gbp,
            weights=weights,
            allow_above_band=request.allow_above_band,
        )
        plan, budget, unspent = split.budget.plan, split.budget.budget, split.budget.unspent
        notes.append(
            "the budget pays for beds and, in full, for the inclusion their admissions need "
            "(see inclusion), so each area's expected Core20 share of admissions is its Core20 "
            "share of population"
        )
    elif request.budget_gbp is not None:
        budget_plan = plan_budget(
            planning,
            request.budget_gbp,
            cost_per_bed=cost_per_bed,
            weights=weights,
            allow_above_band=request.allow_above_band,
        )
        plan, budget, unspent = budget_plan.plan, budget_plan.budget, budget_plan.unspent
    else:
        assert request.new_beds is not None
        plan = plan_beds(
            planning, request.new_beds, weights=weights, allow_above_band=request.allow_above_band
        )
    record = CapacityPlan(
        id=uuid.uuid4(),
        created_by=principal.subject,
        request=jsonable_encoder(request),
        weights_basis=None if used is None else used["basis"],
        weights_vintage=None if used is None else used["vintage"],
        result={},
    )
    out = PlanOut(
        id=record.id,
        level=request.level,
        icb_code=icb_code,
        created_at=datetime.now(UTC),
        created_by=principal.subject,
        requested_beds=plan.requested_beds,
        allocated_beds=plan.allocated_beds,
        unallocated_beds=plan.unallocated_beds,
        budget_gbp=budget,
        unspent_gbp=unspent,
        cost_per_bed_gbp=cost_per_bed,
        cost_gbp=plan.allocated_beds * cost_per_bed,
        weights=used,
        capacity_source=source,
        notes=notes,
        areas=[
            PlanAreaOut(
                code=s.code,
                name=s.name,
                population=s.population,
                **extra.get(s.code, {}),
                weight=s.weight,
                beds_before=s.beds_before,
                beds_given=s.beds_given,
                beds_after=s.beds_after,
                per_100k_before=round(s.per_100k_before, 4),
                per_100k_after=round(s.per_100k_after, 4),
                status_before=s.status_before,
                status_after=s.status_after,
                reason=str(s.reason),
                explanation=s.explanation,
            )
            for s in plan.areas
        ],
    )
    if included is not None:
        out.inclusion = included
    elif request.include_inclusion:
        out.inclusion = await inclusion.for_plan(
            session,
            at=at,
            cost_per_bed=cost_per_bed,
            areas=_planned(planning, icb_code, extra),
            beds={s.code: s.beds_given for s in plan.areas},
        )
    record.result = jsonable_encoder(out)
    session.add(record)
    await session.flush()
    return out


def _planned(
    planning: list[PlanningArea], icb_code: str | None, extra: dict[str, dict[str, Any]]
) -> list[inclusion.PlannedArea]:
    """The plan's areas as inclusion costing sees them: ICBs, or wards with their catchment."""
    return [
        inclusion.PlannedArea(
            code=a.code,
            name=a.name,
            icb_code=icb_code or a.code,
            sub_icb_codes=extra.get(a.code, {}).get("catchment"),
            ward_id=uuid.UUID(a.code) if icb_code else None,
        )
        for a in planning
    ]


def plan_icb_codes(result: dict[str, Any]) -> set[str]:
    """The ICBs a stored plan covers: its one ICB at level=ward, else each area's code."""
    if result.get("level") == "ward":
        return {str(result["icb_code"])}
    return {str(area["code"]) for area in result.get("areas", [])}


async def get_plan(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID
) -> dict[str, Any]:
    """A stored plan, for callers whose scope covers every ICB in it (403 `wrong-icb`).

    A plan shows other ICBs' beds, populations and weights, so a commissioner sees it only
    when it lies wholly within their ICBs, as with the rest of the capacity API.
    """
    record = await session.get(CapacityPlan, plan_id)
    if record is None:
        raise NotFound(f"no capacity plan {plan_id}", slug="plan-not-found")
    if not principal.is_national:
        ods = {icb.code: icb.ods_code for icb in await geography.list_icbs(session)}
        for code in sorted(plan_icb_codes(record.result)):
            require_icb(principal, code, ods.get(code))
    return record.result
