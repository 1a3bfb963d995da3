"""Uptake snapshots: what was pulled from ward_api, when, and the aggregate rows themselves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Text
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from services.equity_audit.db import Base


class Snapshot(Base):
    """One pull of admission aggregates: the admission-date window and ward_api's timestamp."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=sql("now()"), index=True
    )
    generated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer)


class UptakeRow(Base):
    """One aggregate row from ward_api (no identifiers), as of the snapshot that last wrote it."""

    __tablename__ = "uptake"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(BigInteger)
    month: Mapped[str] = mapped_column(Text, index=True)
    icb_code: Mapped[str | None] = mapped_column(Text)
    lsoa11cd: Mapped[str | None] = mapped_column(Text)
    age_band: Mapped[str] = mapped_column(Text)
    sex: Mapped[str] = mapped_column(Text)
    ethnic_category: Mapped[str] = mapped_column(Text)
    pathway: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    own_device: Mapped[bool | None] = mapped_column(Boolean)
    broadband: Mapped[bool | None] = mapped_column(Boolean)
    housing_concern: Mapped[bool | None] = mapped_column(Boolean)
    admissions: Mapped[int] = mapped_column(Integer)
    los_days_sum: Mapped[int] = mapped_column(BigInteger)
    stays_over_14_days: Mapped[int] = mapped_column(Integer)
    escalations: Mapped[int] = mapped_column(Integer)
    readings_expected: Mapped[int] = mapped_column(BigInteger)
    readings_received: Mapped[int] = mapped_column(BigInteger)


class UptakeTotal(Base):
    """Uptake summed over every month per LSOA and ward ICB, rebuilt by each refresh.

    The audit's grain for area cuts over the whole period (~33k rows, not one per month, age
    band, sex and outcome). An unknown LSOA or ICB is stored as '' so both can be the key.
    `snapshot_id` is the snapshot the totals were built for; a reader asking for another one
    finds no rows and sums `uptake` itself.
    """

    __tablename__ = "uptake_totals"

    lsoa11cd: Mapped[str] = mapped_column(Text, primary_key=True)
    icb_code: Mapped[str] = mapped_column(Text, primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(BigInteger)
    admissions: Mapped[int] = mapped_column(BigInteger)
    discharged: Mapped[int] = mapped_column(BigInteger)
    escalated: Mapped[int] = mapped_column(BigInteger)
    los_days_sum: Mapped[int] = mapped_column(BigInteger)
    stays_over_14_days: Mapped[int] = mapped_column(BigInteger)
    readings_expected: Mapped[int] = mapped_column(BigInteger)
    readings_received: Mapped[int] = mapped_column(BigInteger)
    own_device_yes: Mapped[int] = mapped_column(BigInteger)
    own_device_no: Mapped[int] = mapped_column(BigInteger)
    broadband_yes: Mapped[int] = mapped_column(BigInteger)
    broadband_no: Mapped[int] = mapped_column(BigInteger)
