"""equity_audit settings, read from EQUITY_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import SYNTHETIC_DIR, ServiceSettings, database_url_field

SCHEMA = "equity"


class EquitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EQUITY_", extra="ignore", frozen=True)

    database_url: str | None = database_url_field("EQUITY_")  # type: ignore[assignment]
    port: int = 8003
    ward_api_url: str = "http://127.0.0.1:8001"
    # Whole reference files (up to ~3.3 MB for England) are posted to the admin importer.
    max_body_bytes: int = Field(16 * 1_048_576, ge=1024)
    synthetic_dir: Path = Field(
        SYNTHETIC_DIR, description="Where synthetic reference data is written when none exists."
    )
    uptake_start: date = Field(
        date(2020, 1, 1), description="First admission date pulled from ward_api."
    )
    snapshot_lookback_months: int = Field(
        3,
        ge=0,
        le=120,
        description="Months before the last pulled month that each refresh pulls again, so "
        "admissions discharged since (outcome, length of stay, readings) are updated.",
    )
    snapshot_max_age_seconds: int = Field(
        300, ge=0, description="An audit older than this refreshes the uptake snapshot first."
    )
    sii_repetitions: int = Field(100_000, ge=1000, le=1_000_000)

    @property
    def schema_name(self) -> str:
        return SCHEMA
