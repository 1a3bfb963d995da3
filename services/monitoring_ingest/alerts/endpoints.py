"""The alert outbox for operators: what was raised and whether ward_api has it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.monitoring_ingest.alerts import service
from services.monitoring_ingest.alerts.schemas import AlertDeliveryOut, DeliveryState
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
Operator = Annotated[Principal, Depends(allow(Role.admin, Role.service))]


@router.get(
    "",
    summary="Alerts with their delivery state (admin, service)",
    description="`state=pending` lists the outbox oldest first, so a stuck head shows at the "
    "top with its attempts and last error; other states (or none) list newest first.",
)
async def list_alerts(
    session: SessionDep,
    _: Operator,
    state: DeliveryState | None = None,
    ward_id: uuid.UUID | None = None,
    admission_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertDeliveryOut]:
    alerts = await service.list_alerts(
        session, state=state, ward_id=ward_id, admission_id=admission_id, limit=limit
    )
    return [AlertDeliveryOut.model_validate(a) for a in alerts]
