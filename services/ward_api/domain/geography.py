"""ICB and sub-ICB geography from LSOA 2011 lookups, with ONS mid-2019 population and IMD 2019.

Populations here are ONS mid-2019 LSOA estimates summed to ICB (July 2022 boundaries), basis
``ons_mid_year``, vintage 2019. They are not NHS England's GP-registered denominators, which
run 1.05–1.37 times larger per ICB, so rates on the two bases must not be mixed.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ._cells import Cells, header_error
from .capacity import Denominator, PopulationBasis
from .errors import DataFileError, RowError
from .sources import IMD_FILE, LSOA_ICB_FILE

__all__ = [
    "CORE20_DECILES",
    "IMD_COLUMNS",
    "LOOKUP_COLUMNS",
    "ONS_MID_2019",
    "Geography",
    "IcbArea",
    "LsoaDeprivation",
    "LsoaLink",
    "SubIcbLocation",
    "build_geography",
    "load_geography",
    "parse_imd",
    "parse_lsoa_lookup",
]

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
ONS_MID_2019 = date(2019, 6, 30)
CORE20_DECILES = frozenset({1, 2})  # most deprived 20% of LSOAs nationally by IMD 2019
_SOURCE = "ONS mid-2019 LSOA population estimates summed to ICB (July 2022)"

_LSOA = re.compile(r"^E01[0-9]{6}$")
_SICBL = re.compile(r"^E38[0-9]{6}$")
_SICBL_ODS = re.compile(r"^[0-9A-Z]{3,5}$")
_ICB = re.compile(r"^E54[0-9]{6}$")
_ICB_ODS = re.compile(r"^Q[A-Z0-9]{2}$")
_LAD = re.compile(r"^E0[6-9][0-9]{6}$")


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
    """IMD 2019 score and decile (1 = most deprived) and ONS mid-2019 population of an LSOA."""

    lsoa11cd: str
    imd_score: Decimal
    imd_decile: int
    population: int

    @property
    def core20(self) -> bool:
        """True when the LSOA is in the most deprived 20% nationally (IMD deciles 1–2)."""
        return self.imd_decile in CORE20_DECILES


@dataclass(frozen=True, slots=True)
class SubIcbLocation:
    """A sub-ICB location (former CCG footprint) with its summed population."""

    code: str
    ods_code: str
    icb_code: str
    lsoa_count: int
    population: int
    core20_population: int


@dataclass(frozen=True, slots=True)
class IcbArea:
    """An integrated care board with its sub-ICB locations and summed population."""

    code: str
    ods_code: str
    name: str
    sub_icb_codes: tuple[str, ...]
    lsoa_count: int
    population: int
    core20_population: int

    @property
    def denominator(self) -> Denominator:
        """ONS mid-2019 population as a rate denominator."""
        return Denominator(self.population, PopulationBasis.ONS_MID_YEAR, ONS_MID_2019, _SOURCE)

    @property
    def core20_share(self) -> Decimal:
        """Share of the population living in Core20 LSOAs (0–1, exact)."""
        return Decimal(self.core20_population) / Decimal(self.population)


@dataclass(frozen=True, slots=True)
class Geography:
    """ICBs and sub-ICB locations keyed by GSS code (E54…, E38…)."""

    icbs: Mapping[str, IcbArea]
    sub_icbs: Mapping[str, SubIcbLocation]

    @property
    def population(self) -> int:
        """England total over all LSOAs."""
        return sum(icb.population for icb in self.icbs.values())

    def icb_by_ods(self, ods_code: str) -> IcbArea:
        """Look an ICB up by its ODS code (Qxx); KeyError if unknown."""
        for icb in self.icbs.values():
            if icb.ods_code == ods_code:
                return icb
        raise KeyError(ods_code)


def parse_lsoa_lookup(lines: Iterable[str]) -> tuple[tuple[LsoaLink, ...], tuple[RowError, ...]]:
    """Validate the LSOA → sub-ICB → ICB lookup; bad rows are reported by line."""
    reader = csv.DictReader(lines)
    bad_header = header_error(reader.fieldnames, LOOKUP_COLUMNS)
    if bad_header is not None:
        return (), (bad_header,)
    links: list[LsoaLink] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for raw in reader:
        cells = Cells(raw, reader.line_num)
        values = [
            cells.match("lsoa11cd", _LSOA, "an LSOA 2011 code (E01…)"),
            cells.match("sicbl_code", _SICBL, "a sub-ICB location code (E38…)"),
            cells.match("sicbl_ods_code", _SICBL_ODS, "a sub-ICB ODS code"),
            cells.match("icb_code", _ICB, "an ICB code (E54…)"),
            cells.match("icb_ods_code", _ICB_ODS, "an ICB ODS code (Qxx)"),
            cells.text("icb_name"),
            cells.match("lad22cd", _LAD, "a local authority code"),
        ]
        if not values[5]:
            cells.fail("icb_name", "is blank")
        if values[0] in seen:
            cells.fail("lsoa11cd", f"{values[0]} appears twice")
        seen.add(values[0])
        errors.extend(cells.errors)
        if not cells.errors:
            links.append(LsoaLink(*values))
    return tuple(links), tuple(errors)


def parse_imd(lines: Iterable[str]) -> tuple[tuple[LsoaDeprivation, ...], tuple[RowError, ...]]:
    """Validate IMD 2019 score, decile and mid-2019 population per LSOA."""
    reader = csv.DictReader(lines)
    bad_header = header_error(reader.fieldnames, IMD_COLUMNS)
    if bad_header is not None:
        return (), (bad_header,)
    rows: list[LsoaDeprivation] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for raw in reader:
        cells = Cells(raw, reader.line_num)
        lsoa = cells.match("lsoa11cd", _LSOA, "an LSOA 2011 code (E01…)")
        score = cells.decimal("imd2019_score")
        decile = cells.count("imd2019_decile")
        population = cells.count("population_mid2019", positive=True)
        if decile is not None and not 1 <= decile <= 10:
            cells.fail("imd2019_decile", f"{decile} is not a decile 1–10")
        if lsoa in seen:
            cells.fail("lsoa11cd", f"{lsoa} appears twice")
        seen.add(lsoa)
        errors.extend(cells.errors)
        if not cells.errors:
            assert score is not None and decile is not None and population is not None
            rows.append(LsoaDeprivation(lsoa, score, decile, population))
    return tuple(rows), tuple(errors)


def _check_consistent(links: Iterable[LsoaLink]) -> None:
    icb_of_sicbl: dict[str, str] = {}
    icb_names: dict[str, tuple[str, str]] = {}
    for link in links:
        if icb_of_sicbl.setdefault(link.sicbl_code, link.icb_code) != link.icb_code:
            raise ValueError(f"sub-ICB location {link.sicbl_code} lies in two ICBs")
        named = (link.icb_ods_code, link.icb_name)
        if icb_names.setdefault(link.icb_code, named) != named:
            raise ValueError(f"ICB {link.icb_code} has two ODS codes or names")


def build_geography(links: Iterable[LsoaLink], deprivation: Iterable[LsoaDeprivation]) -> Geography:
    """Sum LSOA populations to sub-ICB locations and ICBs; both files must cover the same LSOAs."""
    links = tuple(links)
    by_lsoa = {d.lsoa11cd: d for d in deprivation}
    linked = {link.lsoa11cd for link in links}
    if linked != set(by_lsoa):
        only_lookup, only_imd = len(linked - set(by_lsoa)), len(set(by_lsoa) - linked)
        raise ValueError(f"LSOA sets differ: {only_lookup} only in lookup, {only_imd} only in IMD")
    _check_consistent(links)
    sub_totals: dict[str, list[int]] = {}
    for link in links:
        area = by_lsoa[link.lsoa11cd]
        totals = sub_totals.setdefault(link.sicbl_code, [0, 0, 0])
        totals[0] += 1
        totals[1] += area.population
        totals[2] += area.population if area.core20 else 0
    first = {link.sicbl_code: link for link in reversed(links)}
    sub_icbs = {
        code: SubIcbLocation(code, first[code].sicbl_ods_code, first[code].icb_code, *totals)
        for code, totals in sorted(sub_totals.items())
    }
    icbs: dict[str, IcbArea] = {}
    for icb_code in sorted({s.icb_code for s in sub_icbs.values()}):
        members = [s for s in sub_icbs.values() if s.icb_code == icb_code]
        example = first[members[0].code]
        icbs[icb_code] = IcbArea(
            code=icb_code,
            ods_code=example.icb_ods_code,
            name=example.icb_name,
            sub_icb_codes=tuple(s.code for s in members),
            lsoa_count=sum(s.lsoa_count for s in members),
            population=sum(s.population for s in members),
            core20_population=sum(s.core20_population for s in members),
        )
    return Geography(icbs=icbs, sub_icbs=sub_icbs)


def load_geography(directory: Path) -> Geography:
    """Read both LSOA files from ``directory``; raise DataFileError on any bad row."""
    with (directory / LSOA_ICB_FILE).open(newline="", encoding="utf-8") as handle:
        links, errors = parse_lsoa_lookup(handle)
    if errors:
        raise DataFileError(LSOA_ICB_FILE, errors)
    with (directory / IMD_FILE).open(newline="", encoding="utf-8") as handle:
        deprivation, errors = parse_imd(handle)
    if errors:
        raise DataFileError(IMD_FILE, errors)
    return build_geography(links, deprivation)
