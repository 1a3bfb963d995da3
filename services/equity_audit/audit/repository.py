"""Reads for the audit: reference areas (cached per dataset version) and uptake aggregates."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.audit.frame import FLAG_CUTS, PERSON_CUTS, Areas, Uptake
from services.equity_audit.db import driver_connection


async def active_datasets(session: AsyncSession) -> list[dict[str, Any]]:
    conn = await driver_connection(session)
    rows = await conn.fetch(
        """SELECT id, kind, name, vintage, geography, source, publisher, licence, attribution,
                  synthetic, loaded_at FROM equity.datasets WHERE active ORDER BY kind"""
    )
    return [dict(r) for r in rows]


async def load_areas(session: AsyncSession) -> Areas:
    """Every LSOA with IMD and geography, with housing and digital quintiles where loaded."""
    conn = await driver_connection(session)
    rows = await conn.fetch(
        """SELECT l.lsoa11cd, g.icb_code, g.icb_ods_code, g.icb_name, g.sicbl_code,
                  l.population, l.imd_score, l.imd_decile,
                  coalesce(h.housing_quintile, 0) AS housing_quintile,
                  coalesce(d.digital_exclusion_quintile, 0) AS digital_quintile
           FROM equity.lsoas l
           JOIN equity.lsoa_geography g USING (lsoa11cd)
           LEFT JOIN equity.housing h USING (lsoa11cd)
           LEFT JOIN equity.digital_exclusion d USING (lsoa11cd)
           ORDER BY l.lsoa11cd"""
    )
    names = {r["icb_code"]: (r["icb_ods_code"], r["icb_name"]) for r in rows}
    return Areas(
        codes=np.array([r["lsoa11cd"] for r in rows], dtype=str),
        icb=np.array([r["icb_code"] for r in rows], dtype=str),
        sub_icb=np.array([r["sicbl_code"] for r in rows], dtype=str),
        population=np.array([r["population"] for r in rows], dtype=float),
        imd_score=np.array([r["imd_score"] for r in rows], dtype=float),
        imd_decile=np.array([r["imd_decile"] for r in rows], dtype=np.int64),
        housing_quintile=np.array([r["housing_quintile"] for r in rows], dtype=np.int64),
        digital_quintile=np.array([r["digital_quintile"] for r in rows], dtype=np.int64),
        icb_names=names,
    )


async def load_uptake(
    session: AsyncSession,
    areas: Areas,
    *,
    cut: str,
    from_month: str | None,
    to_month: str | None,
) -> tuple[Uptake, list[str]]:
    """Uptake rows summed over months in [from_month, to_month], and the months present."""
    conn = await driver_connection(session)
    # `dim` is built from a fixed column name in the cut list, never from request text.
    if cut in FLAG_CUTS:
        dim = f"CASE WHEN {cut} THEN 'yes' WHEN NOT {cut} THEN 'no' END"
    else:
        dim = cut if cut in PERSON_CUTS else "''"
    rows = await conn.fetch(
        f"""SELECT lsoa11cd, icb_code, {dim} AS person,
                   sum(admissions)::int8 AS admissions,
                   sum(admissions) FILTER (WHERE outcome <> 'ongoing')::int8 AS discharged,
                   sum(admissions) FILTER (WHERE outcome = 'escalated_to_hospital')::int8
                       AS escalated,
                   sum(los_days_sum)::int8 AS los_days_sum,
                   sum(stays_over_14_days)::int8 AS stays_over_14_days,
                   sum(readings_expected)::int8 AS readings_expected,
                   sum(readings_received)::int8 AS readings_received,
                   sum(admissions) FILTER (WHERE own_device)::int8 AS own_device_yes,
                   sum(admissions) FILTER (WHERE NOT own_device)::int8 AS own_device_no,
                   sum(admissions) FILTER (WHERE broadband)::int8 AS broadband_yes,
                   sum(admissions) FILTER (WHERE NOT broadband)::int8 AS broadband_no
            FROM equity.uptake
            WHERE ($1::text IS NULL OR month >= $1) AND ($2::text IS NULL OR month <= $2)
            GROUP BY 1, 2, 3""",  # noqa: S608 (dim comes from a fixed column list)
        from_month,
        to_month,
    )
    months = await conn.fetch(
        """SELECT DISTINCT month FROM equity.uptake
           WHERE ($1::text IS NULL OR month >= $1) AND ($2::text IS NULL OR month <= $2)
           ORDER BY month""",
        from_month,
        to_month,
    )
    index = areas.index

    def ints(name: str) -> np.ndarray:
        return np.array([r[name] or 0 for r in rows], dtype=np.int64)

    uptake = Uptake(
        area=np.array([index.get(r["lsoa11cd"], -1) for r in rows], dtype=np.int64),
        icb=np.array([r["icb_code"] or "" for r in rows], dtype=str),
        person=np.array([r["person"] or "unknown" for r in rows], dtype=str),
        admissions=ints("admissions"),
        discharged=ints("discharged"),
        escalated=ints("escalated"),
        los_days_sum=ints("los_days_sum"),
        stays_over_14_days=ints("stays_over_14_days"),
        readings_expected=ints("readings_expected"),
        readings_received=ints("readings_received"),
        own_device_yes=ints("own_device_yes"),
        own_device_no=ints("own_device_no"),
        broadband_yes=ints("broadband_yes"),
        broadband_no=ints("broadband_no"),
    )
    return uptake, [m["month"] for m in months]
