"""The published public data files ward_api reads; the directory is the `data_dir` setting."""

from shared.reference import IMD_FILE, LSOA_ICB_FILE

__all__ = [
    "IMD_FILE",
    "LSOA_ICB_FILE",
    "OGL_ATTRIBUTION",
    "SITREP_FILE",
]

SITREP_FILE = "virtual_ward_sitrep_icb.csv"
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)
