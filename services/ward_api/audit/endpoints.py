"""Admins read the audit log (reading it is not itself patient data)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.ward_api.audit import service
from services.ward_api.audit.schemas import AuditEventOut
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Latest audit events (admin)")
async def list_audit(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.admin))],
    patient_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventOut]:
    events = await service.list_events(session, patient_id=patient_id, limit=limit)
    return [AuditEventOut.model_validate(e) for e in events]
