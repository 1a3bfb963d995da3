"""Queries for wards, their capacity history and occupancy."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Subquery

from services.ward_api.admissions.models import Admission
from services.ward_api.geography.models import Icb, SubIcb
from services.ward_api.wards.models import Ward, WardCapacityChange, WardCatchmentArea


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


async def catchment_areas(
    session: AsyncSession, ward_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Sub-ICB codes each ward serves (wards without any are absent)."""
    query = (
        select(WardCatchmentArea.ward_id, WardCatchmentArea.sub_icb_code)
        .where(WardCatchmentArea.ward_id.in_(ward_ids))
        .order_by(WardCatchmentArea.sub_icb_code)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for ward_id, code in (await session.execute(query)).all():
        found.setdefault(ward_id, []).append(code)
    return found


async def sub_icbs_in(session: AsyncSession, icb_code: str, codes: list[str]) -> list[SubIcb]:
    """Sub-ICB locations of the ICB named by ONS (E38…) or ODS code."""
    query = select(SubIcb).where(
        SubIcb.icb_code == icb_code, or_(SubIcb.code.in_(codes), SubIcb.ods_code.in_(codes))
    )
    return list((await session.scalars(query)).all())


async def replace_catchment_areas(
    session: AsyncSession, ward_id: uuid.UUID, codes: list[str]
) -> None:
    await session.execute(delete(WardCatchmentArea).where(WardCatchmentArea.ward_id == ward_id))
    session.add_all(WardCatchmentArea(ward_id=ward_id, sub_icb_code=c) for c in codes)
    await session.flush()


async def wards_in_icb(session: AsyncSession, icb_code: str) -> list[Ward]:
    """Wards of the ICB that are not closed, by name."""
    query = (
        select(Ward)
        .where(Ward.icb_code == icb_code, Ward.status != "closed")
        .order_by(Ward.name, Ward.id)
    )
    return list((await session.scalars(query)).all())


def capacity_in_force(at: datetime, ward_ids: list[uuid.UUID] | None = None) -> Subquery:
    """Each ward's capacity changes up to `at`, ranked: `rank == 1` is the one in force."""
    where = [WardCapacityChange.effective_from <= at]
    if ward_ids is not None:
        where.append(WardCapacityChange.ward_id.in_(ward_ids))
    return (
        select(
            WardCapacityChange.ward_id,
            WardCapacityChange.beds,
            func.row_number()
            .over(
                partition_by=WardCapacityChange.ward_id,
                order_by=(WardCapacityChange.effective_from.desc(), WardCapacityChange.id.desc()),
            )
            .label("rank"),
        )
        .where(*where)
        .subquery()
    )


async def beds_at(
    session: AsyncSession, ward_ids: list[uuid.UUID], at: datetime
) -> dict[uuid.UUID, int]:
    """Commissioned beds of each ward in force at `at` (wards not yet commissioned absent)."""
    latest = capacity_in_force(at, ward_ids)
    query = select(latest.c.ward_id, latest.c.beds).where(latest.c.rank == 1)
    return {w: int(b) for w, b in (await session.execute(query)).all()}
