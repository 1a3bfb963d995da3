"""A clinician's monitoring plan for an admission (overrides NEWS2-paced missed readings)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.monitoring_ingest.deps import SettingsDep
from services.monitoring_ingest.pacing import service
from services.monitoring_ingest.pacing.schemas import MonitoringPlanIn, MonitoringPlanOut
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/admissions/{admission_id}", tags=["news2"])
Clinician = Annotated[Principal, Depends(allow(Role.clinician))]


@router.put(
    "/monitoring-plan",
    summary="Set the expected interval between readings, with reason (null: follow NEWS2)",
)
async def set_plan(
    admission_id: uuid.UUID,
    body: MonitoringPlanIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Clinician,
) -> MonitoringPlanOut:
    return await service.change_plan(session, settings, principal, admission_id, body)


@router.get("/monitoring-plan", summary="The monitoring plan in force, and what paces readings now")
async def get_plan(
    admission_id: uuid.UUID, session: SessionDep, settings: SettingsDep, principal: Clinician
) -> MonitoringPlanOut:
    return await service.plan_in_force(session, settings, principal, admission_id)
