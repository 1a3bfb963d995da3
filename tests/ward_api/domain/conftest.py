"""Fixtures giving the real published data (its absence fails: see tests/support/data.py)."""

import pytest

from services.ward_api.domain.geography import Geography, load_geography
from services.ward_api.domain.sitrep import SitrepRow, load_sitrep
from services.ward_api.domain.sources import IMD_FILE, LSOA_ICB_FILE, SITREP_FILE
from tests.support.data import require_data


@pytest.fixture(scope="session")
def sitrep_rows() -> tuple[SitrepRow, ...]:
    """Every validated row of NHS England's virtual-ward sitrep, July 2023 – July 2024."""
    return load_sitrep(require_data(SITREP_FILE))


@pytest.fixture(scope="session")
def geography() -> Geography:
    """ICBs and sub-ICB locations with ONS mid-2019 populations."""
    return load_geography(require_data(LSOA_ICB_FILE, IMD_FILE))
