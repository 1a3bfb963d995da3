"""Patients, admissions, discharges, wait-lists and caseloads (clinicians, ward-scoped)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.ward_api.admissions import caseload as caseload_service
from services.ward_api.admissions import responses as problems
from services.ward_api.admissions import service
from services.ward_api.admissions.schemas import (
    AdmissionOut,
    AdmissionRequest,
    Caseload,
    DischargeOut,
    DischargeRequest,
    PatientCreate,
    PatientOut,
    WaitlistEntryOut,
)
from services.ward_api.deps import MonitoringDep
from services.ward_api.idempotency.http import IdempotencyKey, run_idempotent
from services.ward_api.idempotency.service import StoredResponse
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.problems import PROBLEM_JSON, problem_type

router = APIRouter(tags=["admissions"])
# Patient data is for clinicians only: commissioners see aggregates, admins run wards.
_clinician = allow(Role.clinician)


@router.post(
    "/v1/patients",
    status_code=201,
    response_model=PatientOut,
    summary="Register a patient",
    description="The NHS number is 10 ASCII digits, optionally grouped 3 3 4 by spaces or "
    "dashes; other scripts' digits (fullwidth, Arabic-Indic, superscripts) are refused with "
    "422 `invalid-nhs-number` reason `not_ascii_digits`. `patient-exists` gives the existing "
    "`patient_id` unless the patient is now admitted to a ward outside the caller's scope.",
    responses=problems.CREATE_PATIENT,
)
async def create_patient(
    body: PatientCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def work() -> StoredResponse:
        patient = await service.create_patient(session, principal, body)
        return StoredResponse(201, "application/json", patient)

    return await run_idempotent(
        session, principal, endpoint="patients", key=idempotency_key, body=body, work=work
    )


@router.get(
    "/v1/patients/{patient_id}",
    summary="A patient on a ward in the caller's scope",
    responses=problems.GET_PATIENT,
)
async def get_patient(
    patient_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, Depends(_clinician)]
) -> PatientOut:
    return await service.get_patient(session, principal, patient_id)


@router.post(
    "/v1/admissions",
    status_code=201,
    response_model=AdmissionOut,
    summary="Admit into a free bed (201) or wait-list the patient (409 `ward-full`)",
    description="A device is bound in the background: the answer says `binding_status` "
    "`pending`, and GET /v1/admissions/{id} shows it become `bound` (or `failed`).\n\n"
    "An admission recorded late gives `admitted_at`. Beds are allocated on current "
    "occupancy only: a full ward wait-lists the patient (409 `ward-full`) whatever the "
    "time; otherwise the patient takes the lowest bed free now that has been free since "
    "`admitted_at`, so stays in one bed never overlap (409 `bed-not-free-since`, with "
    "`earliest_admitted_at`). A late admission's device is bound from when it is entered.\n\n"
    "`already-admitted` and `overlapping-stay` name the patient's other admission "
    "(`admission_id`, `ward_id`, `discharged_at`) only when the caller's scope covers its "
    "ward; otherwise they say the patient is on another virtual ward and name nothing of it.",
    responses=problems.ADMIT,
)
async def admit(
    request: Request,
    body: AdmissionRequest,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def work() -> StoredResponse:
        try:
            admission = await service.admit(session, principal, body)
        except service.WardFull as full:
            problem = {
                "type": problem_type("ward-full"),
                "title": "Ward full",
                "status": 409,
                "detail": f"no free bed; the patient is number {full.position} on the wait-list",
                "instance": request.url.path,
                "request_id": getattr(request.state, "request_id", None),
                "waitlist_position": full.position,
                "waitlist_entry_id": str(full.entry.id),
                "beds": full.beds,
            }
            return StoredResponse(409, PROBLEM_JSON, problem)
        return StoredResponse(201, "application/json", admission)

    return await run_idempotent(
        session,
        principal,
        endpoint="admissions",
        key=idempotency_key,
        body=body,
        work=work,
        required=True,
    )


@router.get(
    "/v1/admissions/{admission_id}",
    summary="One admission, with its device binding status and binding commands",
    responses=problems.GET_ADMISSION,
)
async def get_admission(
    admission_id: uuid.UUID,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
) -> AdmissionOut:
    return await service.get_admission(session, principal, admission_id)


@router.post(
    "/v1/admissions/{admission_id}/discharge",
    summary="Discharge with an outcome; the freed bed goes to the wait-list head",
    responses=problems.DISCHARGE,
)
async def discharge(
    admission_id: uuid.UUID,
    body: DischargeRequest,
    session: SessionDep,
    principal: Annotated[Principal, Depends(_clinician)],
) -> DischargeOut:
    return await service.discharge(session, principal, admission_id, body)


@router.get(
    "/v1/wards/{ward_id}/waitlist",
    summary="The ward's wait-list in offer order",
    responses=problems.WARD_SCOPED,
)
async def waitlist(
    ward_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, Depends(_clinician)]
) -> list[WaitlistEntryOut]:
    return await service.waitlist(session, principal, ward_id)


@router.get(
    "/v1/wards/{ward_id}/caseload",
    summary="Patients on the ward, highest risk first",
    responses=problems.WARD_SCOPED,
)
async def caseload(
    ward_id: uuid.UUID,
    session: SessionDep,
    monitoring: MonitoringDep,
    principal: Annotated[Principal, Depends(_clinician)],
) -> Caseload:
    return await caseload_service.caseload(session, principal, ward_id, monitoring=monitoring)
