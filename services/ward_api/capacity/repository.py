"""Queries for published sitrep months and live ward capacity and occupancy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Result, and_, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions.models import Admission
from services.ward_api.capacity.models import SitrepMonth
from services.ward_api.wards.models import Ward
from services.ward_api.wards.repository import capacity_in_force


async def periods(session: AsyncSession) -> list[str]:
    query = select(SitrepMonth.period).distinct().order_by(SitrepMonth.period)
    return list((await session.scalars(query)).all())


async def month(session: AsyncSession, period: str) -> list[SitrepMonth]:
    query = select(SitrepMonth).where(SitrepMonth.period == period).order_by(SitrepMonth.area_code)
    return list((await session.scalars(query)).all())


async def area_history(session: AsyncSession, area_code: str) -> list[SitrepMonth]:
    query = (
        select(SitrepMonth).where(SitrepMonth.area_code == area_code).order_by(SitrepMonth.period)
    )
    return list((await session.scalars(query)).all())


async def precision(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """Decimals each month publishes (per-100k, occupancy): the most any measured value shows.

    Numeric columns keep the scale they were written with; the CSV drops trailing zeros, so
    the month's maximum is its precision (see domain/sitrep.py).
    """
    query = select(
        SitrepMonth.period,
        func.max(func.scale(SitrepMonth.capacity_per_100k)),
        func.max(func.scale(SitrepMonth.occupancy_pct)).filter(
            SitrepMonth.occupancy_note.is_(None)
        ),
    ).group_by(SitrepMonth.period)
    rows = (await session.execute(query)).all()
    return {p: (int(r or 0), int(o if o is not None else (r or 0))) for p, r, o in rows}


async def upsert_months(session: AsyncSession, values: list[dict]) -> tuple[int, int]:
    """Insert or replace months; (inserted, updated)."""
    if not values:
        return 0, 0
    statement = insert(SitrepMonth).values(values)
    columns = {c: statement.excluded[c] for c in values[0] if c not in ("period", "area_code")}
    columns["imported_at"] = func.now()
    # xmax is 0 only on rows this statement inserted (PostgreSQL idiom for upsert counts).
    result: Result[Any] = await session.execute(
        statement.on_conflict_do_update(
            index_elements=["period", "area_code"], set_=columns
        ).returning(literal_column("(xmax = 0)"))
    )
    flags = result.scalars().all()
    inserted = sum(1 for f in flags if f)
    return inserted, len(flags) - inserted


async def live_beds_by_icb(session: AsyncSession, at: datetime) -> dict[str, tuple[int, int]]:
    """Commissioned beds in force at `at` and ward count per ICB (wards not closed then)."""
    latest = capacity_in_force(at)
    query = (
        select(Ward.icb_code, func.sum(latest.c.beds), func.count())
        .join(latest, and_(latest.c.ward_id == Ward.id, latest.c.rank == 1))
        .where(Ward.status != "planned")
        .group_by(Ward.icb_code)
    )
    return {icb: (int(beds), int(n)) for icb, beds, n in (await session.execute(query)).all()}


async def live_patients_by_icb(session: AsyncSession, at: datetime) -> dict[str, int]:
    """Patients on a ward at `at` per ICB."""
    query = (
        select(Ward.icb_code, func.count())
        .join(Admission, Admission.ward_id == Ward.id)
        .where(
            Admission.admitted_at <= at,
            or_(Admission.discharged_at.is_(None), Admission.discharged_at > at),
        )
        .group_by(Ward.icb_code)
    )
    return {icb: int(n) for icb, n in (await session.execute(query)).all()}
