"""monitoring_ingest settings, read from INGEST_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, database_url_field

SCHEMA = "monitoring"


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", frozen=True)

    database_url: str | None = database_url_field("INGEST_")  # type: ignore[assignment]
    port: int = 8002
    ward_api_url: str = "http://127.0.0.1:8001"
    max_body_bytes: int = Field(16 * 1_048_576, ge=1024)  # bulk back-fills are large

    @property
    def schema_name(self) -> str:
        return SCHEMA
