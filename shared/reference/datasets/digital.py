"""DERI v1.6 and IUC 2018 group per LSOA 2011 (``digital_exclusion_lsoa.csv``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from shared.reference import LSOA, CellError, parse_code, parse_number, parse_whole

from ._table import Column, Layout, read_table
from .descriptors import DIGITAL_EXCLUSION, DatasetDescriptor
from .report import LoadedDataset

__all__ = [
    "DIGITAL_EXCLUSION_LAYOUT",
    "IUC2018_GROUPS",
    "DigitalExclusionRow",
    "load_digital_exclusion",
]

# CDRC Internet User Classification 2018: group code -> label.
IUC2018_GROUPS = MappingProxyType(
    {
        1: "e-Cultural Creators",
        2: "e-Professionals",
        3: "e-Veterans",
        4: "Youthful Urban Fringe",
        5: "e-Rational Utilitarians",
        6: "e-Mainstream",
        7: "Passive and Uncommitted Users",
        8: "Digital Seniors",
        9: "Settled Offline Communities",
        10: "e-Withdrawn",
    }
)


@dataclass(frozen=True, slots=True)
class DigitalExclusionRow:
    """DERI components and score (0–10, higher = more at risk) and the LSOA's IUC group."""

    lsoa11cd: str
    deri_broadband: float
    deri_demography: float
    deri_deprivation: float
    deri_score: float
    iuc_group_code: int
    iuc_group_label: str


_COLUMNS = (
    "lsoa11cd",
    "deri_broadband_component",
    "deri_demography_component",
    "deri_deprivation_component",
    "deri_score",
    "iuc2018_group_code",
    "iuc2018_group_label",
)


def _parse(values: Sequence[str | None]) -> DigitalExclusionRow:
    v = [x or "" for x in values]
    n = _COLUMNS
    group = parse_whole(v[5], n[5], low=1, high=10)
    label = v[6].strip()
    if label != IUC2018_GROUPS[group]:
        raise CellError(
            f"{n[6]}: {label!r} is not the label of group {group} ({IUC2018_GROUPS[group]!r})"
        )
    return DigitalExclusionRow(
        lsoa11cd=parse_code(v[0], n[0], LSOA, "an English LSOA code (E01 + 6 digits)"),
        deri_broadband=parse_number(v[1], n[1], low=0.0, high=10.0),
        deri_demography=parse_number(v[2], n[2], low=0.0, high=10.0),
        deri_deprivation=parse_number(v[3], n[3], low=0.0, high=10.0),
        deri_score=parse_number(v[4], n[4], low=0.0, high=10.0),
        iuc_group_code=group,
        iuc_group_label=label,
    )


DIGITAL_EXCLUSION_LAYOUT: Layout[DigitalExclusionRow] = Layout(
    name="vward digital_exclusion_lsoa",
    descriptor=DIGITAL_EXCLUSION,
    columns=tuple(Column(name, name) for name in _COLUMNS),
    parse=_parse,
)


def load_digital_exclusion(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, DigitalExclusionRow]:
    """Load DERI and IUC, rejecting rows for LSOAs missing from the IMD file."""
    return read_table(
        path,
        [DIGITAL_EXCLUSION_LAYOUT],
        key=_lsoa,
        area=_lsoa,
        known_areas=known_lsoas,
        known_areas_name="the IMD 2019 LSOA list",
        descriptor=descriptor,
    )


def _lsoa(row: DigitalExclusionRow) -> str:
    return row.lsoa11cd
