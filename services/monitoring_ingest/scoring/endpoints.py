"""SpO2 scale and thresholds per admission, NEWS2 history, and internal latest vitals."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.monitoring_ingest.scoring import responses as problems
from services.monitoring_ingest.scoring import service
from services.monitoring_ingest.scoring.schemas import (
    LatestVitalsIn,
    LatestVitalsOut,
    News2Out,
    Spo2ScaleIn,
    Spo2ScaleOut,
    ThresholdIn,
    ThresholdOut,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/admissions/{admission_id}", tags=["news2"])
internal = APIRouter(prefix="/v1/internal", tags=["news2"])
Clinician = Annotated[Principal, Depends(allow(Role.clinician))]
Service = Annotated[Principal, Depends(allow(Role.service))]


@router.put(
    "/spo2-scale",
    summary="Set the SpO2 scale (2 for hypercapnic failure), with reason",
    responses=problems.ADMISSION_SCOPED,
)
async def set_scale(
    admission_id: uuid.UUID, body: Spo2ScaleIn, session: SessionDep, principal: Clinician
) -> Spo2ScaleOut:
    setting = await service.set_scale(
        session,
        principal=principal,
        admission_id=admission_id,
        scale=body.scale,
        reason=body.reason,
    )
    return Spo2ScaleOut.model_validate(setting, from_attributes=True)


@router.get(
    "/spo2-scale",
    summary="The SpO2 scale in force (1 unless set)",
    responses=problems.ADMISSION_SCOPED,
)
async def get_scale(
    admission_id: uuid.UUID, session: SessionDep, principal: Clinician
) -> Spo2ScaleOut:
    setting = await service.current_scale(session, principal=principal, admission_id=admission_id)
    if setting is None:
        return Spo2ScaleOut(
            admission_id=admission_id, scale=1, reason=None, set_by=None, set_at=None
        )
    return Spo2ScaleOut.model_validate(setting, from_attributes=True)


@router.post(
    "/thresholds",
    status_code=201,
    summary="Add a per-patient alert threshold",
    responses=problems.ADD_THRESHOLD,
)
async def add_threshold(
    admission_id: uuid.UUID, body: ThresholdIn, session: SessionDep, principal: Clinician
) -> ThresholdOut:
    threshold = await service.add_threshold(
        session, principal=principal, admission_id=admission_id, body=body
    )
    return ThresholdOut.model_validate(threshold, from_attributes=True)


@router.get(
    "/thresholds",
    summary="The admission's thresholds, retired ones included",
    responses=problems.ADMISSION_SCOPED,
)
async def list_thresholds(
    admission_id: uuid.UUID, session: SessionDep, principal: Clinician
) -> list[ThresholdOut]:
    rows = await service.list_thresholds(session, principal=principal, admission_id=admission_id)
    return [ThresholdOut.model_validate(t, from_attributes=True) for t in rows]


@router.delete(
    "/thresholds/{threshold_id}",
    summary="Retire a threshold",
    responses=problems.RETIRE_THRESHOLD,
)
async def retire_threshold(
    admission_id: uuid.UUID, threshold_id: uuid.UUID, session: SessionDep, principal: Clinician
) -> ThresholdOut:
    threshold = await service.retire_threshold(
        session, principal=principal, admission_id=admission_id, threshold_id=threshold_id
    )
    return ThresholdOut.model_validate(threshold, from_attributes=True)


@router.get(
    "/news2",
    summary="NEWS2 history, newest first",
    responses=problems.ADMISSION_SCOPED,
)
async def news2_history(
    admission_id: uuid.UUID,
    session: SessionDep,
    principal: Clinician,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[News2Out]:
    rows = await service.news2_history(
        session, principal=principal, admission_id=admission_id, start=start, end=end, limit=limit
    )
    return [News2Out.model_validate(r, from_attributes=True) for r in rows]


@internal.post("/latest-vitals", summary="Latest NEWS2 and alerts per admission (caseloads)")
async def internal_latest_vitals(
    body: LatestVitalsIn, session: SessionDep, _: Service
) -> LatestVitalsOut:
    items = await service.latest_vitals(session, admission_ids=body.admission_ids)
    return LatestVitalsOut(items=items)
