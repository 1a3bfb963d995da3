"""The admission facts monitoring_ingest needs to bind a device a clinician names (internal)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.ward_api.bindings import service
from services.ward_api.bindings.schemas import AdmissionStayOut
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

internal = APIRouter(prefix="/v1/internal/admissions", tags=["admissions"])


@internal.get(
    "/{admission_id}/stay",
    summary="An admission's ward, ICB codes and stay (service only, for bindings)",
)
async def admission_stay(
    admission_id: uuid.UUID,
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.service))],
) -> AdmissionStayOut:
    return await service.stay(session, admission_id)
