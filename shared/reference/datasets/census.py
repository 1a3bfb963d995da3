"""Census 2021 housing tables on LSOA 2021, in the Nomis bulk layout (census2021-tsNNN-lsoa.csv).

TS052 (occupancy rating for bedrooms) measures overcrowding, TS046 (type of central heating)
measures homes without central heating: the Census 2021 successors of the two Census 2011
indicators in the IoD2019 Indoors sub-domain. The bulk files cover England and Wales; Welsh
LSOAs are skipped, not rejected.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.reference import LSOA, CellError, is_welsh_lsoa, parse_code, parse_whole

from ._table import Column, Layout, read_table
from .descriptors import CENSUS2021_TS046, CENSUS2021_TS052, DatasetDescriptor
from .report import LoadedDataset

__all__ = [
    "TS046_LAYOUT",
    "TS052_LAYOUT",
    "CentralHeatingRow",
    "OccupancyRow",
    "load_ts046",
    "load_ts052",
]

_OCCUPANCY = "Occupancy rating for bedrooms: "
_RATING = f"{_OCCUPANCY}Occupancy rating of bedrooms: "
_HEATING = "Type of central heating in household: "
_GEOGRAPHY_CODE = "geography code"


@dataclass(frozen=True, slots=True)
class OccupancyRow:
    """Households by bedroom occupancy rating; a negative rating means too few bedrooms."""

    lsoa21cd: str
    households: int
    plus_two_or_more: int
    plus_one: int
    zero: int
    minus_one: int
    minus_two_or_less: int

    @property
    def overcrowded(self) -> int:
        """Households with fewer bedrooms than they need (rating -1 or less)."""
        return self.minus_one + self.minus_two_or_less

    @property
    def overcrowded_prop(self) -> float | None:
        """Share of households overcrowded, or None for an LSOA with no households."""
        return self.overcrowded / self.households if self.households else None


@dataclass(frozen=True, slots=True)
class CentralHeatingRow:
    """Households in total and without any central heating."""

    lsoa21cd: str
    households: int
    no_central_heating: int

    @property
    def no_central_heating_prop(self) -> float | None:
        """Share of households without central heating, or None with no households."""
        return self.no_central_heating / self.households if self.households else None


def _lsoa21(text: str | None) -> str:
    code = (text or "").strip()
    if is_welsh_lsoa(code):
        return code  # parsed so that it can be skipped as out of scope
    return parse_code(code, _GEOGRAPHY_CODE, LSOA, "an LSOA 2021 code (E01 + 6 digits)")


def _parse_ts052(values: Sequence[str | None]) -> OccupancyRow:
    code, *counts = values
    total, *bands = (
        parse_whole(c or "", f"TS052 column {i + 4}", low=0) for i, c in enumerate(counts)
    )
    if sum(bands) != total:
        raise CellError(f"occupancy ratings add up to {sum(bands)}, not the total {total}")
    return OccupancyRow(_lsoa21(code), total, *bands)


def _parse_ts046(values: Sequence[str | None]) -> CentralHeatingRow:
    code, total_text, none_text = values
    total = parse_whole(total_text or "", f"{_HEATING}Total", low=0)
    none = parse_whole(none_text or "", f"{_HEATING}No central heating", low=0)
    if none > total:
        raise CellError(f"{none} households without central heating exceeds the total {total}")
    return CentralHeatingRow(_lsoa21(code), total, none)


TS052_LAYOUT: Layout[OccupancyRow] = Layout(
    name="Census 2021 TS052 (Nomis bulk)",
    descriptor=CENSUS2021_TS052,
    columns=(
        Column("lsoa21cd", _GEOGRAPHY_CODE),
        Column("households", f"{_OCCUPANCY}Total: All households"),
        Column("plus_two_or_more", f"{_RATING}+2 or more"),
        Column("plus_one", f"{_RATING}+1"),
        Column("zero", f"{_RATING}0"),
        Column("minus_one", f"{_RATING}-1"),
        Column("minus_two_or_less", f"{_RATING}-2 or less"),
    ),
    parse=_parse_ts052,
)

TS046_LAYOUT: Layout[CentralHeatingRow] = Layout(
    name="Census 2021 TS046 (Nomis bulk)",
    descriptor=CENSUS2021_TS046,
    columns=(
        Column("lsoa21cd", _GEOGRAPHY_CODE),
        Column("households", f"{_HEATING}Total: All households"),
        Column("no_central_heating", f"{_HEATING}No central heating"),
    ),
    parse=_parse_ts046,
)


def load_ts052(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, OccupancyRow]:
    """Load TS052 for English LSOAs 2021."""
    return read_table(
        path,
        [TS052_LAYOUT],
        key=_occupancy_lsoa,
        area=_occupancy_lsoa,
        known_areas=known_lsoas,
        in_scope=lambda row: not is_welsh_lsoa(row.lsoa21cd),
        descriptor=descriptor,
    )


def load_ts046(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, CentralHeatingRow]:
    """Load TS046 for English LSOAs 2021."""
    return read_table(
        path,
        [TS046_LAYOUT],
        key=_heating_lsoa,
        area=_heating_lsoa,
        known_areas=known_lsoas,
        in_scope=lambda row: not is_welsh_lsoa(row.lsoa21cd),
        descriptor=descriptor,
    )


def _occupancy_lsoa(row: OccupancyRow) -> str:
    return row.lsoa21cd


def _heating_lsoa(row: CentralHeatingRow) -> str:
    return row.lsoa21cd
