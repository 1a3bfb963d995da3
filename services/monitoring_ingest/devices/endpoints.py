"""Bindings: internal (ward_api at admission and discharge) and for clinicians.

Patient-level routes admit clinicians only, as ward_api's do: admins manage vendors and
the outbox, never a patient's record.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.monitoring_ingest.deps import WardApiDep
from services.monitoring_ingest.devices import responses as problems
from services.monitoring_ingest.devices import service
from services.monitoring_ingest.devices.schemas import (
    BindingIn,
    BindingOut,
    ClinicianBindingIn,
    Unbound,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

internal = APIRouter(prefix="/v1/internal/bindings", tags=["bindings"])
router = APIRouter(prefix="/v1", tags=["bindings"])
Service = Annotated[Principal, Depends(allow(Role.service))]
Clinician = Annotated[Principal, Depends(allow(Role.clinician))]


def _out(binding) -> BindingOut:
    return BindingOut.model_validate(binding, from_attributes=True)


@internal.put(
    "/{vendor_id}/{device_id}", summary="Bind a device to an admission", responses=problems.BIND
)
async def bind_device(
    vendor_id: uuid.UUID,
    device_id: str,
    body: BindingIn,
    session: SessionDep,
    response: Response,
    _: Service,
) -> BindingOut:
    binding, created = await service.bind(
        session, vendor_id=vendor_id, device_id=device_id, **body.model_dump()
    )
    response.status_code = 201 if created else 200
    return _out(binding)


@internal.delete(
    "/{vendor_id}/{device_id}", summary="End a binding at discharge", responses=problems.UNBIND
)
async def unbind_device(
    vendor_id: uuid.UUID,
    device_id: str,
    admission_id: Annotated[uuid.UUID, Query()],
    session: SessionDep,
    _: Service,
    unbound_at: Annotated[
        datetime | None,
        Query(description="Discharge time, with UTC offset; defaults to now."),
    ] = None,
) -> Unbound:
    binding, expected, received = await service.unbind(
        session,
        vendor_id=vendor_id,
        device_id=device_id,
        admission_id=admission_id,
        unbound_at=unbound_at,
    )
    assert binding.unbound_at is not None
    return Unbound(
        admission_id=admission_id,
        readings_expected=expected,
        readings_received=received,
        unbound_at=binding.unbound_at,
    )


@router.put(
    "/bindings/{vendor_id}/{device_id}",
    summary="Bind a device (clinician)",
    responses=problems.CLINICIAN_BIND,
)
async def bind_device_by_clinician(
    vendor_id: uuid.UUID,
    device_id: str,
    body: ClinicianBindingIn,
    session: SessionDep,
    ward_api: WardApiDep,
    response: Response,
    principal: Clinician,
) -> BindingOut:
    binding, created = await service.bind_for_clinician(
        session,
        ward_api,
        principal=principal,
        vendor_id=vendor_id,
        device_id=device_id,
        **body.model_dump(),
    )
    response.status_code = 201 if created else 200
    return _out(binding)


@router.get(
    "/admissions/{admission_id}/bindings",
    summary="An admission's device bindings",
    responses=problems.ADMISSION_SCOPED,
)
async def admission_bindings(
    admission_id: uuid.UUID, session: SessionDep, principal: Clinician
) -> list[BindingOut]:
    bindings = await service.list_bindings(session, principal=principal, admission_id=admission_id)
    return [_out(b) for b in bindings]
