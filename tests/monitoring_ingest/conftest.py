"""Fixtures for monitoring_ingest: a fresh vendor with a key, and a bound device."""

from __future__ import annotations

import pytest

from tests.monitoring_ingest.helpers import Bound, VendorCreds, bind, new_vendor


@pytest.fixture
async def vendor(ingest_client) -> VendorCreds:
    return await new_vendor(ingest_client)


@pytest.fixture
async def bound(ingest_client, vendor) -> Bound:
    return await bind(ingest_client, vendor)
