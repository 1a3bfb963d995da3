"""LSOA 2011 to sub-ICB location and ICB (July 2022) lookup (``lsoa11_to_icb.csv``).

The row rules and the hierarchy check are ``shared.reference``'s, the same ward_api loads
the file by.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from shared.reference import LOOKUP_COLUMNS, Hierarchy, LsoaLink, read_link

from ._table import Column, Layout, from_cells, read_table
from .descriptors import LSOA11_TO_ICB, DatasetDescriptor
from .report import LoadedDataset

__all__ = ["LSOA11_TO_ICB_LAYOUT", "IcbLookupRow", "load_icb_lookup"]

IcbLookupRow = LsoaLink  # the sub-ICB location, ICB and local authority of an LSOA 2011

LSOA11_TO_ICB_LAYOUT: Layout[IcbLookupRow] = Layout(
    name="vward lsoa11_to_icb",
    descriptor=LSOA11_TO_ICB,
    columns=tuple(Column(name, name) for name in LOOKUP_COLUMNS),
    parse=from_cells(LOOKUP_COLUMNS, read_link),
)


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
        consistent=Hierarchy(),
        descriptor=descriptor,
    )


def _lsoa(row: IcbLookupRow) -> str:
    return row.lsoa11cd
