"""Virtual wards and their commissioned-capacity history (never overwritten)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
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
        CheckConstraint(
            "(catchment_population IS NULL) = (catchment_basis IS NULL) AND "
            "(catchment_population IS NULL) = (catchment_effective IS NULL)",
            name="catchment_complete",
        ),
        CheckConstraint(
            "catchment_population IS NULL OR catchment_population > 0",
            name="catchment_population_positive",
        ),
        CheckConstraint(
            "catchment_basis IS NULL OR catchment_basis IN "
            "('gp_registered_16_plus', 'gp_registered_all_ages', 'ons_mid_year')",
            name="catchment_basis_known",
        ),
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
    # A catchment given as a population on a named basis (else by sub-ICB locations, below).
    catchment_population: Mapped[int | None] = mapped_column(Integer)
    catchment_basis: Mapped[str | None] = mapped_column(String(30))
    catchment_effective: Mapped[date | None] = mapped_column(Date)
    catchment_source: Mapped[str | None] = mapped_column(String(200))
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


class WardCatchmentArea(Base):
    """A sub-ICB location the ward serves; its population is summed into the ward's catchment."""

    __tablename__ = "ward_catchment_area"

    ward_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ward.id", ondelete="CASCADE"), primary_key=True
    )
    sub_icb_code: Mapped[str] = mapped_column(ForeignKey("sub_icb.code"), primary_key=True)
