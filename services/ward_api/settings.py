"""ward_api settings, read from WARD_* variables (DATABASE_URL as fallback)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
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

    # The binding outbox worker (bindings/worker.py).
    binding_outbox_enabled: bool | None = Field(
        None, description="Run the binding worker; default: on except in test."
    )
    binding_poll_seconds: float = Field(1.0, gt=0, description="Idle wait between rounds.")
    binding_batch_size: int = Field(20, ge=1, description="Commands claimed per round.")
    binding_concurrency: int = Field(10, ge=1, description="Calls in flight per replica.")
    binding_backoff_base_seconds: float = Field(1.0, gt=0)
    binding_backoff_max_seconds: float = Field(300.0, gt=0)
    binding_breaker_threshold: int = Field(
        5, ge=1, description="Consecutive failed calls that open the binding worker's breaker."
    )
    binding_breaker_cooldown_seconds: float = Field(
        5.0, gt=0, description="How long the open breaker waits before one probe call."
    )
    binding_lease_seconds: float = Field(
        60.0, gt=0, description="How long a claimed command is kept from other replicas."
    )

    # Live events over SSE (events/).
    events_heartbeat_seconds: float = Field(
        15.0, gt=0, description="Heartbeat comment on an idle event stream every N seconds."
    )
    events_streams_per_caller: int = Field(
        5, ge=1, description="Open event streams per caller per replica; beyond it 429."
    )
    events_batch_size: int = Field(
        200, ge=1, description="Events an event stream reads from the table at a time."
    )
    events_listen: bool = Field(
        True, description="LISTEN for events committed by any replica (else heartbeats only)."
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_call(self) -> Self:
        """A call is cut off at half the lease, which must leave room for the HTTP timeout."""
        if self.binding_lease_seconds < 2 * self.http_timeout_seconds:
            raise ValueError("binding_lease_seconds must be at least twice http_timeout_seconds")
        return self

    @property
    def runs_binding_worker(self) -> bool:
        """Tests start their own worker against a stub peer, so it is off there by default."""
        if self.binding_outbox_enabled is not None:
            return self.binding_outbox_enabled
        return self.environment != "test"

    @property
    def schema_name(self) -> str:
        return SCHEMA
