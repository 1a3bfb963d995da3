"""Need weights from IMD 2019 (pure).

Formula: an area's weight is its population-weighted mean IMD 2019 score divided by
England's population-weighted mean score,

    weight_i = (Σ_{l∈i} p_l s_l / Σ_{l∈i} p_l) / (Σ_l p_l s_l / Σ_l p_l)

with p_l the ONS mid-2019 population and s_l the IMD 2019 score of LSOA l. So
Σ_i P_i weight_i / Σ_i P_i = 1 exactly: weights average 1.0 over England, population-weighted,
and population × weight redistributes England's population in proportion to
population × deprivation score. The IMD score is a composite of income, employment, health,
education, barriers, crime and living environment; it is a proxy for need, not a measure of
virtual-ward demand, and its scale is not a ratio scale (a score twice as high does not mean
twice the need), which is why the basis is named in every answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BASIS = "imd2019_population_weighted"
FORMULA = (
    "weight = population-weighted mean IMD 2019 score of the area / population-weighted mean"
    " IMD 2019 score of England (ONS mid-2019 LSOA populations); weights average 1.0 over"
    " England, population-weighted"
)


@dataclass(frozen=True, slots=True)
class AreaNeed:
    code: str
    population: float
    score_sum: float  # Σ population × IMD score over the area's LSOAs


@dataclass(frozen=True, slots=True)
class NeedWeight:
    code: str
    population: float
    mean_imd_score: float
    weight: float


def need_weights(areas: Sequence[AreaNeed]) -> list[NeedWeight]:
    """Weights for a partition of England (every LSOA in exactly one area)."""
    population = np.array([a.population for a in areas], dtype=float)
    score_sum = np.array([a.score_sum for a in areas], dtype=float)
    england_mean = score_sum.sum() / population.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(population > 0, score_sum / population, 0.0)
    return [
        NeedWeight(a.code, float(p), float(m), float(m / england_mean))
        for a, p, m in zip(areas, population, mean, strict=True)
    ]
