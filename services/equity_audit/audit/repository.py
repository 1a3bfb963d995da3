"""Reads for the audit: reference areas (cached per dataset version) and uptake aggregates."""

from __future__ import annotations

from typing import Any

import asyncpg
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.audit.frame import FLAG_CUTS, PERSON_CUTS, Areas, Uptake
from services.equity_audit.snapshots.repository import (
    AGGREGATE_WORK_MEM,
    TOTAL_FIELDS,
    UPTAKE_SUMS,
)
from shared.database import driver_connection

# One array per column, so a read makes a few Python lists, not one object per row (fewer
# allocations, and nothing for the cyclic garbage collector to walk).
_AS_ARRAYS = ", ".join(
    f"array_agg({column})" for column in ("lsoa11cd", "icb_code", "person", *TOTAL_FIELDS)
)


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
        """SELECT l.lsoa11cd, g.icb_code, g.sicbl_code, l.population, l.imd_score,
                  l.imd_decile, coalesce(h.housing_quintile, 0) AS housing_quintile,
                  coalesce(d.digital_exclusion_quintile, 0) AS digital_quintile,
                  g.icb_ods_code, g.icb_name
           FROM equity.lsoas l
           JOIN equity.lsoa_geography g USING (lsoa11cd)
           LEFT JOIN equity.housing h USING (lsoa11cd)
           LEFT JOIN equity.digital_exclusion d USING (lsoa11cd)
           ORDER BY l.lsoa11cd"""
    )
    columns = list(zip(*rows, strict=True)) if rows else [()] * 10
    codes, icb, sub_icb, population, score, decile, housing, digital, ods, name = columns
    return Areas(
        codes=np.array(codes, dtype=str),
        icb=np.array(icb, dtype=str),
        sub_icb=np.array(sub_icb, dtype=str),
        population=np.array(population, dtype=float),
        imd_score=np.array(score, dtype=float),
        imd_decile=np.array(decile, dtype=np.int64),
        housing_quintile=np.array(housing, dtype=np.int64),
        digital_quintile=np.array(digital, dtype=np.int64),
        icb_names=dict(zip(icb, zip(ods, name, strict=True), strict=True)),
    )


async def load_uptake(
    session: AsyncSession,
    areas: Areas,
    *,
    cut: str,
    from_month: str | None,
    to_month: str | None,
    snapshot_id: int | None = None,
) -> tuple[Uptake, list[str]]:
    """Uptake rows summed over months in [from_month, to_month], and the months present.

    Area cuts over every month read the per-LSOA totals the refresh of `snapshot_id` built
    (~33k rows); person cuts, part periods and missing totals sum `uptake` itself.
    """
    conn = await driver_connection(session)
    present = await _months(conn)
    months = [
        m
        for m in present
        if (from_month is None or m >= from_month) and (to_month is None or m <= to_month)
    ]
    columns = None
    if cut not in PERSON_CUTS and snapshot_id is not None and months == present:
        columns = await conn.fetchrow(
            f"""SELECT {_AS_ARRAYS} FROM (
                    SELECT lsoa11cd, icb_code, '' AS person, {", ".join(TOTAL_FIELDS)}
                    FROM equity.uptake_totals WHERE snapshot_id = $1
                ) totals""",  # noqa: S608 (fixed column lists)
            snapshot_id,
        )
    if columns is None or columns[0] is None:
        columns = await _sum_uptake(conn, cut, from_month, to_month)
    return _uptake(columns, areas), months


async def _months(conn: asyncpg.Connection) -> list[str]:
    """Months present in uptake, by a loose index scan (one probe of ix_uptake_month each)."""
    rows = await conn.fetch(
        """WITH RECURSIVE months AS (
               (SELECT month FROM equity.uptake ORDER BY month LIMIT 1)
               UNION ALL
               SELECT (SELECT u.month FROM equity.uptake u
                       WHERE u.month > m.month ORDER BY u.month LIMIT 1)
               FROM months m WHERE m.month IS NOT NULL
           )
           SELECT month FROM months WHERE month IS NOT NULL"""
    )
    return [r["month"] for r in rows]


async def _sum_uptake(
    conn: asyncpg.Connection, cut: str, from_month: str | None, to_month: str | None
) -> asyncpg.Record:
    """Uptake rows of the period summed per LSOA, ward ICB and the cut's person attribute."""
    # `dim` is built from a fixed column name in the cut list, never from request text.
    if cut in FLAG_CUTS:
        dim = f"CASE WHEN {cut} THEN 'yes' WHEN NOT {cut} THEN 'no' END"
    else:
        dim = cut if cut in PERSON_CUTS else "''"
    await conn.execute("SELECT set_config('work_mem', $1, true)", AGGREGATE_WORK_MEM)
    return await conn.fetchrow(
        f"""SELECT {_AS_ARRAYS} FROM (
                SELECT lsoa11cd, icb_code, {dim} AS person, {UPTAKE_SUMS}
                FROM equity.uptake
                WHERE ($1::text IS NULL OR month >= $1) AND ($2::text IS NULL OR month <= $2)
                GROUP BY 1, 2, 3
            ) summed""",  # noqa: S608 (dim comes from a fixed column list)
        from_month,
        to_month,
    )


def _uptake(columns: asyncpg.Record, areas: Areas) -> Uptake:
    """Uptake from one array per column (NULL when there were no rows)."""
    lsoas, icbs, persons, *counts = (values or [] for values in columns)
    index = areas.index
    return Uptake(
        area=np.array([index.get(code, -1) for code in lsoas], dtype=np.int64),
        icb=np.array([code or "" for code in icbs], dtype=str),
        person=np.array([value or "unknown" for value in persons], dtype=str),
        **{
            name: np.array(values, dtype=np.int64)
            for name, values in zip(TOTAL_FIELDS, counts, strict=True)
        },
    )
