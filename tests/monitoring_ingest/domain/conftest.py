"""Shared clock and normaliser: every test judges readings against the same 'now'."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.monitoring_ingest.domain.normalise import Normaliser

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def normaliser() -> Normaliser:
    """A normaliser with the default policy and a fixed now."""
    return Normaliser(now=NOW)
