"""Inclusion reference figures per LSOA, unit costs per ICB (history) and voluntary partners."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class LsoaInclusion(Base):
    """An LSOA's DERI v1.6 score and quintile (1 = most at risk) and IoD2019 poor housing."""

    __tablename__ = "lsoa_inclusion"
    __table_args__ = (CheckConstraint("deri_quintile BETWEEN 1 AND 5", name="deri_quintile"),)

    lsoa11cd: Mapped[str] = mapped_column(ForeignKey("lsoa.lsoa11cd"), primary_key=True)
    deri_score: Mapped[float] = mapped_column(Float)
    deri_quintile: Mapped[int] = mapped_column(Integer)
    housing_poor_prop: Mapped[float] = mapped_column(Float)


class InclusionUnitCost(Base):
    """One setting of a unit cost for an ICB: who, when, why; appended, never updated."""

    __tablename__ = "inclusion_unit_cost"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_non_negative"),
        Index("ix_inclusion_unit_cost_icb_item", "icb_code", "item", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    icb_code: Mapped[str] = mapped_column(ForeignKey("icb.code"))
    item: Mapped[str] = mapped_column(String(40))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WardPartner(Base):
    """A voluntary or community organisation a ward works with; no personal data."""

    __tablename__ = "ward_partner"
    __table_args__ = (CheckConstraint("hours_per_week >= 0", name="hours_non_negative"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ward.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    service: Mapped[str] = mapped_column(String(200))
    hours_per_week: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    contact_role: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
