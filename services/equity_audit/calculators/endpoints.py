"""`/v1/methods/*`: public-health statistics on aggregates a commissioner supplies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends

from services.equity_audit.calculators import service
from services.equity_audit.calculators.schemas import (
    ProportionsRequest,
    ProportionsResponse,
    RatesRequest,
    RatesResponse,
    SiiRequest,
    SiiResponse,
)
from services.equity_audit.methods import MethodInputError
from shared.auth import Principal, Role, allow
from shared.problems import Unprocessable

router = APIRouter(prefix="/v1/methods", tags=["methods"])
Caller = Annotated[Principal, Depends(allow(Role.commissioner, Role.admin))]
T = TypeVar("T")

_INPUT_ERROR = {422: {"description": "`method-input`: names the item and field at fault."}}


async def _run(compute: Callable[[], T]) -> T:
    """Compute off the event loop; an input error becomes a 422 naming item and field."""
    try:
        return await asyncio.to_thread(compute)
    except MethodInputError as error:
        where = error.field if error.item_index is None else f"item {error.item_index}"
        raise Unprocessable(
            f"{where}: {error.reason}"
            if error.item_index is None
            else f"{where}, {error.field}: {error.reason}",
            slug="method-input",
            item=error.item_index,
            field=error.field,
            reason=error.reason,
        ) from None


@router.post(
    "/rates",
    summary="Crude rates per multiplier with exact Poisson (count < 10) or Byars limits",
    responses=_INPUT_ERROR,
)
async def rates(body: RatesRequest, _: Caller) -> RatesResponse:
    items = await _run(lambda: service.rates(body))
    return RatesResponse(multiplier=body.multiplier, confidence=body.confidence, items=items)


@router.post("/proportions", summary="Proportions with Wilson score limits", responses=_INPUT_ERROR)
async def proportions(body: ProportionsRequest, _: Caller) -> ProportionsResponse:
    items = await _run(lambda: service.proportions(body))
    return ProportionsResponse(multiplier=body.multiplier, confidence=body.confidence, items=items)


@router.post(
    "/sii",
    summary="Slope and relative index of inequality with simulated limits",
    description="As PHEindicatormethods `phe_sii`: quantile 1 is the most deprived and sits at"
    " x = 0, the last quantile at x = 1. `sii` = fitted(1) - fitted(0). The RII is reported both"
    " ways round: `rii` is the package's fitted(1) / fitted(0) (least deprived over most"
    " deprived), `rii_most_over_least_deprived` its reciprocal fitted(0) / fitted(1), each"
    " with simulated limits.",
    responses=_INPUT_ERROR,
)
async def sii(body: SiiRequest, _: Caller) -> SiiResponse:
    """SII and RII (both directions) of values across ordered quantiles."""
    return await _run(lambda: service.sii(body))
