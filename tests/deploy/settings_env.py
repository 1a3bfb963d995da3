"""What each service's settings class reads from the environment, for the deployment tests.

Names come from the classes themselves (env_prefix + field name, or the validation_alias
choices), so a deployment file that sets a misspelt or foreign variable fails a test.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import get_args

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from shared.settings import ServiceSettings
from vward.platform import ServiceSpec

# Where a containerised service listens: every interface of its own network namespace.
CONTAINER_HOST = "0.0.0.0"  # noqa: S104

# Settings fields that locate a peer service, and which service that is.
PEER_URL_FIELDS = {
    "monitoring_url": "monitoring_ingest",
    "equity_audit_url": "equity_audit",
    "ward_api_url": "ward_api",
}


def settings_class(spec: ServiceSpec) -> type[ServiceSettings]:
    """The ServiceSettings subclass in services/<name>/settings.py."""
    module = importlib.import_module(f"services.{spec.name}.settings")
    (cls,) = (
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
    )
    return cls


def field_env_names(cls: type[ServiceSettings], name: str, field: FieldInfo) -> list[str]:
    """The variables one field reads, the documented one first."""
    assert not cls.model_config.get("case_sensitive", False)
    alias = field.validation_alias
    if alias is None:
        names = [f"{cls.model_config.get('env_prefix', '')}{name}"]
    elif isinstance(alias, AliasChoices):
        names = [choice for choice in alias.choices if isinstance(choice, str)]
    else:
        names = [alias] if isinstance(alias, str) else []
    return [name.upper() for name in names]


def env_names(cls: type[ServiceSettings]) -> frozenset[str]:
    """Every environment variable the settings class reads."""
    return frozenset(
        env for name, field in cls.model_fields.items() for env in field_env_names(cls, name, field)
    )


def secret_env_names(cls: type[ServiceSettings]) -> frozenset[str]:
    """The variables of its SecretStr fields, plus DATABASE_URL (it carries a password)."""
    secrets = {
        field_env_names(cls, name, field)[0]
        for name, field in cls.model_fields.items()
        if SecretStr in (field.annotation, *get_args(field.annotation))
    }
    return frozenset({*secrets, "DATABASE_URL"})


def peer_url_fields(cls: type[ServiceSettings]) -> dict[str, str]:
    """The class's peer URL fields, mapped to the peer service each one names."""
    fields = {
        name: PEER_URL_FIELDS.get(name, "")
        for name in cls.model_fields
        if name.endswith("_url") and name != "database_url"
    }
    unknown = [name for name, peer in fields.items() if not peer]
    assert not unknown, f"add {unknown} to PEER_URL_FIELDS with the peer it names"
    return fields


@contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def load_settings(cls: type[ServiceSettings], env: Mapping[str, str]) -> ServiceSettings:
    """Build the settings exactly as a container given only `env` would."""
    with _environment(env):
        return cls()
