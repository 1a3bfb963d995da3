"""`GET /v1/need-weights`: deprivation-based need weights for capacity planning."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.equity_audit.need import responses as problems
from services.equity_audit.need import service
from services.equity_audit.need.schemas import NeedWeights
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1", tags=["need"])


@router.get(
    "/need-weights",
    summary="IMD 2019 need weights per ICB (population-weighted mean 1.0 over England)",
    responses=problems.NEED_WEIGHTS,
)
async def need_weights(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.service, Role.commissioner, Role.admin))],
    level: Annotated[service.Level, Query(description="icb (contract) or sub_icb.")] = "icb",
) -> NeedWeights:
    return await service.weights(session, level=level)
