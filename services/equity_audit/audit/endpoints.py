"""`GET /v1/audit`: who the wards reach, by a chosen cut, as JSON, CSV or HTML."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.equity_audit.audit import service
from services.equity_audit.audit.csv_out import render_csv
from services.equity_audit.audit.html import render_html
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1", tags=["audit"])

Cut = Literal[
    "imd_quintile", "imd_decile", "core20", "digital_exclusion_quintile", "housing_quintile",
    "ethnic_category", "age_band", "sex", "pathway", "own_device", "broadband",
    "housing_concern", "icb", "sub_icb",
]  # fmt: skip
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
    response_model=None,
    responses={
        200: {"content": {"text/csv": {}, "text/html": {}}},
        403: {"description": "`wrong-icb`: the ICB is outside the token's scope."},
        503: {"description": "`uptake-unavailable`: no snapshot and ward_api unreachable."},
    },
)
async def audit(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))],
    icb: Annotated[str | None, Query(description="ICB code (E54…) or ODS code (Q…).")] = None,
    cut: Cut = "imd_quintile",
    format: Literal["json", "csv", "html"] = "json",
    from_month: Annotated[Month, Query(alias="from")] = None,
    to_month: Annotated[Month, Query(alias="to")] = None,
) -> Response:
    state = request.app.state
    result: dict[str, Any] = await service.run_audit(
        session,
        client=state.ward_api,
        settings=state.settings,
        cache=state.area_cache,
        principal=principal,
        icb=icb,
        cut=cut,
        from_month=from_month,
        to_month=to_month,
    )
    name = f"equity-audit-{result['scope'].get('icb_ods_code', 'england')}-{cut}"
    if format == "csv":
        return Response(
            render_csv(result),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "html":
        return HTMLResponse(render_html(result))
    return JSONResponse(result)
