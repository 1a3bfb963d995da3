"""The public reference data the suites need: missing data fails the run, never skips it.

A checkout without the data directory (default `../shared/data`, or `$VWARD_DATA_DIR`)
used to skip ward_api's HTTP tests and the fault, e2e and scale-out suites, so CI passed
with most of ward_api untested. Now each such test errors with the reason, unless the
run opts out knowingly with `VWARD_TESTS_ALLOW_MISSING_DATA=1` (then they skip, saying so).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.reference import LSOA_ICB_FILE
from shared.settings import DATA_DIR_ENV, DataSettings

ALLOW_MISSING_ENV = "VWARD_TESTS_ALLOW_MISSING_DATA"


def data_dir() -> Path:
    """The configured data directory: the services' own `data_dir` setting."""
    return DataSettings().data_dir


def require_data(*names: str, directory: Path | None = None) -> Path:
    """The data directory holding every file in `names` (default: the LSOA→ICB lookup)."""
    directory = data_dir() if directory is None else directory
    missing = [n for n in names or (LSOA_ICB_FILE,) if not (directory / n).is_file()]
    if not missing:
        return directory
    reason = f"public reference data not found in {directory} (set {DATA_DIR_ENV}): {missing}"
    if os.environ.get(ALLOW_MISSING_ENV) == "1":
        pytest.skip(f"{reason}; skipped because {ALLOW_MISSING_ENV}=1")
    pytest.fail(
        f"{reason}. These tests need it; set {ALLOW_MISSING_ENV}=1 to skip them knowingly.",
        pytrace=False,
    )
