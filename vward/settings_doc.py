"""The configuration table in the README, generated from the settings classes."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from services.equity_audit.settings import EquitySettings
from services.monitoring_ingest.settings import IngestSettings
from services.ward_api.settings import WardSettings
from shared.settings import REPO_ROOT

SETTINGS: tuple[type[BaseSettings], ...] = (WardSettings, IngestSettings, EquitySettings)


def env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The environment variables one field is read from, preferred first."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [a for a in alias.choices if isinstance(a, str) and a.isupper()]
    return [f"{cls.model_config.get('env_prefix', '')}{name}".upper()]


def all_env_names() -> set[str]:
    return {
        env
        for cls in SETTINGS
        for name, field in cls.model_fields.items()
        for env in env_names(cls, name, field)
    }


def markdown_table() -> str:
    """One row per variable; shared variables once."""
    rows: dict[str, tuple[str, str]] = {}
    for cls in SETTINGS:
        for name, field in cls.model_fields.items():
            env = " / ".join(f"`{e}`" for e in env_names(cls, name, field))
            default = field.default
            shown = "(secret)" if "secret" in name or "pepper" in name else repr(default)
            if default is None:
                shown = "unset"
            elif isinstance(default, Path):
                shown = os.path.relpath(default, REPO_ROOT)  # as seen from the repo
            rows.setdefault(env, (shown, field.description or ""))
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| {env} | {d} | {m} |" for env, (d, m) in rows.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
