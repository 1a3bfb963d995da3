"""Alerts as delivered by monitoring_ingest (docs/contracts.md) and as served to clinicians."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AlertKind(StrEnum):
    NEWS2_MEDIUM = "news2_medium"
    NEWS2_HIGH = "news2_high"
    NEWS2_RED_SINGLE = "news2_red_single"
    NEWS2_RISING = "news2_rising"
    THRESHOLD_BREACH = "threshold_breach"
    MISSED_READINGS = "missed_readings"


class Risk(StrEnum):
    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"


class AlertIn(BaseModel):
    alert_id: uuid.UUID
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    kind: AlertKind
    news2_score: int | None = Field(None, ge=0, le=20)
    risk: Risk | None = None
    detail: str = Field(max_length=1000)
    raised_at: datetime

    @field_validator("raised_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise ValueError("raised_at needs a time zone")
        return value


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    kind: str
    news2_score: int | None
    risk: str | None
    detail: str
    raised_at: datetime
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    response_seconds: float | None = Field(None, description="acknowledged_at − received_at")
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None


class ResolveIn(BaseModel):
    resolution: str = Field(min_length=1, max_length=1000)
