"""Write binding commands with the admission or discharge that needs them (the outbox).

Nothing here calls monitoring_ingest: the command row commits or rolls back with the
admission, and bindings/worker.py delivers it afterwards, outside any ward lock.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions.models import Admission
from services.ward_api.bindings import repository
from services.ward_api.bindings.schemas import AdmissionStayOut, BindingCommandOut, CommandKind
from services.ward_api.wards import repository as wards
from shared.problems import NotFound

DEFAULT_INTERVAL_MINUTES = 240


async def enqueue_bind(session: AsyncSession, admission: Admission) -> bool:
    """Queue the device binding of a new admission; False when it has no device."""
    if admission.device_vendor_id is None or admission.device_id is None:
        return False
    admission.binding_status, admission.binding_detail = "pending", None
    icb_codes = await _icb_codes(session, admission.ward_id)
    await repository.enqueue(
        session,
        admission_id=admission.id,
        kind=CommandKind.BIND,
        vendor_id=admission.device_vendor_id,
        device_id=admission.device_id,
        payload={
            "ward_id": str(admission.ward_id),
            "icb_codes": icb_codes,
            "expected_interval_minutes": admission.expected_interval_minutes
            or DEFAULT_INTERVAL_MINUTES,
            # From when it was entered, not a back-dated admission time: readings from
            # before then cannot be known to be this patient's.
            "bound_at": admission.recorded_at.isoformat(),
        },
    )
    return True


async def enqueue_unbind(session: AsyncSession, admission: Admission) -> bool:
    """Queue the unbinding of a discharged admission whose device is (or will be) bound."""
    if (
        admission.device_vendor_id is None
        or admission.device_id is None
        or admission.binding_status not in ("bound", "pending")
    ):
        return False
    assert admission.discharged_at is not None
    admission.binding_status, admission.binding_detail = "unbind_pending", None
    await repository.enqueue(
        session,
        admission_id=admission.id,
        kind=CommandKind.UNBIND,
        vendor_id=admission.device_vendor_id,
        device_id=admission.device_id,
        # Never before the binding began (a late admission is bound from when it was entered).
        payload={"unbound_at": max(admission.discharged_at, admission.recorded_at).isoformat()},
    )
    return True


async def commands(session: AsyncSession, admission: Admission) -> list[BindingCommandOut]:
    """The admission's commands, oldest first, for its binding history."""
    found = await repository.for_admission(session, admission.id)
    return [BindingCommandOut.model_validate(c) for c in found]


async def _icb_codes(session: AsyncSession, ward_id: uuid.UUID) -> list[str]:
    """The ward's ICB under both its codes (ONS, ODS), for scope checks at the peer."""
    ward = await wards.get(session, ward_id)
    if ward is None:
        return []
    ods = await wards.icb_ods(session, ward.icb_code)
    return [code for code in (ward.icb_code, ods) if code]


async def stay(session: AsyncSession, admission_id: uuid.UUID) -> AdmissionStayOut:
    """The admission's ward, ICB codes and stay; 404 `admission-not-found`."""
    admission = await session.get(Admission, admission_id)
    if admission is None:
        raise NotFound(f"no admission {admission_id}", slug="admission-not-found")
    return AdmissionStayOut(
        admission_id=admission.id,
        ward_id=admission.ward_id,
        icb_codes=await _icb_codes(session, admission.ward_id),
        admitted_at=admission.admitted_at,
        recorded_at=admission.recorded_at,
        discharged_at=admission.discharged_at,
    )
