"""The real neighbourhoods (LSOAs) a demo ICB's patients live in, read from the reference data.

Read from the public CSVs in the data directory (`VWARD_DATA_DIR`, see its SOURCES.md): the
LSOA → ICB lookup and IMD 2019 decile and mid-2019 population through shared.reference (the
rules the services load them by), and straight from the files the columns the patient-mix
model needs of the Digital Exclusion Risk Index (DERI) and the IoD2019 Indoors sub-domain.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.reference import LSOA_ICB_FILE, load_lsoa_files

__all__ = ["Area", "Icb", "MissingReferenceData", "load_icbs"]

DIGITAL = "digital_exclusion_lsoa.csv"
HOUSING = "housing_lsoa.csv"


class MissingReferenceData(RuntimeError):
    """The data directory lacks a file, or an asked-for ICB has no LSOAs in it."""


@dataclass(frozen=True, slots=True)
class Area:
    """One LSOA (2011) with the indicators the patient-mix model draws on."""

    lsoa11cd: str
    imd_decile: int  # 1 = most deprived 10% of England
    population: int
    deri_score: float  # Digital Exclusion Risk Index, 0-10, higher = more at risk
    deri_broadband: float  # DERI broadband component (Ofcom coverage and speeds)
    indoors_decile: int  # IoD2019 Indoors living environment, 1 = worst housing


@dataclass(frozen=True, slots=True)
class Icb:
    """An integrated care board and the LSOAs of its residents."""

    code: str  # E54…
    ods_code: str  # Q…
    name: str
    areas: tuple[Area, ...]

    @property
    def short_name(self) -> str:
        return self.name.removeprefix("NHS ").removesuffix(" Integrated Care Board")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise MissingReferenceData(f"{path} not found (set VWARD_DATA_DIR)")
    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def load_icbs(data_dir: Path, codes: Collection[str]) -> list[Icb]:
    """The ICBs asked for (by E54… or Q… code), in the order asked, with their LSOAs."""
    wanted = set(codes)
    names: dict[str, tuple[str, str, str]] = {}
    lsoa_icb: dict[str, str] = {}
    try:
        links, deprivation = load_lsoa_files(data_dir)
    except FileNotFoundError as error:
        raise MissingReferenceData(f"{error.filename} not found (set VWARD_DATA_DIR)") from None
    for link in links:
        if link.icb_code in wanted or link.icb_ods_code in wanted:
            names[link.icb_code] = (link.icb_code, link.icb_ods_code, link.icb_name)
            lsoa_icb[link.lsoa11cd] = link.icb_code
    imd = {d.lsoa11cd: d for d in deprivation if d.lsoa11cd in lsoa_icb}
    digital = {r["lsoa11cd"]: r for r in _rows(data_dir / DIGITAL) if r["lsoa11cd"] in lsoa_icb}
    housing = {r["lsoa11cd"]: r for r in _rows(data_dir / HOUSING) if r["lsoa11cd"] in lsoa_icb}
    areas: dict[str, list[Area]] = {code: [] for code in names}
    for lsoa in sorted(lsoa_icb):
        if lsoa not in imd or lsoa not in digital or lsoa not in housing:
            continue
        areas[lsoa_icb[lsoa]].append(
            Area(
                lsoa11cd=lsoa,
                imd_decile=imd[lsoa].imd_decile,
                population=imd[lsoa].population,
                deri_score=float(digital[lsoa]["deri_score"]),
                deri_broadband=float(digital[lsoa]["deri_broadband_component"]),
                indoors_decile=int(housing[lsoa]["indoors_subdomain_decile"]),
            )
        )
    found: list[Icb] = []
    for asked in codes:
        match = next((n for n in names.values() if asked in (n[0], n[1])), None)
        if match is None or not areas[match[0]]:
            raise MissingReferenceData(f"ICB {asked} has no LSOAs in {data_dir / LSOA_ICB_FILE}")
        found.append(Icb(match[0], match[1], match[2], tuple(areas[match[0]])))
    return found
