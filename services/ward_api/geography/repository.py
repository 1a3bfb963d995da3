"""Queries for ICBs, LSOAs and population denominators."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.geography.models import Icb, Lsoa, PopulationDenominator, SubIcb


async def list_icbs(session: AsyncSession) -> list[Icb]:
    return list((await session.scalars(select(Icb).order_by(Icb.code))).all())


async def get_icb(session: AsyncSession, code: str) -> Icb | None:
    """By ONS (E54…) or ODS (Q…) code."""
    return await session.scalar(select(Icb).where(or_(Icb.code == code, Icb.ods_code == code)))


async def sub_icbs(session: AsyncSession, icb_code: str) -> list[SubIcb]:
    query = select(SubIcb).where(SubIcb.icb_code == icb_code).order_by(SubIcb.code)
    return list((await session.scalars(query)).all())


async def denominators(session: AsyncSession, area_codes: list[str]) -> list[PopulationDenominator]:
    query = (
        select(PopulationDenominator)
        .where(PopulationDenominator.area_code.in_(area_codes))
        .order_by(PopulationDenominator.area_code, PopulationDenominator.effective)
    )
    return list((await session.scalars(query)).all())


async def get_lsoa(session: AsyncSession, lsoa11cd: str) -> Lsoa | None:
    return await session.get(Lsoa, lsoa11cd)
