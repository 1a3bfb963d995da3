"""LSOA 2011 to sub-ICB location and ICB (July 2022) lookup (``lsoa11_to_icb.csv``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from ._table import Column, Layout, read_table
from .codes import ICB, ICB_ODS, LAD, LSOA, SUB_ICB, SUB_ICB_ODS, RowError, parse_code
from .descriptors import LSOA11_TO_ICB, DatasetDescriptor
from .report import LoadedDataset

__all__ = ["LSOA11_TO_ICB_LAYOUT", "IcbLookupRow", "load_icb_lookup"]


@dataclass(frozen=True, slots=True)
class IcbLookupRow:
    """The sub-ICB location, ICB and local authority an LSOA 2011 belongs to."""

    lsoa11cd: str
    sicbl_code: str
    sicbl_ods_code: str
    icb_code: str
    icb_ods_code: str
    icb_name: str
    lad22cd: str


def _parse(values: Sequence[str | None]) -> IcbLookupRow:
    lsoa, sicbl, sicbl_ods, icb, icb_ods, icb_name, lad = (v or "" for v in values)
    name = icb_name.strip()
    if not name:
        raise RowError("icb_name: empty")
    return IcbLookupRow(
        lsoa11cd=parse_code(lsoa, "lsoa11cd", LSOA, "an English LSOA code (E01 + 6 digits)"),
        sicbl_code=parse_code(sicbl, "sicbl_code", SUB_ICB, "a sub-ICB location code (E38…)"),
        sicbl_ods_code=parse_code(sicbl_ods, "sicbl_ods_code", SUB_ICB_ODS, "an ODS code"),
        icb_code=parse_code(icb, "icb_code", ICB, "an ICB code (E54…)"),
        icb_ods_code=parse_code(icb_ods, "icb_ods_code", ICB_ODS, "an ICB ODS code (Qxx)"),
        icb_name=name,
        lad22cd=parse_code(lad, "lad22cd", LAD, "an English local authority code"),
    )


LSOA11_TO_ICB_LAYOUT: Layout[IcbLookupRow] = Layout(
    name="vward lsoa11_to_icb",
    descriptor=LSOA11_TO_ICB,
    columns=tuple(
        Column(name, name)
        for name in (
            "lsoa11cd",
            "sicbl_code",
            "sicbl_ods_code",
            "icb_code",
            "icb_ods_code",
            "icb_name",
            "lad22cd",
        )
    ),
    parse=_parse,
)


class _Hierarchy:
    """Rejects rows that put a sub-ICB in a second ICB or rename an ICB."""

    def __init__(self) -> None:
        self.parent: dict[str, tuple[str, str, int]] = {}
        self.icb: dict[str, tuple[str, str, int]] = {}

    def __call__(self, row: IcbLookupRow, line: int) -> str | None:
        sub = self.parent.get(row.sicbl_code)
        if sub is not None and (row.icb_code, row.sicbl_ods_code) != sub[:2]:
            return (
                f"sub-ICB {row.sicbl_code} is {sub[1]} in ICB {sub[0]} on row {sub[2]},"
                f" here {row.sicbl_ods_code} in {row.icb_code}"
            )
        icb = self.icb.get(row.icb_code)
        if icb is not None and (row.icb_ods_code, row.icb_name) != icb[:2]:
            return f"ICB {row.icb_code} is {icb[0]} {icb[1]!r} on row {icb[2]}"
        self.parent.setdefault(row.sicbl_code, (row.icb_code, row.sicbl_ods_code, line))
        self.icb.setdefault(row.icb_code, (row.icb_ods_code, row.icb_name, line))
        return None


def load_icb_lookup(
    path: Path,
    *,
    known_lsoas: Collection[str] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[str, IcbLookupRow]:
    """Load the lookup, rejecting unknown LSOAs and rows that break the ICB hierarchy."""
    return read_table(
        path,
        [LSOA11_TO_ICB_LAYOUT],
        key=_lsoa,
        area=_lsoa,
        known_areas=known_lsoas,
        known_areas_name="the IMD 2019 LSOA list",
        consistent=_Hierarchy(),
        descriptor=descriptor,
    )


def _lsoa(row: IcbLookupRow) -> str:
    return row.lsoa11cd
