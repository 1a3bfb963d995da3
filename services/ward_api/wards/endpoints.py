"""Virtual wards: admins create and change them; commissioners and clinicians read in scope."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.ward_api.idempotency.http import IdempotencyKey, run_idempotent
from services.ward_api.idempotency.service import StoredResponse
from services.ward_api.wards import responses as problems
from services.ward_api.wards import service
from services.ward_api.wards.schemas import (
    CapacityChangeIn,
    CapacityChangeOut,
    WardCreate,
    WardOut,
    WardUpdate,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/wards", tags=["wards"])
_admin = allow(Role.admin)
_readers = allow(Role.admin, Role.commissioner, Role.clinician, Role.service)


@router.post(
    "",
    status_code=201,
    summary="Create a virtual ward (admin)",
    response_model=WardOut,
    responses=problems.CREATE_WARD,
)
async def create_ward(
    body: WardCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_admin)],
    idempotency_key: IdempotencyKey = None,
):  # -> JSONResponse
    async def work() -> StoredResponse:
        return StoredResponse(
            201, "application/json", await service.create(session, principal, body)
        )

    return await run_idempotent(
        session, principal, endpoint="wards", key=idempotency_key, body=body, work=work
    )


@router.get("", summary="Wards the caller may see", responses=problems.LIST_WARDS)
async def list_wards(
    session: SessionDep,
    principal: Annotated[Principal, Depends(_readers)],
    icb_code: str | None = None,
) -> list[WardOut]:
    return await service.list_wards(session, principal, icb_code=icb_code)


@router.get(
    "/{ward_id}", summary="One ward with its current occupancy", responses=problems.READ_WARD
)
async def get_ward(
    ward_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, Depends(_readers)]
) -> WardOut:
    return await service.get(session, principal, ward_id)


@router.patch(
    "/{ward_id}",
    summary="Update a ward's details or status (admin)",
    responses=problems.UPDATE_WARD,
)
async def update_ward(
    ward_id: uuid.UUID,
    body: WardUpdate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_admin)],
) -> WardOut:
    return await service.update(session, principal, ward_id, body)


@router.post(
    "/{ward_id}/capacity",
    summary="Change commissioned beds (admin); appended to the history, never overwritten",
    responses=problems.CHANGE_CAPACITY,
)
async def change_capacity(
    ward_id: uuid.UUID,
    body: CapacityChangeIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_admin)],
) -> WardOut:
    return await service.change_capacity(session, principal, ward_id, body)


@router.get(
    "/{ward_id}/capacity-history",
    summary="Every capacity change: who, when, why",
    responses=problems.READ_WARD,
)
async def capacity_history(
    ward_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, Depends(_readers)]
) -> list[CapacityChangeOut]:
    return await service.capacity_history(session, principal, ward_id)
