"""Queries for wards, their capacity history and occupancy."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions.models import Admission
from services.ward_api.geography.models import Icb
from services.ward_api.wards.models import Ward, WardCapacityChange


async def get(session: AsyncSession, ward_id: uuid.UUID, *, lock: bool = False) -> Ward | None:
    """The ward; `lock` takes its row lock (serialises admissions and capacity changes)."""
    query = select(Ward).where(Ward.id == ward_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def icb_ods(session: AsyncSession, icb_code: str) -> str:
    return await session.scalar(select(Icb.ods_code).where(Icb.code == icb_code)) or ""


async def occupied(session: AsyncSession, ward_id: uuid.UUID) -> int:
    query = select(func.count()).where(
        Admission.ward_id == ward_id, Admission.discharged_at.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def occupied_beds(session: AsyncSession, ward_id: uuid.UUID) -> set[int]:
    query = select(Admission.bed_number).where(
        Admission.ward_id == ward_id, Admission.discharged_at.is_(None)
    )
    return set((await session.scalars(query)).all())


async def occupancy(session: AsyncSession, ward_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    query = (
        select(Admission.ward_id, func.count())
        .where(Admission.ward_id.in_(ward_ids), Admission.discharged_at.is_(None))
        .group_by(Admission.ward_id)
    )
    return {w: int(n) for w, n in (await session.execute(query)).all()}


async def list_wards(session: AsyncSession, *, icb_code: str | None) -> list[tuple[Ward, str]]:
    query = select(Ward, Icb.ods_code).join(Icb, Icb.code == Ward.icb_code).order_by(Ward.name)
    if icb_code is not None:
        query = query.where(Ward.icb_code == icb_code)
    return [(w, ods) for w, ods in (await session.execute(query)).all()]


async def capacity_history(session: AsyncSession, ward_id: uuid.UUID) -> list[WardCapacityChange]:
    query = (
        select(WardCapacityChange)
        .where(WardCapacityChange.ward_id == ward_id)
        .order_by(WardCapacityChange.effective_from, WardCapacityChange.id)
    )
    return list((await session.scalars(query)).all())
