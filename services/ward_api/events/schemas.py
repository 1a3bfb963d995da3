"""Ward events as a live stream shows them: a type, the ward, and a payload without identifiers."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    ALERT_RAISED = "alert.raised"
    ALERT_ESCALATED = "alert.escalated"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_RESOLVED = "alert.resolved"
    ADMISSION_ADMITTED = "admission.admitted"
    ADMISSION_DISCHARGED = "admission.discharged"
    NEWS2_CHANGED = "news2.changed"
    READINGS_MISSED = "readings.missed"


class EventOut(BaseModel):
    """The `data:` of one SSE event; its `id:` is `id` and its `event:` is `type`."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Monotonic; send the last one back as `Last-Event-ID`.")
    type: EventType
    ward_id: uuid.UUID
    created_at: datetime
    payload: dict[str, Any] = Field(description="Ids and clinical fields; never an NHS number.")
