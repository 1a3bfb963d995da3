"""Queries for need weights: population and IMD score summed per area, and provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

# (code, ods_code, name) columns of the geography table at each level.
COLUMNS = {
    "icb": ("icb_code", "icb_ods_code", "icb_name"),
    "sub_icb": ("sicbl_code", "sicbl_ods_code", "icb_code"),
}


async def area_sums(session: AsyncSession, *, level: str) -> Sequence[Row[Any]]:
    """Per area: code, ODS code, name (or ICB), population and population x IMD score."""
    code, ods, name = COLUMNS[level]
    result = await session.execute(
        text(
            f"""SELECT g.{code} AS code, min(g.{ods}) AS ods_code, min(g.{name}) AS name,
                       sum(l.population)::float8 AS population,
                       sum(l.population * l.imd_score)::float8 AS score_sum
                FROM equity.lsoas l JOIN equity.lsoa_geography g USING (lsoa11cd)
                GROUP BY g.{code} ORDER BY g.{code}"""  # noqa: S608 (fixed column names)
        )
    )
    return result.all()


async def synthetic_basis(session: AsyncSession) -> bool:
    """Whether the active IMD or geography dataset is synthetic."""
    result = await session.execute(
        text(
            "SELECT bool_or(synthetic) FROM equity.datasets"
            " WHERE active AND kind IN ('imd', 'icb_lookup')"
        )
    )
    return bool(result.scalar())
