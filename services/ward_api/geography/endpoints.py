"""ICBs, sub-ICB locations and their population denominators (public reference data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.ward_api.geography import responses as problems
from services.ward_api.geography import service
from services.ward_api.geography.schemas import IcbDetail, IcbOut
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/icbs", tags=["geography"])
_readers = allow(Role.admin, Role.commissioner, Role.clinician, Role.service)


@router.get("", summary="ICBs with ONS and ODS codes and population denominators")
async def list_icbs(
    session: SessionDep, _: Annotated[Principal, Depends(_readers)]
) -> list[IcbOut]:
    return await service.list_icbs(session)


@router.get(
    "/{code}",
    summary="One ICB (by E54… or Q… code) with its sub-ICB locations",
    responses=problems.GET_ICB,
)
async def get_icb(
    code: str, session: SessionDep, _: Annotated[Principal, Depends(_readers)]
) -> IcbDetail:
    return await service.icb_detail(session, code)
