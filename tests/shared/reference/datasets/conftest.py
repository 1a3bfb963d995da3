"""Fixtures for reference-data tests: small inline CSV files and the real data directory."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

WriteCsv = Callable[[str, Sequence[str], Sequence[Sequence[object]]], Path]


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    """Write a CSV with the given header and rows into a temporary directory."""

    def write(name: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The configured real data directory; tests using it fail when it is absent."""
    from tests.support.data import data_dir, require_data

    return require_data("imd2019_lsoa11_england.csv", directory=data_dir())
