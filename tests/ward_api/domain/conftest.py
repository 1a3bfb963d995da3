"""Fixtures giving the real published data, skipped with a reason when it is not present."""

from pathlib import Path

import pytest

from services.ward_api.domain.geography import Geography, load_geography
from services.ward_api.domain.sitrep import SitrepRow, load_sitrep
from services.ward_api.domain.sources import (
    DATA_DIR_ENV,
    IMD_FILE,
    LSOA_ICB_FILE,
    SITREP_FILE,
    data_dir,
)


def _require(*names: str) -> Path:
    directory = data_dir()
    missing = [n for n in names if not (directory / n).is_file()]
    if missing:
        pytest.skip(f"public data not found in {directory} (set {DATA_DIR_ENV}): {missing}")
    return directory


@pytest.fixture(scope="session")
def sitrep_rows() -> tuple[SitrepRow, ...]:
    """Every validated row of NHS England's virtual-ward sitrep, July 2023 – July 2024."""
    return load_sitrep(_require(SITREP_FILE))


@pytest.fixture(scope="session")
def geography() -> Geography:
    """ICBs and sub-ICB locations with ONS mid-2019 populations."""
    return load_geography(_require(LSOA_ICB_FILE, IMD_FILE))
