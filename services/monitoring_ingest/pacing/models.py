"""Clinicians' monitoring plans: the interval they set for an admission, who, why and when."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base

PLAN_MIN_MINUTES = 5
PLAN_MAX_MINUTES = 24 * 60


class MonitoringPlan(Base):
    """One decision; the latest for an admission applies (null interval: follow NEWS2)."""

    __tablename__ = "monitoring_plans"
    __table_args__ = (
        CheckConstraint(
            f"interval_minutes BETWEEN {PLAN_MIN_MINUTES} AND {PLAN_MAX_MINUTES}", name="interval"
        ),
        Index("ix_monitoring_plans_admission", "admission_id", "set_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    admission_id: Mapped[uuid.UUID]
    interval_minutes: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String)
    set_by: Mapped[str] = mapped_column(String)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
