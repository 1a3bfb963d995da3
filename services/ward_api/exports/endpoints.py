"""Sitrep exports (commissioners, admins) and the aggregate feed for equity_audit (service)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from services.ward_api.deps import SettingsDep
from services.ward_api.exports import responses as problems
from services.ward_api.exports import service
from services.ward_api.exports.schemas import AggregateReport, SitrepExport
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.problems import Unprocessable

router = APIRouter(tags=["exports"])


@router.get(
    "/v1/exports/sitrep",
    summary="Monthly sitrep per ICB (JSON or CSV), with the OGL attribution",
    response_model=SitrepExport,
    responses={200: {"content": {"text/csv": {}}}, **problems.SITREP},
)
async def export_sitrep(
    session: SessionDep,
    settings: SettingsDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
    period: Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")],
    format: Literal["json", "csv"] = "json",
) -> Response:
    cost = Decimal(settings.cost_per_bed_gbp)
    export = await service.sitrep(session, principal, period=period, cost_per_bed=cost)
    if format == "csv":
        return Response(
            service.to_csv(export),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="sitrep-{period}.csv"'},
        )
    return JSONResponse(jsonable_encoder(export))


@router.get(
    "/v1/internal/aggregates/admissions",
    summary="Admission aggregates for equity_audit (service; no identifiers)",
    response_model=AggregateReport,
    responses=problems.AGGREGATES,
)
async def aggregates(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.service))],
    from_: Annotated[date, Query(alias="from")],
    to: date,
) -> JSONResponse:
    if to <= from_:
        raise Unprocessable("`to` must be after `from`", slug="invalid-date-range")
    if (to - from_).days > 3660:
        raise Unprocessable("at most ten years per request", slug="invalid-date-range")
    report: AggregateReport = await service.admission_aggregates(session, start=from_, end=to)
    return JSONResponse(jsonable_encoder(report, by_alias=True))
