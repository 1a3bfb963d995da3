"""Virtual wards and their commissioned-capacity history (never overwritten)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class Ward(Base):
    """A virtual ward run by a provider within an ICB; `beds` mirrors the latest capacity change."""

    __tablename__ = "ward"
    __table_args__ = (
        CheckConstraint("beds >= 0 AND beds <= 5000", name="beds_range"),
        CheckConstraint("status IN ('planned', 'open', 'paused', 'closed')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    icb_code: Mapped[str] = mapped_column(ForeignKey("icb.code"), index=True)
    provider_ods_code: Mapped[str] = mapped_column(String(10))
    provider_name: Mapped[str] = mapped_column(String(200))
    pathways: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    operating_hours: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10))
    beds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class WardCapacityChange(Base):
    """One change of a ward's commissioned beds: who, when, why; appended, never updated."""

    __tablename__ = "ward_capacity_change"
    __table_args__ = (CheckConstraint("beds >= 0 AND beds <= 5000", name="beds_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ward.id"), index=True)
    beds: Mapped[int] = mapped_column(Integer)
    previous_beds: Mapped[int | None] = mapped_column(Integer)
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(500))
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
