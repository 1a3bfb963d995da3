"""Monitoring plan bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from services.monitoring_ingest.pacing.models import PLAN_MAX_MINUTES, PLAN_MIN_MINUTES


class MonitoringPlanIn(BaseModel):
    interval_minutes: int | None = Field(
        ge=PLAN_MIN_MINUTES,
        le=PLAN_MAX_MINUTES,
        description="Expected minutes between readings; null to return to NEWS2 pacing.",
    )
    reason: str = Field(min_length=3, max_length=1000)


class MonitoringPlanOut(BaseModel):
    admission_id: uuid.UUID
    interval_minutes: int | None = Field(
        description="The plan in force; null when observations are paced by NEWS2 (Chart 4)."
    )
    reason: str | None
    set_by: str | None
    set_at: datetime | None
    paced_by: str | None = Field(
        None,
        description="What sets the missed-readings clock now: the plan, the latest NEWS2 "
        "band (RCP Chart 4) or the device's interval; null without an open binding.",
    )
    expected_interval_minutes: float | None = Field(
        None, description="The interval that sets; null without an open binding."
    )
