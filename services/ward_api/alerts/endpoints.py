"""Alerts: delivered by monitoring_ingest; acknowledged and resolved by ward clinicians."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from services.ward_api.alerts import responses as problems
from services.ward_api.alerts import service
from services.ward_api.alerts.schemas import AlertIn, AlertOut, ResolveIn
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(tags=["alerts"])
_clinician = allow(Role.clinician)


@router.post(
    "/v1/internal/alerts",
    status_code=201,
    response_model=AlertOut,
    summary="Deliver an alert (service): 201 new, 200 repeat, 409 `alert-id-reused`",
    responses=problems.RECEIVE_ALERT,
)
async def receive_alert(
    body: AlertIn, session: SessionDep, _: Annotated[Principal, Depends(allow(Role.service))]
) -> JSONResponse:
    alert, created = await service.receive(session, body)
    return JSONResponse(jsonable_encoder(alert), status_code=201 if created else 200)


@router.get(
    "/v1/wards/{ward_id}/alerts",
    summary="Alerts of a ward, newest first",
    responses=problems.LIST_ALERTS,
)
async def list_alerts(
    ward_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
    open_only: bool = True,
) -> list[AlertOut]:
    return await service.list_for_ward(session, principal, ward_id, open_only=open_only)


@router.post(
    "/v1/alerts/{alert_id}/acknowledge",
    summary="Acknowledge (response time recorded)",
    responses=problems.ACKNOWLEDGE,
)
async def acknowledge(
    alert_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, Depends(_clinician)]
) -> AlertOut:
    return await service.acknowledge(session, principal, alert_id)


@router.post(
    "/v1/alerts/{alert_id}/resolve", summary="Resolve with a note", responses=problems.RESOLVE
)
async def resolve(
    alert_id: uuid.UUID,
    body: ResolveIn,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
) -> AlertOut:
    return await service.resolve(session, principal, alert_id, body.resolution)
