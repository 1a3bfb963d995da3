"""Vendor format adapters, registered by format name.

Every adapter is a `parse(payload, *, normaliser=None, max_items=None) -> list[ItemOutcome]`
that judges items one by one and raises MalformedPayload only when the payload as a whole is
unreadable, or TooManyItems when it holds more than `max_items` items (native readings,
Bundle entries, Open mHealth data points, CSV data rows), counted before any is judged.
Adding a format means adding one module here and one line to ADAPTERS.
"""

from __future__ import annotations

from typing import Protocol

from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import ItemOutcome

from . import csv_upload, fhir, native, openmhealth

__all__ = ["ADAPTERS", "Adapter", "UnknownFormat", "get_adapter"]


class Adapter(Protocol):
    """Parses one vendor payload into per-item outcomes."""

    def __call__(
        self, payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
    ) -> list[ItemOutcome]: ...


ADAPTERS: dict[str, Adapter] = {
    "fhir": fhir.parse,
    "openmhealth": openmhealth.parse,
    "native": native.parse,
    "csv": csv_upload.parse,
}


class UnknownFormat(LookupError):
    """No adapter is registered under the requested format name."""


def get_adapter(format_name: str) -> Adapter:
    """The adapter registered for `format_name`."""
    try:
        return ADAPTERS[format_name]
    except KeyError:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownFormat(f"unknown format {format_name!r}; known: {known}") from None
