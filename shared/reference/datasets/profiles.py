"""Per-LSOA equity groupings derived from the reference data: quintiles and the Core20 flag.

Every quintile runs from 1 (the worst-off 20%) to 5, the same direction as IMD deciles, so
"quintile 1" always means the group an audit worries about most.

* IMD quintile: ``(decile + 1) // 2``, so deciles 1–2 are quintile 1. Core20 is IMD deciles
  1–2, i.e. the most deprived 20% of LSOAs nationally (NHS England Core20PLUS5).
* Digital-exclusion quintile: national quintiles of the DERI score by **LSOA count**, highest
  risk first. We rank LSOAs rather than weight by population so that the quintiles are built
  the way IoD deciles are (equal numbers of LSOAs), need no population vintage, and do not
  move when a population estimate is revised; LSOAs are drawn to similar populations, so the
  two methods differ little. Tied scores share a quintile (the one their first rank falls in).
* Housing quintile: from the IoD **Indoors sub-domain** decile (Living Environment domain:
  housing in poor condition and houses without central heating). A virtual ward treats a
  patient in their own home, so the home's warmth and condition is the housing measure that
  bears most directly on whether that is safe; the Barriers to Housing and Services domain
  (mostly distance to services, affordability and homelessness) is offered as an alternative.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from .digital import DigitalExclusionRow
from .housing import HousingRow
from .icb import IcbLookupRow
from .imd import ImdRow

__all__ = [
    "HousingMeasure",
    "LsoaProfile",
    "build_profiles",
    "decile_to_quintile",
    "housing_quintile",
    "is_core20",
    "national_quintiles",
]


class HousingMeasure(enum.StrEnum):
    """Which IoD decile the housing quintile is taken from."""

    INDOORS = "indoors_subdomain"
    BARRIERS = "barriers_housing_services"


@dataclass(frozen=True, slots=True)
class LsoaProfile:
    """What an equity audit needs to know about one LSOA 2011."""

    lsoa11cd: str
    icb_code: str
    sicbl_code: str
    population: int
    imd_decile: int
    imd_quintile: int
    core20: bool
    deri_score: float | None
    digital_exclusion_quintile: int | None
    housing_quintile: int | None


def decile_to_quintile(decile: int) -> int:
    """Quintile of a decile: 1–2 -> 1, ..., 9–10 -> 5."""
    if not 1 <= decile <= 10:
        raise ValueError(f"decile must be 1–10, got {decile}")
    return (decile + 1) // 2


def is_core20(imd_decile: int) -> bool:
    """Whether an LSOA is in the most deprived 20% nationally (IMD deciles 1–2)."""
    return decile_to_quintile(imd_decile) == 1


def housing_quintile(row: HousingRow, measure: HousingMeasure = HousingMeasure.INDOORS) -> int:
    """Housing quintile (1 = worst) from the chosen IoD decile."""
    decile = row.indoors_decile if measure is HousingMeasure.INDOORS else row.barriers_decile
    return decile_to_quintile(decile)


def national_quintiles(
    scores: Mapping[str, float], *, higher_is_worse: bool = True
) -> dict[str, int]:
    """Quintile (1 = worst 20% of areas) of each area's score among all areas given."""
    n = len(scores)
    ordered = sorted(
        scores.items(), key=lambda item: (-item[1] if higher_is_worse else item[1], item[0])
    )
    quintiles: dict[str, int] = {}
    first_rank_of_score: dict[float, int] = {}
    for rank, (code, score) in enumerate(ordered):
        first = first_rank_of_score.setdefault(score, rank)
        quintiles[code] = 5 * first // n + 1
    return quintiles


def build_profiles(
    imd: Mapping[str, ImdRow],
    icb: Mapping[str, IcbLookupRow],
    housing: Mapping[str, HousingRow],
    digital: Mapping[str, DigitalExclusionRow],
    *,
    housing_measure: HousingMeasure = HousingMeasure.INDOORS,
) -> dict[str, LsoaProfile]:
    """Profile every LSOA that has both an IMD row and an ICB; the rest cannot be audited."""
    deri = {code: row.deri_score for code, row in digital.items()}
    deri_quintile = national_quintiles(deri)
    profiles: dict[str, LsoaProfile] = {}
    for code, deprivation in imd.items():
        place = icb.get(code)
        if place is None:
            continue
        home = housing.get(code)
        profiles[code] = LsoaProfile(
            lsoa11cd=code,
            icb_code=place.icb_code,
            sicbl_code=place.sicbl_code,
            population=deprivation.population,
            imd_decile=deprivation.imd_decile,
            imd_quintile=decile_to_quintile(deprivation.imd_decile),
            core20=is_core20(deprivation.imd_decile),
            deri_score=deri.get(code),
            digital_exclusion_quintile=deri_quintile.get(code),
            housing_quintile=None if home is None else housing_quintile(home, housing_measure),
        )
    return profiles
