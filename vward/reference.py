"""Load the public reference data each service needs into its own schema."""

from __future__ import annotations

import importlib
from pathlib import Path

# Each module exposes `load(database_url: str, data_dir: Path) -> str` (a one-line summary).
# Loaders must be idempotent: `vward up` runs them at every start.
LOADER_MODULES = (
    "services.ward_api.reference_data",
    "services.equity_audit.reference_data",
)


def load_all(database_url: str, data_dir: Path) -> list[str]:
    """Run every service's loader that exists; returns their summaries."""
    summaries = []
    for name in LOADER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        summaries.append(f"{name.split('.')[1]}: {module.load(database_url, data_dir)}")
    return summaries
