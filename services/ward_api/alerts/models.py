"""Escalation alerts delivered by monitoring_ingest, with response times."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class Alert(Base):
    """One alert; idempotent by alert_id, with the hash of the first body delivered."""

    __tablename__ = "alert"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    admission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admission.id"), index=True)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ward.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    news2_score: Mapped[int | None] = mapped_column(Integer)
    risk: Mapped[str | None] = mapped_column(String(12))
    detail: Mapped[str] = mapped_column(String(1000))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    body_hash: Mapped[str] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(1000))
