"""Costed inclusion need per area, unit costs per ICB, and wards' voluntary partners."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.ward_api.deps import SettingsDep
from services.ward_api.inclusion import responses as problems
from services.ward_api.inclusion import service
from services.ward_api.inclusion.schemas import (
    InclusionReport,
    PartnerCreate,
    PartnerOut,
    UnitCostHistoryOut,
    UnitCostSet,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/inclusion", tags=["inclusion"])
admin_router = APIRouter(prefix="/v1/admin/inclusion", tags=["inclusion"])
partners_router = APIRouter(prefix="/v1/wards", tags=["inclusion"])

_readers = allow(Role.commissioner, Role.admin, Role.service)


@router.get(
    "/need",
    summary="What inclusion would cost for `beds` beds in an ICB: need, shares and costs",
    responses=problems.NEED,
)
async def get_need(
    settings: SettingsDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_readers)],
    icb: Annotated[str, Query(max_length=9, description="ICB code (E54… or Q…)")],
    beds: Annotated[int, Query(ge=0, le=100_000)],
    at: Annotated[date | None, Query(description="Date (default today)")] = None,
    period_days: Annotated[int, Query(ge=1, le=3660)] = 365,
) -> InclusionReport:
    return await service.need_report(
        session,
        principal,
        icb=icb,
        beds=beds,
        at=at,
        period_days=period_days,
        cost_per_bed=Decimal(settings.cost_per_bed_gbp),
    )


@router.get(
    "/unit-costs",
    summary="An ICB's inclusion unit costs in force, with their citations and history",
    responses=problems.UNIT_COSTS,
)
async def get_unit_costs(
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
    icb: Annotated[str, Query(max_length=9, description="ICB code (E54… or Q…)")],
) -> UnitCostHistoryOut:
    return await service.unit_cost_history(session, principal, icb)


@admin_router.post(
    "/unit-costs",
    status_code=201,
    summary="Set one inclusion unit cost for an ICB (appended to its history; admin)",
    responses=problems.SET_UNIT_COST,
)
async def set_unit_cost(
    body: UnitCostSet,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.admin))],
) -> UnitCostHistoryOut:
    return await service.set_unit_cost(session, principal, body)


@partners_router.post(
    "/{ward_id}/partners",
    status_code=201,
    summary="Record a voluntary or community partner of a ward (no personal data)",
    responses=problems.PARTNERS,
)
async def add_partner(
    ward_id: uuid.UUID,
    body: PartnerCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.admin, Role.clinician))],
) -> PartnerOut:
    return await service.add_partner(session, principal, ward_id, body)


@partners_router.get(
    "/{ward_id}/partners",
    summary="A ward's voluntary and community partners",
    responses=problems.PARTNERS,
)
async def list_partners(
    ward_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.admin, Role.clinician, Role.commissioner))],
) -> list[PartnerOut]:
    return await service.list_partners(session, principal, ward_id)
