"""Settings refuse placeholder secrets outside development and test."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.ward_api.settings import WardSettings
from shared.settings import DEV_JWT_SECRET


def test_production_refuses_placeholder_secret(monkeypatch) -> None:
    monkeypatch.setenv("VWARD_ENVIRONMENT", "production")
    monkeypatch.setenv("VWARD_JWT_SECRET", DEV_JWT_SECRET)
    with pytest.raises(ValidationError, match="VWARD_JWT_SECRET"):
        WardSettings()


def test_production_refuses_short_secret(monkeypatch) -> None:
    monkeypatch.setenv("VWARD_ENVIRONMENT", "production")
    monkeypatch.setenv("VWARD_JWT_SECRET", "short")
    with pytest.raises(ValidationError):
        WardSettings()


def test_production_accepts_real_secret(monkeypatch) -> None:
    monkeypatch.setenv("VWARD_ENVIRONMENT", "production")
    monkeypatch.setenv("VWARD_JWT_SECRET", "x" * 48)
    assert WardSettings().environment == "production"


def test_service_database_url_wins_over_shared(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared/db")
    monkeypatch.setenv("WARD_DATABASE_URL", "postgresql://ward/db")
    assert WardSettings().database_url == "postgresql://ward/db"
