"""Pick real (or synthetic) areas from the loaded reference data for audit scenarios."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg


@dataclass(frozen=True)
class IcbCase:
    icb_code: str
    icb_ods_code: str
    lsoa_by_quintile: dict[int, str]  # one LSOA per IMD quintile
    population_by_quintile: dict[int, int]  # the ICB's population per quintile


async def icb_cases(database_url: str, count: int) -> list[IcbCase]:
    """ICBs that have LSOAs in every IMD quintile, most populous first."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT g.icb_code, g.icb_ods_code, l.imd_quintile,
                      min(l.lsoa11cd) AS lsoa, sum(l.population)::int8 AS population
               FROM equity.lsoas l JOIN equity.lsoa_geography g USING (lsoa11cd)
               GROUP BY 1, 2, 3"""
        )
    finally:
        await conn.close()
    by_icb: dict[tuple[str, str], dict[int, tuple[str, int]]] = {}
    for r in rows:
        by_icb.setdefault((r["icb_code"], r["icb_ods_code"]), {})[r["imd_quintile"]] = (
            r["lsoa"],
            r["population"],
        )
    complete = [(key, q) for key, q in by_icb.items() if set(q) == {1, 2, 3, 4, 5}]
    complete.sort(key=lambda item: -sum(p for _, p in item[1].values()))
    assert len(complete) >= count, "the reference data needs ICBs covering every quintile"
    return [
        IcbCase(
            icb_code=code,
            icb_ods_code=ods,
            lsoa_by_quintile={k: v[0] for k, v in q.items()},
            population_by_quintile={k: v[1] for k, v in q.items()},
        )
        for (code, ods), q in complete[:count]
    ]
