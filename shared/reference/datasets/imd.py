"""IMD 2019 score, decile and mid-2019 population per LSOA 2011 (``imd2019_lsoa11_england.csv``).

The row rules are ``shared.reference``'s, the same ward_api loads the file by.
"""

from __future__ import annotations

from pathlib import Path

from shared.reference import IMD_COLUMNS, LsoaDeprivation, read_deprivation

from ._table import Column, Layout, from_cells, read_table
from .descriptors import IMD2019, DatasetDescriptor
from .report import LoadedDataset

__all__ = ["IMD2019_LAYOUT", "ImdRow", "load_imd2019"]

ImdRow = LsoaDeprivation  # one LSOA's IMD 2019 score and decile (1 = most deprived 10%)

IMD2019_LAYOUT: Layout[ImdRow] = Layout(
    name="vward imd2019_lsoa11_england",
    descriptor=IMD2019,
    columns=tuple(Column(name, name) for name in IMD_COLUMNS),
    parse=from_cells(IMD_COLUMNS, read_deprivation),
)


def load_imd2019(
    path: Path, *, descriptor: DatasetDescriptor | None = None
) -> LoadedDataset[str, ImdRow]:
    """Load the IMD file; it defines the set of known LSOAs the other files are checked against."""
    return read_table(path, [IMD2019_LAYOUT], key=_lsoa, area=_lsoa, descriptor=descriptor)


def _lsoa(row: ImdRow) -> str:
    return row.lsoa11cd
