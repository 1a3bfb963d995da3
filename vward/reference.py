"""Load the public reference data each service needs into its own schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# Each service registers `(name, loader)`; a loader takes (database_url, data_dir) and
# returns a one-line summary. Loaders must be idempotent: `vward up` runs them every start.
Loader = Callable[[str, Path], str]
LOADERS: list[tuple[str, Loader]] = []


def load_all(database_url: str, data_dir: Path) -> list[str]:
    """Run every registered loader in order; returns their summaries."""
    return [f"{name}: {loader(database_url, data_dir)}" for name, loader in LOADERS]
