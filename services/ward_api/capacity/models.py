"""Published sitrep months (capacity history), sitrep imports and capacity plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    Numeric,
    String,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class SitrepMonth(Base):
    """One ICB (or England) in one published month, exactly as NHS England published it.

    Numeric columns keep the published scale, so the precision of a month is recoverable.
    """

    __tablename__ = "sitrep_month"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("population > 0", name="population_positive"),
    )

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)  # E54… or E92000001
    ods_code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer)
    capacity_per_100k: Mapped[Decimal] = mapped_column(Numeric)
    population: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(30))
    basis_effective: Mapped[date] = mapped_column(Date)
    basis_label: Mapped[str] = mapped_column(String(200))
    patients: Mapped[int | None] = mapped_column(Integer)
    occupancy_pct: Mapped[Decimal | None] = mapped_column(Numeric)
    occupancy_note: Mapped[str | None] = mapped_column(String(60))
    published: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SitrepImport(Base):
    """A record of each sitrep load: who, when, how many rows."""

    __tablename__ = "sitrep_import"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    source: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(200))
    rows_accepted: Mapped[int] = mapped_column(Integer)
    periods: Mapped[list[str]] = mapped_column(JSONB)
    imported_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CapacityPlan(Base):
    """A persisted capacity plan: the request, the weights used and the result."""

    __tablename__ = "capacity_plan"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    request: Mapped[dict[str, Any]] = mapped_column(JSONB)
    weights_basis: Mapped[str | None] = mapped_column(String(100))
    weights_vintage: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
