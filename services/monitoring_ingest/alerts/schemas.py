"""The alert outbox as operators see it: each alert with its delivery state."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"


class AlertDeliveryOut(BaseModel):
    """One alert and where its delivery to ward_api stands (no patient identifiers)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    kind: str
    news2_score: int | None
    risk: str | None
    detail: str
    raised_at: datetime
    status: DeliveryState
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    withdrawn_at: datetime | None = None  # every reading it rested on was withdrawn
