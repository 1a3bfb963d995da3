"""SpO2 scale, threshold and NEWS2 bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.monitoring_ingest.domain.thresholds import Direction


class Spo2ScaleIn(BaseModel):
    scale: Literal[1, 2]
    reason: str = Field(min_length=3, max_length=1000)


class Spo2ScaleOut(BaseModel):
    admission_id: uuid.UUID
    scale: int
    reason: str | None
    set_by: str | None
    set_at: datetime | None


class ThresholdIn(BaseModel):
    measure: str = Field(description="heart_rate, spo2, systolic_bp, body_temperature, ...")
    direction: Direction
    limit: float = Field(description="In the measure's canonical UCUM unit.")
    inclusive: bool = False
    reason: str = Field(min_length=3, max_length=1000)


class ThresholdOut(BaseModel):
    id: uuid.UUID
    admission_id: uuid.UUID
    measure: str
    direction: str
    limit: float
    inclusive: bool
    reason: str
    set_by: str
    set_at: datetime
    retired_at: datetime | None
    retired_by: str | None


class News2Out(BaseModel):
    admission_id: uuid.UUID
    window_start: datetime
    window_end: datetime
    scale: int
    aggregate: int | None = Field(description="NEWS2 of a complete set; null if incomplete.")
    lower_bound: int = Field(
        description="Sum of the parameters observed: the aggregate, or at least it if incomplete."
    )
    risk: str | None = Field(
        description="Chart 3 risk; an incomplete set is banded by its lower bound once that "
        "reaches a trigger (>=7 high, >=5 medium, a single 3 low_medium), else null (unknown)."
    )
    complete: bool
    red_score: bool
    parameter_scores: dict[str, int]
    missing: list[str]
    scored_at: datetime


class LatestVitalsIn(BaseModel):
    admission_ids: list[uuid.UUID] = Field(max_length=1000)


class LatestVitalsItem(BaseModel):
    admission_id: uuid.UUID
    news2_score: int | None
    news2_at_least: int | None = Field(
        None, description="Lower bound of the latest set's NEWS2 (equals news2_score if complete)."
    )
    risk: str | None
    complete: bool | None
    last_reading_at: datetime | None
    open_alerts: int


class LatestVitalsOut(BaseModel):
    items: list[LatestVitalsItem]
