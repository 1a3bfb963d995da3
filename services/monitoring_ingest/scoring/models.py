"""NEWS2 results, SpO2 scale settings and per-patient thresholds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, DateTime, LargeBinary, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base


class News2ResultRow(Base):
    """The score of the observation set opened at `window_start` and ending at `window_end`."""

    __tablename__ = "news2_results"
    __table_args__ = (UniqueConstraint("admission_id", "window_end"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    admission_id: Mapped[uuid.UUID]
    ward_id: Mapped[uuid.UUID]
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scale: Mapped[int] = mapped_column(SmallInteger)
    aggregate: Mapped[int | None] = mapped_column(SmallInteger)
    lower_bound: Mapped[int] = mapped_column(SmallInteger)
    risk: Mapped[str | None] = mapped_column(String)
    complete: Mapped[bool]
    red_score: Mapped[bool]
    parameter_scores: Mapped[dict[str, Any]] = mapped_column(JSONB)
    missing: Mapped[list[str]] = mapped_column(ARRAY(String))
    reading_keys: Mapped[list[bytes]] = mapped_column(ARRAY(LargeBinary))
    scored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Spo2ScaleSetting(Base):
    """A clinician's choice of SpO2 scale for an admission; the latest row applies."""

    __tablename__ = "spo2_scale_settings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    admission_id: Mapped[uuid.UUID]
    scale: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String)
    set_by: Mapped[str] = mapped_column(String)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Threshold(Base):
    """A per-patient alert threshold: who set it, why, and when it was retired."""

    __tablename__ = "thresholds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    admission_id: Mapped[uuid.UUID]
    measure: Mapped[str] = mapped_column(String)
    direction: Mapped[str] = mapped_column(String)
    limit: Mapped[float]
    inclusive: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String)
    set_by: Mapped[str] = mapped_column(String)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(String)
