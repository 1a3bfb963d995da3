"""ICB and sub-ICB geography from LSOA 2011 lookups, with ONS mid-2019 population and IMD 2019.

The two files are parsed and validated by ``shared.reference``; this sums them to areas.

Populations here are ONS mid-2019 LSOA estimates summed to ICB (July 2022 boundaries), basis
``ons_mid_year``, vintage 2019. They are not NHS England's GP-registered denominators, which
run 1.05–1.37 times larger per ICB, so rates on the two bases must not be mixed.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from shared.reference import Hierarchy, LsoaDeprivation, LsoaLink, load_lsoa_files

from .capacity import Denominator, PopulationBasis

__all__ = [
    "CORE20_DECILES",
    "ONS_MID_2019",
    "Geography",
    "IcbArea",
    "SubIcbLocation",
    "build_geography",
    "load_geography",
]

ONS_MID_2019 = date(2019, 6, 30)
CORE20_DECILES = frozenset({1, 2})  # most deprived 20% of LSOAs nationally by IMD 2019
_SOURCE = "ONS mid-2019 LSOA population estimates summed to ICB (July 2022)"


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


def _check_consistent(links: Iterable[LsoaLink]) -> None:
    """Raise ValueError when the lookup puts a sub-ICB in two ICBs or renames an ICB."""
    hierarchy = Hierarchy()
    for line, link in enumerate(links, start=2):
        if (reason := hierarchy(link, line)) is not None:
            raise ValueError(reason)


def _core20(area: LsoaDeprivation) -> bool:
    """True when the LSOA is in the most deprived 20% nationally (IMD deciles 1–2)."""
    return area.imd_decile in CORE20_DECILES


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
        totals[2] += area.population if _core20(area) else 0
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
    return build_geography(*load_lsoa_files(directory))
