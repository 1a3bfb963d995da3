"""Typed settings shared by every service: each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DATA_DIR_ENV = "VWARD_DATA_DIR"
# Where a service writes the SYNTHETIC reference data when the real files are absent.
SYNTHETIC_DIR = REPO_ROOT / ".vward" / "synthetic-reference"

# Secrets that ship in the repo for local use; refused outside development and test.
DEV_JWT_SECRET = "dev-only-secret-change-me-before-any-real-use"  # noqa: S105 (refused in production)
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", DEV_JWT_SECRET})


class DataSettings(BaseSettings):
    """Where the public reference data lives: the one place the directory is worked out.

    Domain code never reads it from the environment; services, the CLI, tests and benches
    read it here and pass it in as an argument.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    data_dir: Path = Field(
        DEFAULT_DATA_DIR,
        validation_alias=AliasChoices(DATA_DIR_ENV, "data_dir"),
        description="Directory holding the public reference data (see its SOURCES.md).",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _blank_is_the_default(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or DEFAULT_DATA_DIR
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()


class ServiceSettings(DataSettings):
    """Settings every service has; subclasses set `env_prefix` (WARD_, INGEST_, EQUITY_)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Environment = Field(
        "development",
        validation_alias=AliasChoices("VWARD_ENVIRONMENT", "environment"),
        description="development, test or production (production refuses placeholders).",
    )
    database_url: str | None = Field(
        None,
        description="PostgreSQL URL; a service-specific variable wins over DATABASE_URL.",
    )
    jwt_secret: SecretStr = Field(
        SecretStr(DEV_JWT_SECRET),
        validation_alias=AliasChoices("VWARD_JWT_SECRET", "jwt_secret"),
        description="HS256 key that signs and verifies bearer tokens across the platform.",
    )
    jwt_issuer: str = Field(
        "vward", validation_alias=AliasChoices("VWARD_JWT_ISSUER"), description="Token issuer."
    )
    jwt_audience: str = Field(
        "vward", validation_alias=AliasChoices("VWARD_JWT_AUDIENCE"), description="Token audience."
    )
    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, description="Port to listen on.")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Larger request bodies get 413.")
    log_level: str = Field("INFO", description="JSON logs on stderr; never bodies.")
    db_pool_size: int = Field(10, ge=1, description="Database connections per process.")
    http_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of calls to peers.")
    rate_limit_per_second: float = Field(200.0, gt=0, description="Per caller, per replica.")
    rate_limit_burst: int = Field(1000, ge=1)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        """Outside development and test, a placeholder signing key is a start-up error."""
        secret = self.jwt_secret.get_secret_value()
        if self.environment == "production" and (
            secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32
        ):
            raise ValueError(
                "VWARD_JWT_SECRET must be set to a random value of at least 32 characters "
                "in production"
            )
        return self

    @property
    def schema_name(self) -> str:
        """The PostgreSQL schema this service owns."""
        raise NotImplementedError


def database_url_field(prefix: str) -> object:
    """A database_url field read from `<PREFIX>DATABASE_URL`, falling back to DATABASE_URL."""
    return Field(
        None,
        validation_alias=AliasChoices(f"{prefix}DATABASE_URL", "DATABASE_URL", "database_url"),
        description="PostgreSQL URL; unset means the embedded server (refused in production).",
    )
