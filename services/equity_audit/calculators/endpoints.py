"""`/v1/methods/*`: public-health statistics on aggregates a commissioner supplies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.equity_audit.calculators import responses as problems
from services.equity_audit.calculators import service
from services.equity_audit.calculators.schemas import (
    ProportionsRequest,
    ProportionsResponse,
    RatesRequest,
    RatesResponse,
    SiiRequest,
    SiiResponse,
)
from shared.auth import Principal, Role, allow

router = APIRouter(prefix="/v1/methods", tags=["methods"])
Caller = Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))]


@router.post(
    "/rates",
    summary="Crude rates per multiplier with exact Poisson (count < 10) or Byars limits",
    responses=problems.METHOD,
)
async def rates(body: RatesRequest, _: Caller) -> RatesResponse:
    return await service.rates_answer(body)


@router.post(
    "/proportions", summary="Proportions with Wilson score limits", responses=problems.METHOD
)
async def proportions(body: ProportionsRequest, _: Caller) -> ProportionsResponse:
    return await service.proportions_answer(body)


@router.post(
    "/sii",
    summary="Slope and relative index of inequality with simulated limits",
    description="As PHEindicatormethods `phe_sii`: quantile 1 is the most deprived and sits at"
    " x = 0, the last quantile at x = 1. `sii` = fitted(1) - fitted(0). The RII is reported both"
    " ways round: `rii` is the package's fitted(1) / fitted(0) (least deprived over most"
    " deprived), `rii_most_over_least_deprived` its reciprocal fitted(0) / fitted(1), each"
    " with simulated limits.",
    responses=problems.METHOD,
)
async def sii(body: SiiRequest, _: Caller) -> SiiResponse:
    """SII and RII (both directions) of values across ordered quantiles."""
    return await service.sii_answer(body)
