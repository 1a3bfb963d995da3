"""Need weights per ICB or sub-ICB location from the loaded reference data."""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.need import repository
from services.equity_audit.need.schemas import IcbWeight, NeedWeights, SubIcbWeight
from services.equity_audit.need.weights import BASIS, FORMULA, AreaNeed, need_weights
from shared.problems import ServiceUnavailable

Level = Literal["icb", "sub_icb"]


async def weights(session: AsyncSession, *, level: Level) -> NeedWeights:
    """The contract's answer: basis, vintage and one weight per area code."""
    rows = await repository.area_sums(session, level=level)
    if not rows:
        raise ServiceUnavailable(
            "reference data (IMD and geography) is not loaded",
            slug="reference-data-missing",
            headers={"Retry-After": "60"},
        )
    synthetic = await repository.synthetic_basis(session)
    computed = need_weights([AreaNeed(r.code, r.population, r.score_sum) for r in rows])
    items: list[IcbWeight] | list[SubIcbWeight]
    common = [
        {
            "code": row.code,
            "weight": round(weight.weight, 4),
            "ods_code": row.ods_code,
            "population": int(weight.population),
            "mean_imd_score": round(weight.mean_imd_score, 3),
        }
        for row, weight in zip(rows, computed, strict=True)
    ]
    if level == "icb":
        items = [IcbWeight(**item, name=row.name) for item, row in zip(common, rows, strict=True)]
    else:
        items = [
            SubIcbWeight(**item, icb_code=row.name) for item, row in zip(common, rows, strict=True)
        ]
    return NeedWeights(
        basis=BASIS,
        vintage="IoD2019 (SYNTHETIC)" if synthetic else "IoD2019",
        level=level,
        formula=FORMULA,
        population_vintage="ONS mid-2019 LSOA estimates",
        synthetic=synthetic,
        weights=items,
    )
