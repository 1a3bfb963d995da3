"""The two LSOA 2011 files both services load: the LSOA → sub-ICB → ICB lookup and IMD 2019.

``lsoa11_to_icb.csv`` places each LSOA in a sub-ICB location, an ICB and a local authority;
``imd2019_lsoa11_england.csv`` gives its IMD 2019 score and decile (1 = most deprived) and
ONS mid-2019 population. The rules for a row are here once; ward_api and equity_audit each
load the rows into their own schema.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .cells import Cells, header_error
from .codes import ICB, ICB_ODS, LAD, LSOA, SUB_ICB, SUB_ICB_ODS
from .errors import DataFileError, RowError

__all__ = [
    "IMD_COLUMNS",
    "IMD_FILE",
    "LOOKUP_COLUMNS",
    "LSOA_ICB_FILE",
    "Hierarchy",
    "LsoaDeprivation",
    "LsoaLink",
    "load_lsoa_files",
    "parse_imd",
    "parse_lsoa_lookup",
    "read_deprivation",
    "read_link",
]

LSOA_ICB_FILE = "lsoa11_to_icb.csv"
IMD_FILE = "imd2019_lsoa11_england.csv"
LOOKUP_COLUMNS = (
    "lsoa11cd",
    "sicbl_code",
    "sicbl_ods_code",
    "icb_code",
    "icb_ods_code",
    "icb_name",
    "lad22cd",
)
IMD_COLUMNS = ("lsoa11cd", "imd2019_score", "imd2019_decile", "population_mid2019")
T = TypeVar("T")
_LSOA_MEANING = "an English LSOA code (E01 + 6 digits)"


@dataclass(frozen=True, slots=True)
class LsoaLink:
    """One LSOA (2011) and the sub-ICB location, ICB and local authority it lies in."""

    lsoa11cd: str
    sicbl_code: str
    sicbl_ods_code: str
    icb_code: str
    icb_ods_code: str
    icb_name: str
    lad22cd: str


@dataclass(frozen=True, slots=True)
class LsoaDeprivation:
    """IMD 2019 score and decile (1 = most deprived 10%) and ONS mid-2019 population."""

    lsoa11cd: str
    imd_score: float
    imd_decile: int
    population: int


def read_link(cells: Cells) -> LsoaLink | None:
    """One lookup row, or None with every bad cell recorded in ``cells.errors``."""
    name = cells.text("icb_name")
    if not name:
        cells.fail("icb_name", "empty")
    link = LsoaLink(
        lsoa11cd=cells.match("lsoa11cd", LSOA, _LSOA_MEANING),
        sicbl_code=cells.match("sicbl_code", SUB_ICB, "a sub-ICB location code (E38…)"),
        sicbl_ods_code=cells.match(
            "sicbl_ods_code", SUB_ICB_ODS, "a sub-ICB ODS code (3 or 5 letters and digits)"
        ),
        icb_code=cells.match("icb_code", ICB, "an ICB code (E54…)"),
        icb_ods_code=cells.match("icb_ods_code", ICB_ODS, "an ICB ODS code (Qxx)"),
        icb_name=name,
        lad22cd=cells.match("lad22cd", LAD, "an English local authority code"),
    )
    return None if cells.errors else link


def read_deprivation(cells: Cells) -> LsoaDeprivation | None:
    """One IMD row, or None with every bad cell recorded in ``cells.errors``."""
    lsoa = cells.match("lsoa11cd", LSOA, _LSOA_MEANING)
    score = cells.number("imd2019_score", low=0, high=100)
    decile = cells.whole("imd2019_decile", low=1, high=10)
    population = cells.whole("population_mid2019", low=0)
    if population == 0:
        cells.fail("population_mid2019", "0 is not positive: every LSOA has residents")
    if cells.errors:
        return None
    assert score is not None and decile is not None and population is not None
    return LsoaDeprivation(lsoa, score, decile, population)


class Hierarchy:
    """Why a row puts a sub-ICB location in a second ICB or renames an ICB (None if not).

    Call it with each row and its line, in file order; the first row of an area wins.
    """

    def __init__(self) -> None:
        self.sub_icbs: dict[str, tuple[str, str, int]] = {}
        self.icbs: dict[str, tuple[str, str, int]] = {}

    def __call__(self, row: LsoaLink, line: int) -> str | None:
        sub = self.sub_icbs.get(row.sicbl_code)
        if sub is not None and (row.icb_code, row.sicbl_ods_code) != sub[:2]:
            problem = "lies in two ICBs" if row.icb_code != sub[0] else "has two ODS codes"
            return (
                f"sub-ICB {row.sicbl_code} {problem}: {sub[1]} in ICB {sub[0]} on row {sub[2]},"
                f" here {row.sicbl_ods_code} in {row.icb_code}"
            )
        icb = self.icbs.get(row.icb_code)
        if icb is not None and (row.icb_ods_code, row.icb_name) != icb[:2]:
            return (
                f"ICB {row.icb_code} has two ODS codes or names: {icb[0]} {icb[1]!r} on row"
                f" {icb[2]}, here {row.icb_ods_code} {row.icb_name!r}"
            )
        self.sub_icbs.setdefault(row.sicbl_code, (row.icb_code, row.sicbl_ods_code, line))
        self.icbs.setdefault(row.icb_code, (row.icb_ods_code, row.icb_name, line))
        return None


def parse_lsoa_lookup(lines: Iterable[str]) -> tuple[tuple[LsoaLink, ...], tuple[RowError, ...]]:
    """Validate the LSOA → sub-ICB → ICB lookup (exact header); bad rows are reported by line."""
    return _parse(lines, LOOKUP_COLUMNS, read_link)


def parse_imd(lines: Iterable[str]) -> tuple[tuple[LsoaDeprivation, ...], tuple[RowError, ...]]:
    """Validate IMD 2019 score, decile and mid-2019 population per LSOA (exact header)."""
    return _parse(lines, IMD_COLUMNS, read_deprivation)


def _parse(
    lines: Iterable[str], columns: tuple[str, ...], read: Callable[[Cells], T | None]
) -> tuple[tuple[T, ...], tuple[RowError, ...]]:
    reader = csv.DictReader(lines)
    bad_header = header_error(reader.fieldnames, columns)
    if bad_header is not None:
        return (), (bad_header,)
    rows: list[T] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for raw in reader:
        cells = Cells(raw, reader.line_num)
        surplus = raw.pop(None, None) or ()  # DictReader's key for cells past the header
        width = len(columns) + len(surplus) - sum(raw.get(c) is None for c in columns)
        if width != len(columns):
            cells.fail("row", f"expected {len(columns)} fields, found {width}")
        row = read(cells)
        lsoa = cells.text("lsoa11cd")
        if lsoa in seen:
            cells.fail("lsoa11cd", f"{lsoa} appears twice (first on line {seen[lsoa]})")
        seen.setdefault(lsoa, reader.line_num)
        errors.extend(cells.errors)
        if row is not None and not cells.errors:
            rows.append(row)
    return tuple(rows), tuple(errors)


def load_lsoa_files(
    directory: Path,
) -> tuple[tuple[LsoaLink, ...], tuple[LsoaDeprivation, ...]]:
    """Read both files from ``directory``; raise DataFileError naming every bad cell."""
    with (directory / LSOA_ICB_FILE).open(newline="", encoding="utf-8") as handle:
        links, errors = parse_lsoa_lookup(handle)
    if errors:
        raise DataFileError(LSOA_ICB_FILE, errors)
    with (directory / IMD_FILE).open(newline="", encoding="utf-8") as handle:
        deprivation, errors = parse_imd(handle)
    if errors:
        raise DataFileError(IMD_FILE, errors)
    return links, deprivation
