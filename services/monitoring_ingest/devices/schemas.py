"""Binding bodies, as docs/contracts.md defines them."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field


class BindingIn(BaseModel):
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    expected_interval_minutes: int = Field(gt=0, le=7 * 24 * 60)
    bound_at: AwareDatetime


class BindingOut(BaseModel):
    id: uuid.UUID
    vendor_id: uuid.UUID
    device_id: str
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    expected_interval_minutes: int
    bound_at: datetime
    unbound_at: datetime | None


class Unbound(BaseModel):
    """The admission's monitoring completeness at discharge."""

    admission_id: uuid.UUID
    readings_expected: int
    readings_received: int
    unbound_at: datetime
