"""monitoring_ingest settings, read from INGEST_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import PLACEHOLDER_SECRETS, ServiceSettings, database_url_field

SCHEMA = "monitoring"


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", frozen=True)

    database_url: str | None = database_url_field("INGEST_")  # type: ignore[assignment]
    port: int = 8002
    ward_api_url: str = "http://127.0.0.1:8001"
    max_body_bytes: int = Field(16 * 1_048_576, ge=1024)  # bulk back-fills are large
    max_items_per_request: int = Field(
        10_000,
        ge=1,
        description=(
            "Most items (readings, Bundle entries, data points, CSV rows) one ingest or "
            "clinician-entry request may carry; more is 413 too-many-items."
        ),
    )

    # Vendor credentials: API keys are stored only as HMAC-SHA256(pepper, key); each key's
    # signing secret is derived from key and pepper, so the database holds no usable secret.
    key_pepper: SecretStr = Field(
        SecretStr("dev-only-ingest-pepper-change-me"),
        description="Server-side pepper keying API-key hashes and signing secrets.",
    )
    signature_max_age_seconds: int = Field(300, ge=10, description="Signed-request freshness.")
    # NEWS2 and alerts.
    observation_window_minutes: int = Field(15, ge=1, description="Readings forming one set.")
    observation_round_gap_seconds: int = Field(
        120, ge=1, le=3600, description="A pause this long between NEWS2 readings ends a round."
    )
    alert_suppress_minutes: int = Field(
        60, ge=0, description="No second alert of the same kind per admission within this."
    )
    alert_max_age_minutes: int = Field(
        360, ge=1, description="Back-filled readings older than this are scored, not alerted."
    )
    missed_readings_factor: float = Field(
        2.0,
        gt=0,
        description=(
            "Missed-readings alert after this many device intervals, when no NEWS2 band or "
            "monitoring plan sets the clock (see domain/pacing.py)."
        ),
    )
    pacing_continuous_minutes: int = Field(
        15,
        ge=1,
        le=60,
        description=(
            "Silence allowed at NEWS2 7+, where RCP Chart 4 asks for continuous monitoring: "
            "a home device sending nothing for this long has stopped."
        ),
    )
    pacing_clock_scale: float = Field(
        1.0,
        gt=0,
        le=1,
        description=(
            "Multiplies every NEWS2-band and monitoring-plan interval; below 1 only for a "
            "demo on a compressed clock (vward up --demo)."
        ),
    )
    news2_trend_rise: int = Field(
        2,
        ge=1,
        le=20,
        description="news2_rising alert when NEWS2 rises by this much within the trend hours.",
    )
    news2_trend_hours: float = Field(
        24.0,
        gt=0,
        le=24 * 7,
        description="The window a NEWS2 rise is measured over (alerts even below 5).",
    )
    # Outbox relay and periodic maintenance.
    relay_enabled: bool | None = Field(
        None, description="Run the outbox relay and maintenance; default: on except in test."
    )
    relay_poll_seconds: float = Field(1.0, gt=0)
    relay_batch_size: int = Field(50, ge=1)
    relay_backoff_base_seconds: float = Field(1.0, gt=0)
    relay_backoff_max_seconds: float = Field(300.0, gt=0)
    relay_breaker_threshold: int = Field(5, ge=1, description="Failures that open the breaker.")
    relay_breaker_cooldown_seconds: float = Field(30.0, gt=0)
    relay_lease_seconds: float = Field(
        60.0, ge=1, description="How long a relay holds claimed alerts while it posts them."
    )
    relay_concurrency: int = Field(8, ge=1, description="Alerts posted at once by one relay.")
    maintenance_interval_seconds: float = Field(60.0, gt=0)
    # Retention is a records-management policy, not a tuning knob: see readings/retention.py.
    reading_retention_months: int = Field(
        0,
        ge=0,
        le=1200,
        description=(
            "Drop monthly reading partitions wholly older than this many months; 0 keeps "
            "every reading (the default). Set only as the data controller's records policy "
            "directs (NHS Records Management Code of Practice)."
        ),
    )

    @model_validator(mode="after")
    def _refuse_placeholder_pepper(self) -> IngestSettings:
        pepper = self.key_pepper.get_secret_value()
        if self.environment == "production" and (
            pepper.lower() in PLACEHOLDER_SECRETS
            or pepper.startswith("dev-only")
            or len(pepper) < 32
        ):
            raise ValueError("INGEST_KEY_PEPPER must be a random value of at least 32 characters")
        return self

    @property
    def runs_relay(self) -> bool:
        """Tests start their own relay against a stub peer, so it is off there by default."""
        return self.relay_enabled if self.relay_enabled is not None else self.environment != "test"

    @property
    def schema_name(self) -> str:
        return SCHEMA
