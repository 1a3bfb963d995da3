"""Queries for patients, admissions and wait-list entries."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions.models import Admission, Patient, WaitlistEntry
from services.ward_api.alerts.models import Alert


async def patient_by_nhs(session: AsyncSession, nhs_number: str) -> Patient | None:
    return await session.scalar(select(Patient).where(Patient.nhs_number == nhs_number))


async def open_admission(session: AsyncSession, patient_id: uuid.UUID) -> Admission | None:
    query = select(Admission).where(
        Admission.patient_id == patient_id, Admission.discharged_at.is_(None)
    )
    return await session.scalar(query)


async def get_admission(
    session: AsyncSession, admission_id: uuid.UUID, *, lock: bool = False
) -> Admission | None:
    query = select(Admission).where(Admission.id == admission_id)
    if lock:
        # Reload under the lock: an earlier unlocked read may hold a stale binding status.
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def patient_wards(session: AsyncSession, patient_id: uuid.UUID) -> set[uuid.UUID]:
    """Wards the patient has been admitted to or waited for."""
    admitted = select(Admission.ward_id).where(Admission.patient_id == patient_id)
    waited = select(WaitlistEntry.ward_id).where(WaitlistEntry.patient_id == patient_id)
    return set((await session.scalars(admitted.union(waited))).all())


async def waiting(session: AsyncSession, ward_id: uuid.UUID) -> list[WaitlistEntry]:
    query = select(WaitlistEntry).where(
        WaitlistEntry.ward_id == ward_id, WaitlistEntry.status == "waiting"
    )
    return list((await session.scalars(query)).all())


async def waiting_entry(
    session: AsyncSession, ward_id: uuid.UUID, patient_id: uuid.UUID
) -> WaitlistEntry | None:
    query = select(WaitlistEntry).where(
        WaitlistEntry.ward_id == ward_id,
        WaitlistEntry.patient_id == patient_id,
        WaitlistEntry.status == "waiting",
    )
    return await session.scalar(query)


async def caseload(session: AsyncSession, ward_id: uuid.UUID) -> list[tuple[Admission, int]]:
    """Open admissions on the ward with their count of unresolved alerts."""
    open_alerts = (
        select(func.count())
        .where(Alert.admission_id == Admission.id, Alert.resolved_at.is_(None))
        .scalar_subquery()
    )
    query = (
        select(Admission, open_alerts)
        .where(Admission.ward_id == ward_id, Admission.discharged_at.is_(None))
        .order_by(Admission.admitted_at)
    )
    return [(a, int(n)) for a, n in (await session.execute(query)).all()]


async def has_open_admission(session: AsyncSession, patient_id: uuid.UUID) -> bool:
    query = select(
        exists().where(Admission.patient_id == patient_id, Admission.discharged_at.is_(None))
    )
    return bool(await session.scalar(query))


async def bed_last_ends(session: AsyncSession, ward_id: uuid.UUID) -> dict[int, datetime | None]:
    """Each bed that has held a stay: when its latest stay ended, or None while occupied."""
    occupied = func.bool_or(Admission.discharged_at.is_(None))
    query = (
        select(Admission.bed_number, occupied, func.max(Admission.discharged_at))
        .where(Admission.ward_id == ward_id)
        .group_by(Admission.bed_number)
    )
    return {
        bed: None if now_occupied else last_end
        for bed, now_occupied, last_end in (await session.execute(query)).all()
    }


async def stay_ending_after(
    session: AsyncSession, patient_id: uuid.UUID, moment: datetime
) -> Admission | None:
    """The patient's latest finished stay if it ended after `moment` (it would overlap)."""
    query = (
        select(Admission)
        .where(Admission.patient_id == patient_id, Admission.discharged_at > moment)
        .order_by(Admission.discharged_at.desc())
        .limit(1)
    )
    return await session.scalar(query)
