"""Capacity against the 40–50 band, its monthly history, sitrep imports and capacity plans."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.ward_api.capacity import plans, service, sitrep_import
from services.ward_api.capacity import responses as problems
from services.ward_api.capacity.schemas import (
    CapacityReport,
    HistoryReport,
    Level,
    PlanOut,
    PlanRequest,
    SitrepImportResult,
)
from services.ward_api.deps import EquityAuditDep, SettingsDep
from services.ward_api.domain.capacity import PopulationBasis
from services.ward_api.idempotency.http import IdempotencyKey, run_idempotent
from services.ward_api.idempotency.service import StoredResponse
from services.ward_api.settings import WardSettings
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.problems import Unprocessable

router = APIRouter(prefix="/v1/capacity", tags=["capacity"])
admin_router = APIRouter(prefix="/v1/admin", tags=["capacity"])

# Commissioners see capacity for their ICBs (or all, with a national token); clinicians do
# not need it and are kept to their caseloads.
_capacity_readers = allow(Role.commissioner, Role.admin, Role.service)


def _cost(settings: WardSettings) -> Decimal:
    return Decimal(settings.cost_per_bed_gbp)


@router.get(
    "",
    summary="Beds per 100k against the 40–50 band, per ICB or for England",
    responses=problems.CAPACITY,
)
async def get_capacity(
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(_capacity_readers)],
    level: Level = Level.ICB,
    code: Annotated[str | None, Query(description="ICB code (E54… or Q…)")] = None,
    at: Annotated[date | None, Query(description="Date (default today)")] = None,
    basis: Annotated[PopulationBasis | None, Query(description="Force a denominator")] = None,
) -> CapacityReport:
    return await service.capacity_report(
        session, principal, level=level, code=code, at=at, basis=basis, cost_per_bed=_cost(settings)
    )


@router.get(
    "/history",
    summary="Monthly capacity history of an ICB (or ENGLAND) for trends",
    responses=problems.HISTORY,
)
async def get_history(
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(_capacity_readers)],
    code: str,
) -> HistoryReport:
    return await service.history(session, principal, code=code, cost_per_bed=_cost(settings))


def _with_query(body: PlanRequest, **given: str | None) -> PlanRequest:
    """`?level=ward&icb=QYG` may stand in for the body's fields; the two must not disagree."""
    fields = body.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            continue
        if name in fields and str(fields[name]) != value:
            raise Unprocessable(
                f"{name} differs between the query ({value}) and the body ({fields[name]})",
                slug="plan-parameters-conflict",
            )
        fields[name] = value
    try:
        merged = PlanRequest.model_validate(fields)
    except ValidationError as exc:
        errors = [
            {
                "pointer": "/body/" + "/".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "code": e["type"],
            }
            for e in exc.errors()
        ]
        raise Unprocessable("invalid plan request", errors=errors) from exc
    problem = merged.level_problem()
    if problem is not None:
        errors = [{"pointer": "/body/level", "message": problem, "code": "value_error"}]
        raise Unprocessable(problem, errors=errors)
    return merged


@router.post(
    "/plans",
    status_code=201,
    summary="Share new beds or a budget across ICBs, or across one ICB's wards; stored",
    description="ICB plans may be need-weighted (weights from equity_audit). With "
    "`level=ward&icb=…` (query or body) the ICB's wards are planned on their catchments.",
    response_model=PlanOut,
    responses=problems.CREATE_PLAN,
)
async def create_plan(
    body: PlanRequest,
    session: SessionDep,
    settings: SettingsDep,
    equity: EquityAuditDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
    idempotency_key: IdempotencyKey = None,
    level: Annotated[str | None, Query(description="icb (default) or ward")] = None,
    icb: Annotated[str | None, Query(description="level=ward: the ICB")] = None,
) -> JSONResponse:
    body = _with_query(body, level=level, icb=icb)

    async def work() -> StoredResponse:
        plan = await plans.create_plan(
            session,
            principal,
            body,
            equity=equity,
            cost_per_bed=_cost(settings),
        )
        return StoredResponse(201, "application/json", plan)

    return await run_idempotent(
        session, principal, endpoint="capacity-plans", key=idempotency_key, body=body, work=work
    )


@router.get(
    "/plans/{plan_id}",
    summary="A stored capacity plan, if the caller's scope covers all its ICBs",
    response_model=PlanOut,
    responses=problems.GET_PLAN,
)
async def get_plan(
    plan_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
) -> JSONResponse:
    # The plan as stored when it was made (its JSON), not re-serialised.
    return JSONResponse(await plans.get_plan(session, principal, plan_id))


@admin_router.post(
    "/sitrep",
    status_code=201,
    summary="Load sitrep months: CSV body (text/csv) or JSON {rows: [...]}; all or nothing",
    responses=problems.IMPORT_SITREP,
)
async def import_sitrep(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.admin))],
) -> SitrepImportResult:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    text = sitrep_import.body_as_csv(content_type, await request.body())
    return await sitrep_import.import_sitrep(
        session,
        text,
        source=f"POST /v1/admin/sitrep ({content_type})",
        imported_by=principal.subject,
    )
