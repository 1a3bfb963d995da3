"""`GET /v1/audit`: who the wards reach, by a chosen cut, as JSON, CSV or HTML."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.equity_audit.audit import responses as problems
from services.equity_audit.audit import service
from services.equity_audit.audit.schemas import AuditReport, Cut, Format
from services.equity_audit.deps import AreaCacheDep, SettingsDep, WardApiDep
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1", tags=["audit"])

Month = Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


@router.get(
    "/audit",
    summary="Equity audit of virtual-ward uptake and outcomes (disclosure-controlled)",
    description="Counts and outcomes by `cut`, rates per 100,000 against LSOA populations for"
    " area cuts, SII and RII across IMD quintiles, Core20 share, digital access (own device,"
    " broadband) by IMD quintile and the ICB need funnel. Counts 1-7 are hidden, others"
    " rounded to 5, with secondary suppression.\n\n**RII direction**: `rii` follows"
    " PHEindicatormethods (fitted value at the least deprived end over the most deprived"
    " end); `rii_most_over_least_deprived` is its reciprocal (most over least deprived).\n\n"
    "**Need flag** (`need_rule` in the answer): IMD score is used as a need proxy. Expected"
    " Core20 admissions = the ICB's admissions x the Core20 share of its population weighted"
    " by IMD score; ICBs below the 99.8% funnel limit of O/E are flagged `below_need`. The"
    " funnel places every ICB for a national token, and for a commissioner scoped to some"
    " ICBs only those (`need.coverage`), so no other ICB's figures are disclosed.",
    response_model=AuditReport,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}, **problems.AUDIT},
)
async def audit(
    session: SessionDep,
    ward_api: WardApiDep,
    settings: SettingsDep,
    cache: AreaCacheDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
    icb: Annotated[str | None, Query(description="ICB code (E54…) or ODS code (Q…).")] = None,
    cut: Cut = "imd_quintile",
    format: Format = "json",
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> Response:
    result = await service.run_audit(
        session,
        client=ward_api,
        settings=settings,
        cache=cache,
        principal=principal,
        icb=icb,
        cut=cut,
        from_month=from_month,
        to_month=to_month,
    )
    rendered = service.render(result, cut=cut, format=format)
    if isinstance(rendered.body, dict):
        return JSONResponse(rendered.body)
    if rendered.filename is None:
        return HTMLResponse(rendered.body)
    return Response(
        rendered.body,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )
