"""What the ingest steps hand each other: stored readings and the alerts they may raise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.monitoring_ingest.domain.canonical import CanonicalReading

__all__ = ["AlertCandidate", "Attribution", "StoredReading"]


@dataclass(frozen=True, slots=True)
class Attribution:
    """The admission (and its ward) a reading belongs to."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class StoredReading:
    """A reading stored for the first time, under its identity, and what it corrects.

    A withdrawal carries the withdrawn reading's content, supersedes it, and is never scored.
    """

    reading: CanonicalReading
    attribution: Attribution
    key: bytes
    supersedes: bytes | None = None
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """An alert scoring found warranted; alerts.raising decides whether it is raised."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID
    kind: str  # news2_high | news2_medium | news2_red_single | news2_rising | threshold_breach
    detail: str
    news2_score: int | None = None
    risk: str | None = None
    threshold_id: uuid.UUID | None = None
    dedup_key: str | None = None  # raised at most once ever (alerts.raising)
    reading_keys: tuple[bytes, ...] = ()  # the readings it rests on
