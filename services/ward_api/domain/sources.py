"""Where the published public data files live; the directory is configuration, not code."""

import os
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "DATA_DIR_ENV",
    "DIGITAL_EXCLUSION_FILE",
    "HOUSING_FILE",
    "IMD_FILE",
    "LSOA_ICB_FILE",
    "OGL_ATTRIBUTION",
    "SITREP_FILE",
    "data_dir",
]

DATA_DIR_ENV = "VWARD_DATA_DIR"
SITREP_FILE = "virtual_ward_sitrep_icb.csv"
LSOA_ICB_FILE = "lsoa11_to_icb.csv"
IMD_FILE = "imd2019_lsoa11_england.csv"
DIGITAL_EXCLUSION_FILE = "digital_exclusion_lsoa.csv"
HOUSING_FILE = "housing_lsoa.csv"
OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0."
)

# services/ward_api/domain/sources.py -> parents[3] is the repository root.
_REPO_ROOT = Path(__file__).resolve().parents[3]


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the data directory: $VWARD_DATA_DIR, else ../shared/data beside the repo root."""
    env = os.environ if environ is None else environ
    configured = env.get(DATA_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return (_REPO_ROOT.parent / "shared" / "data").resolve()
