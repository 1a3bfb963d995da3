"""Need weights per ICB or sub-ICB location from the loaded reference data."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.need.weights import BASIS, FORMULA, AreaNeed, need_weights
from shared.problems import ServiceUnavailable

Level = Literal["icb", "sub_icb"]

_COLUMNS = {
    "icb": ("icb_code", "icb_ods_code", "icb_name"),
    "sub_icb": ("sicbl_code", "sicbl_ods_code", "icb_code"),
}


async def weights(session: AsyncSession, *, level: Level) -> dict[str, Any]:
    """The contract's answer: basis, vintage and one weight per area code."""
    code, ods, name = _COLUMNS[level]
    rows = (
        await session.execute(
            text(
                f"""SELECT g.{code} AS code, min(g.{ods}) AS ods_code, min(g.{name}) AS name,
                           sum(l.population)::float8 AS population,
                           sum(l.population * l.imd_score)::float8 AS score_sum
                    FROM equity.lsoas l JOIN equity.lsoa_geography g USING (lsoa11cd)
                    GROUP BY g.{code} ORDER BY g.{code}"""  # noqa: S608 (fixed column names)
            )
        )
    ).all()
    if not rows:
        raise ServiceUnavailable(
            "reference data (IMD and geography) is not loaded",
            slug="reference-data-missing",
            headers={"Retry-After": "60"},
        )
    synthetic = bool(
        (
            await session.execute(
                text(
                    "SELECT bool_or(synthetic) FROM equity.datasets"
                    " WHERE active AND kind IN ('imd', 'icb_lookup')"
                )
            )
        ).scalar()
    )
    computed = need_weights([AreaNeed(r.code, r.population, r.score_sum) for r in rows])
    items = []
    for row, weight in zip(rows, computed, strict=True):
        item = {
            "code": row.code,
            "weight": round(weight.weight, 4),
            "ods_code": row.ods_code,
            "population": int(weight.population),
            "mean_imd_score": round(weight.mean_imd_score, 3),
        }
        if level == "icb":
            item["name"] = row.name
        else:
            item["icb_code"] = row.name
        items.append(item)
    return {
        "basis": BASIS,
        "vintage": "IoD2019 (SYNTHETIC)" if synthetic else "IoD2019",
        "level": level,
        "formula": FORMULA,
        "population_vintage": "ONS mid-2019 LSOA estimates",
        "synthetic": synthetic,
        "weights": items,
    }
