"""MHCLG's own English Indices of Deprivation files (File 1 and File 7, IoD2019 and IoD2025).

Layouts are recognised by header. IoD2025 is published on LSOA 2021 ("LSOA code (2021)"),
IoD2019 on LSOA 2011 ("LSOA code (2011)"). File 7 ("All ranks, scores, deciles and
population denominators") is a CSV; File 1 is a workbook whose IMD sheet must be saved as CSV.
Headers are matched after collapsing whitespace and ignoring case; long headers are matched
by their start, because some File 7 headers are truncated ("...10% of LSO") and population
headers carry their year ("Total population: mid 2022").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.reference import LSOA, parse_code, parse_number, parse_whole

from ._table import Column, Layout, read_table
from .descriptors import (
    IOD2019_FILE1,
    IOD2019_FILE7,
    IOD2025_FILE1,
    IOD2025_FILE7,
    DatasetDescriptor,
    Geography,
)
from .report import LoadedDataset

__all__ = ["IOD_LAYOUTS", "IodRow", "load_iod"]

_IMD = "Index of Multiple Deprivation (IMD)"


@dataclass(frozen=True, slots=True)
class IodRow:
    """One LSOA in an official IoD file; File 1 carries only the rank and decile."""

    lsoa_code: str
    geography: Geography
    imd_rank: int
    imd_decile: int
    imd_score: float | None = None
    barriers_decile: int | None = None
    indoors_decile: int | None = None
    population: int | None = None
    lad_code: str | None = None


def _file7_columns(vintage: str, lad_year: str) -> tuple[Column, ...]:
    return (
        Column("lsoa", f"LSOA code ({vintage})"),
        Column("imd_rank", f"{_IMD} Rank", prefix=True),
        Column("imd_decile", f"{_IMD} Decile", prefix=True),
        Column("lad", f"Local Authority District code ({lad_year})", required=False),
        Column("imd_score", f"{_IMD} Score"),
        Column("barriers_decile", "Barriers to Housing and Services Decile", prefix=True),
        Column("indoors_decile", "Indoors Sub-domain Decile", prefix=True, required=False),
        Column("population", "Total population: mid", prefix=True),
    )


def _file1_columns(vintage: str, lad_year: str) -> tuple[Column, ...]:
    return _file7_columns(vintage, lad_year)[:4]


def _parser(geography: Geography) -> Callable[[Sequence[str | None]], IodRow]:
    def parse(values: Sequence[str | None]) -> IodRow:
        lsoa, rank, decile, lad, *extra = values
        row = IodRow(
            lsoa_code=parse_code(lsoa or "", "LSOA code", LSOA, "an English LSOA code"),
            geography=geography,
            imd_rank=parse_whole(rank or "", "IMD rank", low=1),
            imd_decile=parse_whole(decile or "", "IMD decile", low=1, high=10),
            lad_code=(lad or "").strip() or None,
        )
        if not extra:
            return row
        score, barriers, indoors, population = extra
        return IodRow(
            lsoa_code=row.lsoa_code,
            geography=geography,
            imd_rank=row.imd_rank,
            imd_decile=row.imd_decile,
            imd_score=parse_number(score or "", "IMD score", low=0, high=100),
            barriers_decile=parse_whole(barriers or "", "Barriers decile", low=1, high=10),
            indoors_decile=(
                None if indoors is None else parse_whole(indoors, "Indoors decile", low=1, high=10)
            ),
            population=parse_whole(population or "", "Total population", low=0),
            lad_code=row.lad_code,
        )

    return parse


# File 7 before File 1: a File 7 header also contains every File 1 column.
IOD_LAYOUTS: tuple[Layout[IodRow], ...] = (
    Layout(
        "IoD2025 File 7", IOD2025_FILE7, _file7_columns("2021", "2024"), _parser(Geography.LSOA21)
    ),
    Layout(
        "IoD2025 File 1", IOD2025_FILE1, _file1_columns("2021", "2024"), _parser(Geography.LSOA21)
    ),
    Layout(
        "IoD2019 File 7", IOD2019_FILE7, _file7_columns("2011", "2019"), _parser(Geography.LSOA11)
    ),
    Layout(
        "IoD2019 File 1", IOD2019_FILE1, _file1_columns("2011", "2019"), _parser(Geography.LSOA11)
    ),
)


def load_iod(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, IodRow]:
    """Load an official IoD File 1 or File 7, whichever the header shows it to be."""
    return read_table(
        path,
        IOD_LAYOUTS,
        key=_lsoa,
        area=_lsoa,
        known_areas=known_lsoas,
        descriptor=descriptor,
    )


def _lsoa(row: IodRow) -> str:
    return row.lsoa_code
