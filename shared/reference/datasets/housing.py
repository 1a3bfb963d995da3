"""IoD2019 housing domains, sub-domains and indicators per LSOA 2011 (``housing_lsoa.csv``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.reference import LSOA, parse_code, parse_number, parse_whole

from ._table import Column, Layout, read_table
from .descriptors import HOUSING, DatasetDescriptor
from .report import LoadedDataset

__all__ = ["HOUSING_LAYOUT", "HousingRow", "load_housing"]

LSOA11_COUNT = 32_844  # IoD2019 ranks run from 1 (most deprived) to the number of LSOAs


@dataclass(frozen=True, slots=True)
class HousingRow:
    """Housing deprivation for one LSOA: deciles and ranks (1 = most deprived) and indicators."""

    lsoa11cd: str
    barriers_decile: int
    barriers_rank: int
    wider_barriers_decile: int
    wider_barriers_rank: int
    geographical_barriers_decile: int
    living_environment_decile: int
    living_environment_rank: int
    indoors_decile: int
    indoors_rank: int
    overcrowding_prop: float
    no_central_heating_prop: float
    poor_condition_prop: float
    homelessness_per_1000_households: float
    affordability_indicator: float
    road_distance_gp_km: float


_COLUMNS = (
    "lsoa11cd",
    "barriers_housing_services_decile",
    "barriers_housing_services_rank",
    "wider_barriers_subdomain_decile",
    "wider_barriers_subdomain_rank",
    "geographical_barriers_subdomain_decile",
    "living_environment_decile",
    "living_environment_rank",
    "indoors_subdomain_decile",
    "indoors_subdomain_rank",
    "household_overcrowding_prop",
    "houses_without_central_heating_prop",
    "housing_in_poor_condition_prop",
    "homelessness_rate_per_1000_households",
    "housing_affordability_indicator",
    "road_distance_gp_surgery_km",
)


def _parse(values: Sequence[str | None]) -> HousingRow:
    v = [x or "" for x in values]
    n = _COLUMNS
    return HousingRow(
        lsoa11cd=parse_code(v[0], n[0], LSOA, "an English LSOA code (E01 + 6 digits)"),
        barriers_decile=parse_whole(v[1], n[1], low=1, high=10),
        barriers_rank=parse_whole(v[2], n[2], low=1, high=LSOA11_COUNT),
        wider_barriers_decile=parse_whole(v[3], n[3], low=1, high=10),
        wider_barriers_rank=parse_whole(v[4], n[4], low=1, high=LSOA11_COUNT),
        geographical_barriers_decile=parse_whole(v[5], n[5], low=1, high=10),
        living_environment_decile=parse_whole(v[6], n[6], low=1, high=10),
        living_environment_rank=parse_whole(v[7], n[7], low=1, high=LSOA11_COUNT),
        indoors_decile=parse_whole(v[8], n[8], low=1, high=10),
        indoors_rank=parse_whole(v[9], n[9], low=1, high=LSOA11_COUNT),
        overcrowding_prop=parse_number(v[10], n[10], low=0.0, high=1.0),
        no_central_heating_prop=parse_number(v[11], n[11], low=0.0, high=1.0),
        poor_condition_prop=parse_number(v[12], n[12], low=0.0, high=1.0),
        homelessness_per_1000_households=parse_number(v[13], n[13], low=0.0, high=1000.0),
        # A modelled score centred on 0: negative values are valid.
        affordability_indicator=parse_number(v[14], n[14]),
        road_distance_gp_km=parse_number(v[15], n[15], low=0.0),
    )


HOUSING_LAYOUT: Layout[HousingRow] = Layout(
    name="vward housing_lsoa",
    descriptor=HOUSING,
    columns=tuple(Column(name, name) for name in _COLUMNS),
    parse=_parse,
)


def load_housing(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, HousingRow]:
    """Load the housing file, rejecting rows for LSOAs missing from the IMD file."""
    return read_table(
        path,
        [HOUSING_LAYOUT],
        key=_lsoa,
        area=_lsoa,
        known_areas=known_lsoas,
        known_areas_name="the IMD 2019 LSOA list",
        descriptor=descriptor,
    )


def _lsoa(row: HousingRow) -> str:
    return row.lsoa11cd
