"""Write patient-data access to the append-only audit log, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.audit.models import AuditEvent
from shared.auth import Principal
from shared.observability import current_request_id


async def record(
    session: AsyncSession,
    principal: Principal,
    action: str,
    entity: str,
    *,
    entity_id: object | None = None,
    patient_id: uuid.UUID | None = None,
    ward_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event: who (subject, role), what (action on entity), when, request id."""
    session.add(
        AuditEvent(
            actor=principal.subject,
            role=str(principal.role),
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            patient_id=patient_id,
            ward_id=ward_id,
            request_id=current_request_id(),
            detail=detail or {},
        )
    )
    await session.flush()


async def list_events(
    session: AsyncSession, *, patient_id: uuid.UUID | None, limit: int
) -> list[AuditEvent]:
    """The latest events, newest first, optionally for one patient."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    return list((await session.scalars(query)).all())
