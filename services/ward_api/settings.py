"""ward_api settings, read from WARD_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, database_url_field

SCHEMA = "ward"


class WardSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WARD_", extra="ignore", frozen=True)

    database_url: str | None = database_url_field("WARD_")  # type: ignore[assignment]
    port: int = 8001
    monitoring_url: str = "http://127.0.0.1:8002"
    equity_audit_url: str = "http://127.0.0.1:8003"
    cost_per_bed_gbp: int = 17_900

    @property
    def schema_name(self) -> str:
        return SCHEMA
