"""Audit log as served to admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str | None
    patient_id: uuid.UUID | None
    ward_id: uuid.UUID | None
    request_id: str | None
    detail: dict[str, Any]
