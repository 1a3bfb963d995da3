"""equity_audit settings, read from EQUITY_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, database_url_field

SCHEMA = "equity"


class EquitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EQUITY_", extra="ignore", frozen=True)

    database_url: str | None = database_url_field("EQUITY_")  # type: ignore[assignment]
    port: int = 8003
    ward_api_url: str = "http://127.0.0.1:8001"

    @property
    def schema_name(self) -> str:
        return SCHEMA
