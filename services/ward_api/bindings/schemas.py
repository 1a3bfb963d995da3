"""Binding commands as served on an admission."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class CommandKind(StrEnum):
    BIND = "bind"  # PUT /v1/internal/bindings/{vendor}/{device} at admission
    UNBIND = "unbind"  # DELETE … at discharge


class CommandStatus(StrEnum):
    PENDING = "pending"  # not yet delivered: due, leased to a worker, or backing off
    DELIVERED = "delivered"
    FAILED = "failed"  # monitoring_ingest refused it for good (e.g. device bound elsewhere)
    SKIPPED = "skipped"  # an unbind whose bind was refused: nothing to end


class BindingCommandOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: CommandKind
    status: CommandStatus
    attempts: int = Field(description="Calls made so far (including one in flight)")
    next_attempt_at: datetime | None = Field(description="When a pending command is next tried")
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AdmissionStayOut(BaseModel):
    """Who owns an admission and when it ran: the facts a binding is checked against."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID
    icb_codes: list[str] = Field(description="The ward's ICB, ONS and ODS codes")
    admitted_at: datetime
    recorded_at: datetime
    discharged_at: datetime | None
