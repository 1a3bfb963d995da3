"""Queries for inclusion need: cells of an area, platform admissions by cell, stays, costs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.admissions.models import Admission, Patient
from services.ward_api.capacity.models import SitrepMonth
from services.ward_api.domain.inclusion import AreaCell, CellKey, Need, ObservedCell
from services.ward_api.geography.models import Lsoa
from services.ward_api.inclusion.models import InclusionUnitCost, LsoaInclusion, WardPartner
from services.ward_api.wards.models import Ward

_IMD_QUINTILE = (Lsoa.imd_decile + 1) // 2  # deciles 1–10 to quintiles 1–5


async def area_cells(
    session: AsyncSession, *, icb_code: str, sub_icb_codes: Sequence[str] | None = None
) -> list[AreaCell]:
    """The area's LSOAs by IMD × DERI quintile, population-weighted DERI and poor housing."""
    population = func.sum(Lsoa.population)
    query = (
        select(
            _IMD_QUINTILE,
            LsoaInclusion.deri_quintile,
            population,
            func.sum(Lsoa.population * LsoaInclusion.deri_score) / population,
            func.sum(Lsoa.population * LsoaInclusion.housing_poor_prop) / population,
        )
        .join(LsoaInclusion, LsoaInclusion.lsoa11cd == Lsoa.lsoa11cd)
        .where(Lsoa.icb_code == icb_code, Lsoa.population > 0, Lsoa.imd_decile.is_not(None))
        .group_by(_IMD_QUINTILE, LsoaInclusion.deri_quintile)
    )
    if sub_icb_codes:
        query = query.where(Lsoa.sicbl_code.in_(list(sub_icb_codes)))
    rows: list[tuple[Any, ...]] = [tuple(r) for r in (await session.execute(query)).all()]
    return [
        AreaCell(CellKey(int(imd), int(deri)), int(pop), float(d), float(h))
        for imd, deri, pop, d, h in rows
    ]


async def england_deri_mean(session: AsyncSession) -> float | None:
    query = select(
        func.sum(Lsoa.population * LsoaInclusion.deri_score) / func.sum(Lsoa.population)
    ).join(LsoaInclusion, LsoaInclusion.lsoa11cd == Lsoa.lsoa11cd)
    value = await session.scalar(query)
    return None if value is None else float(value)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count().filter(condition)


async def observed_cells(session: AsyncSession) -> dict[CellKey, ObservedCell]:
    """Every platform admission (all wards) by its patient's cell, with each need counted."""
    device = Patient.own_device != Patient.broadband
    offline = not_(Patient.own_device) & not_(Patient.broadband)
    any_need = or_(not_(Patient.own_device), not_(Patient.broadband), Patient.housing_concern)
    query = (
        select(
            _IMD_QUINTILE,
            LsoaInclusion.deri_quintile,
            func.count(),
            _count_if(device),
            _count_if(offline),
            _count_if(Patient.housing_concern.is_(True)),
            _count_if(any_need),
        )
        .select_from(Admission)
        .join(Patient, Patient.id == Admission.patient_id)
        .join(Lsoa, Lsoa.lsoa11cd == Patient.lsoa11cd)
        .join(LsoaInclusion, LsoaInclusion.lsoa11cd == Lsoa.lsoa11cd)
        .where(Lsoa.imd_decile.is_not(None))
        .group_by(_IMD_QUINTILE, LsoaInclusion.deri_quintile)
    )
    found = {}
    rows: list[tuple[Any, ...]] = [tuple(r) for r in (await session.execute(query)).all()]
    for imd, deri, n, dev, f2f, housing, vcs in rows:
        found[CellKey(int(imd), int(deri))] = ObservedCell(
            int(n),
            {
                Need.DEVICE: int(dev),
                Need.FACE_TO_FACE: int(f2f),
                Need.HOUSING: int(housing),
                Need.VOLUNTARY: int(vcs),
            },
        )
    return found


async def stays(
    session: AsyncSession, *, icb_code: str | None, ward_ids: Sequence[uuid.UUID] | None = None
) -> tuple[int, int, Decimal | None]:
    """(admissions, discharged admissions, their mean length of stay) on the area's wards."""
    query = (
        select(
            func.count(),
            func.count(Admission.length_of_stay_days),
            func.avg(Admission.length_of_stay_days),
        )
        .select_from(Admission)
        .join(Ward, Ward.id == Admission.ward_id)
    )
    if icb_code is not None:
        query = query.where(Ward.icb_code == icb_code)
    if ward_ids is not None:
        query = query.where(Ward.id.in_(list(ward_ids)))
    n, discharged, mean = (await session.execute(query)).one()
    return int(n), int(discharged), None if mean is None else Decimal(mean)


async def sitrep_occupancy(
    session: AsyncSession, area_code: str, period: str
) -> SitrepMonth | None:
    """The newest published month up to `period` with a measured occupancy for the area."""
    query = (
        select(SitrepMonth)
        .where(
            SitrepMonth.area_code == area_code,
            SitrepMonth.period <= period,
            SitrepMonth.occupancy_pct.is_not(None),
            or_(
                SitrepMonth.occupancy_note.is_(None),
                SitrepMonth.occupancy_note == "over_100pct_shown_as_100",
            ),
        )
        .order_by(SitrepMonth.period.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def unit_cost_history(session: AsyncSession, icb_code: str) -> list[InclusionUnitCost]:
    query = (
        select(InclusionUnitCost)
        .where(InclusionUnitCost.icb_code == icb_code)
        .order_by(InclusionUnitCost.item, InclusionUnitCost.id)
    )
    return list((await session.scalars(query)).all())


async def add_unit_cost(session: AsyncSession, row: InclusionUnitCost) -> InclusionUnitCost:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def partners_of_wards(
    session: AsyncSession, ward_ids: Sequence[uuid.UUID]
) -> list[WardPartner]:
    query = (
        select(WardPartner)
        .where(WardPartner.ward_id.in_(list(ward_ids)))
        .order_by(WardPartner.ward_id, WardPartner.created_at, WardPartner.id)
    )
    return list((await session.scalars(query)).all())


async def partners_in_icb(session: AsyncSession, icb_code: str) -> list[WardPartner]:
    query = (
        select(WardPartner)
        .join(Ward, Ward.id == WardPartner.ward_id)
        .where(Ward.icb_code == icb_code, Ward.status != "closed")
        .order_by(WardPartner.ward_id, WardPartner.created_at, WardPartner.id)
    )
    return list((await session.scalars(query)).all())


async def add_partner(session: AsyncSession, row: WardPartner) -> WardPartner:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


__all__ = [
    "add_partner",
    "add_unit_cost",
    "area_cells",
    "england_deri_mean",
    "observed_cells",
    "partners_in_icb",
    "partners_of_wards",
    "sitrep_occupancy",
    "stays",
    "unit_cost_history",
]
