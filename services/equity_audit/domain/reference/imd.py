"""IMD 2019 score, decile and mid-2019 population per LSOA 2011 (``imd2019_lsoa11_england.csv``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._table import Column, Layout, read_table
from .codes import LSOA, parse_code, parse_float, parse_int
from .descriptors import IMD2019, DatasetDescriptor
from .report import LoadedDataset

__all__ = ["IMD2019_LAYOUT", "ImdRow", "load_imd2019"]


@dataclass(frozen=True, slots=True)
class ImdRow:
    """One LSOA's IMD 2019 score and decile (1 = most deprived 10%) and its population."""

    lsoa11cd: str
    imd_score: float
    imd_decile: int
    population: int


def _parse(values: Sequence[str | None]) -> ImdRow:
    code, score, decile, population = (v or "" for v in values)
    return ImdRow(
        lsoa11cd=parse_code(code, "lsoa11cd", LSOA, "an English LSOA code (E01 + 6 digits)"),
        imd_score=parse_float(score, "imd2019_score", low=0, high=100),
        imd_decile=parse_int(decile, "imd2019_decile", low=1, high=10),
        population=parse_int(population, "population_mid2019", low=0),
    )


IMD2019_LAYOUT: Layout[ImdRow] = Layout(
    name="vward imd2019_lsoa11_england",
    descriptor=IMD2019,
    columns=(
        Column("lsoa11cd", "lsoa11cd"),
        Column("imd_score", "imd2019_score"),
        Column("imd_decile", "imd2019_decile"),
        Column("population", "population_mid2019"),
    ),
    parse=_parse,
)


def load_imd2019(
    path: Path, *, descriptor: DatasetDescriptor | None = None
) -> LoadedDataset[str, ImdRow]:
    """Load the IMD file; it defines the set of known LSOAs the other files are checked against."""
    return read_table(path, [IMD2019_LAYOUT], key=_lsoa, area=_lsoa, descriptor=descriptor)


def _lsoa(row: ImdRow) -> str:
    return row.lsoa11cd
