"""The published public data files ward_api reads; the directory is the `data_dir` setting."""

from shared.reference import IMD_FILE, LSOA_ICB_FILE

__all__ = [
    "DIGITAL_EXCLUSION_FILE",
    "HOUSING_FILE",
    "IMD_FILE",
    "LSOA_ICB_FILE",
    "OGL_ATTRIBUTION",
    "SITREP_FILE",
]

SITREP_FILE = "virtual_ward_sitrep_icb.csv"
DIGITAL_EXCLUSION_FILE = "digital_exclusion_lsoa.csv"
HOUSING_FILE = "housing_lsoa.csv"
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
