"""Reference datasets (IMD, LSOA lookup, housing, digital exclusion, census, IoD): loaders
that validate, typed rows, derived quintiles; each service loads what it needs from them.

Loaders never raise on bad rows: each returns a ``LoadedDataset`` whose ``report`` lists the
rows accepted, rejected (line number and reason) and skipped. Exceptions are kept for a file
that does not exist.
"""

from .catalogue import (
    REFERENCE_FILES,
    ReferenceData,
    is_synthetic_dir,
    load_reference,
)
from .census import CentralHeatingRow, OccupancyRow, load_ts046, load_ts052
from .descriptors import SYNTHETIC_MARKER, DatasetDescriptor, Geography, synthetic_descriptor
from .digital import IUC2018_GROUPS, DigitalExclusionRow, load_digital_exclusion
from .housing import HousingRow, load_housing
from .icb import IcbLookupRow, load_icb_lookup
from .imd import ImdRow, load_imd2019
from .iod import IodRow, load_iod
from .lsoa_lookup import ChangeIndicator, LsoaChange, LsoaMapping, build_mapping, load_lsoa_lookup
from .profiles import (
    HousingMeasure,
    LsoaProfile,
    build_profiles,
    decile_to_quintile,
    housing_quintile,
    is_core20,
    national_quintiles,
)
from .report import ImportReport, LoadedDataset, Rejection

__all__ = [
    "IUC2018_GROUPS",
    "REFERENCE_FILES",
    "SYNTHETIC_MARKER",
    "CentralHeatingRow",
    "ChangeIndicator",
    "DatasetDescriptor",
    "DigitalExclusionRow",
    "Geography",
    "HousingMeasure",
    "HousingRow",
    "IcbLookupRow",
    "ImdRow",
    "ImportReport",
    "IodRow",
    "LoadedDataset",
    "LsoaChange",
    "LsoaMapping",
    "LsoaProfile",
    "OccupancyRow",
    "ReferenceData",
    "Rejection",
    "build_mapping",
    "build_profiles",
    "decile_to_quintile",
    "housing_quintile",
    "is_core20",
    "is_synthetic_dir",
    "load_digital_exclusion",
    "load_housing",
    "load_icb_lookup",
    "load_imd2019",
    "load_iod",
    "load_lsoa_lookup",
    "load_reference",
    "load_ts046",
    "load_ts052",
    "national_quintiles",
    "synthetic_descriptor",
]
