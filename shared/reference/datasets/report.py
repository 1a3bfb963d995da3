"""Import reports: what a loader accepted, rejected (row and reason) and skipped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from .descriptors import DatasetDescriptor

__all__ = ["ImportReport", "LoadedDataset", "Rejection"]

K = TypeVar("K")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that was not loaded; ``row_number`` is the file line (the header is line 1)."""

    row_number: int
    reason: str
    area_code: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """The outcome of loading one file, for an analyst to read before trusting the data."""

    dataset: str
    file_name: str
    layout: str | None
    accepted: int
    rejected: tuple[Rejection, ...] = ()
    skipped: int = 0  # rows outside scope, e.g. Welsh LSOAs in an England and Wales file
    missing_areas: tuple[str, ...] = ()  # expected areas with no accepted row
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every row loaded and every expected area is present."""
        return self.layout is not None and not self.rejected and not self.missing_areas

    def with_missing(self, missing: tuple[str, ...]) -> ImportReport:
        """A copy listing expected areas that had no accepted row."""
        return replace(self, missing_areas=missing)

    def summary(self) -> str:
        """One line for logs and the import screen."""
        text = (
            f"{self.file_name}: {self.accepted} accepted, {len(self.rejected)} rejected,"
            f" {self.skipped} skipped, {len(self.missing_areas)} missing"
        )
        return text if self.layout is not None else f"{text} (layout not recognised)"


@dataclass(frozen=True, slots=True)
class LoadedDataset(Generic[K, T]):
    """Parsed rows keyed by area (or area pair), with provenance and the import report."""

    descriptor: DatasetDescriptor
    rows: Mapping[K, T] = field(repr=False)
    report: ImportReport
