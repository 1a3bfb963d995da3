"""Response bodies of the uptake snapshot endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema

# A timestamp written as `datetime.isoformat()` writes it (`+00:00`), as the audit's own
# copy of the snapshot is, so both answers show the same string.
Timestamp = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class SnapshotOut(BaseModel):
    """The snapshot an answer is built from, how old it is, and whether a refresh failed."""

    id: int
    taken_at: Timestamp
    age_seconds: int = Field(ge=0)
    stale: bool = Field(description="ward_api could not be reached: this is the last one.")
    generated_at: Timestamp | None = Field(description="When ward_api built the aggregates.")
    period_from: date
    period_to: date = Field(description="Exclusive: the day after the last day pulled.")
    error: str | None = Field(
        None, exclude_if=lambda v: v is None, description="Why the refresh failed."
    )


class SnapshotAnswer(BaseModel):
    snapshot: SnapshotOut
