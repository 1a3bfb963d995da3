"""England's public reference geography, parsed and validated once for every service.

Domain-free in the sense of ``shared/``: it knows the published files' layouts and the
ONS/ODS code formats, nothing of wards, readings or audits. Each service still loads the
rows into its own schema. The data directory is never looked up here: callers pass the
``data_dir`` setting (``shared.settings``, ``VWARD_DATA_DIR``).

Errors::

    ValueError
    ├── DataFileError        a file failed validation; ``errors`` lists every bad cell
    └── CellError            one cell does not parse (raised by parse_code/whole/number)
    RowError                 one bad cell as a record: line, column and message
"""

from .cells import (
    CellError,
    Cells,
    header_error,
    out_of_bounds,
    parse_code,
    parse_number,
    parse_whole,
)
from .codes import (
    ICB,
    ICB_ODS,
    LAD,
    LSOA,
    SUB_ICB,
    SUB_ICB_ODS,
    is_english_lsoa,
    is_welsh_lsoa,
)
from .errors import DataFileError, RowError
from .lsoa import (
    IMD_COLUMNS,
    IMD_FILE,
    LOOKUP_COLUMNS,
    LSOA_ICB_FILE,
    Hierarchy,
    LsoaDeprivation,
    LsoaLink,
    load_lsoa_files,
    parse_imd,
    parse_lsoa_lookup,
    read_deprivation,
    read_link,
)

__all__ = [
    "ICB",
    "ICB_ODS",
    "IMD_COLUMNS",
    "IMD_FILE",
    "LAD",
    "LOOKUP_COLUMNS",
    "LSOA",
    "LSOA_ICB_FILE",
    "SUB_ICB",
    "SUB_ICB_ODS",
    "CellError",
    "Cells",
    "DataFileError",
    "Hierarchy",
    "LsoaDeprivation",
    "LsoaLink",
    "RowError",
    "header_error",
    "is_english_lsoa",
    "is_welsh_lsoa",
    "load_lsoa_files",
    "out_of_bounds",
    "parse_code",
    "parse_imd",
    "parse_lsoa_lookup",
    "parse_number",
    "parse_whole",
    "read_deprivation",
    "read_link",
]
