"""Load the public reference data each service needs into its own schema."""

from __future__ import annotations

import importlib
from pathlib import Path

from shared.reference.synthetic import is_synthetic_dir
from shared.settings import SYNTHETIC_DIR

# Each module exposes `load(database_url: str, data_dir: Path) -> str` (a one-line summary).
# Loaders must be idempotent: `vward up` runs them at every start.
LOADER_MODULES = (
    "services.ward_api.reference_data",
    "services.equity_audit.reference_data",
)


def resolve_data_dir(data_dir: Path) -> tuple[Path, bool]:
    """The real data directory, or a generated synthetic one when the real files are absent.

    Every service then reads the same areas, so the quick start works on any machine; the
    synthetic set is labelled SYNTHETIC in every output.
    """
    from services.equity_audit.domain.synthetic import ensure_reference_data

    source = ensure_reference_data(Path(data_dir), SYNTHETIC_DIR)
    return source, is_synthetic_dir(source)


def load_all(database_url: str, data_dir: Path) -> list[str]:
    """Run every service's loader on the same data; returns their summaries."""
    source, synthetic = resolve_data_dir(data_dir)
    label = f"SYNTHETIC data in {source}: " if synthetic else ""
    summaries = []
    for name in LOADER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        summary = module.load(database_url, source)
        if "SYNTHETIC" not in summary:
            summary = label + summary
        summaries.append(f"{name.split('.')[1]}: {summary}")
    return summaries
