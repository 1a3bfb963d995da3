"""Patients, admissions (with their bed) and the per-ward wait-list."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class Patient(Base):
    """A patient: identifiers stay in ward_api; only pseudonymous ids ever leave it."""

    __tablename__ = "patient"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    ethnic_category: Mapped[str] = mapped_column(String(10))
    lsoa11cd: Mapped[str] = mapped_column(ForeignKey("lsoa.lsoa11cd"))
    own_device: Mapped[bool] = mapped_column(Boolean)
    broadband: Mapped[bool] = mapped_column(Boolean)
    housing_concern: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Admission(Base):
    """A stay on a virtual ward in one bed; at most one open stay per patient and per bed."""

    __tablename__ = "admission"
    __table_args__ = (
        # The database, not Python, guarantees a bed holds one patient and a patient one bed.
        Index(
            "uq_admission_open_bed",
            "ward_id",
            "bed_number",
            unique=True,
            postgresql_where=text("discharged_at IS NULL"),
        ),
        Index(
            "uq_admission_open_patient",
            "patient_id",
            unique=True,
            postgresql_where=text("discharged_at IS NULL"),
        ),
        CheckConstraint(
            "discharged_at IS NULL OR discharged_at >= admitted_at", name="discharge_after_admit"
        ),
        CheckConstraint("bed_number >= 1", name="bed_number_positive"),
        CheckConstraint("recorded_at >= admitted_at", name="recorded_after_admit"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"), index=True)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ward.id"), index=True)
    bed_number: Mapped[int] = mapped_column(Integer)
    pathway: Mapped[str] = mapped_column(String(40))
    referral_source: Mapped[str] = mapped_column(String(30))
    urgency: Mapped[str] = mapped_column(String(10))
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    admitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When the admission was entered: later than admitted_at when it was recorded late.
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    discharged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(30))
    length_of_stay_days: Mapped[int | None] = mapped_column(Integer)
    device_vendor_id: Mapped[str | None] = mapped_column(String(100))
    device_id: Mapped[str | None] = mapped_column(String(100))
    expected_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    # none | pending | bound | failed | unbind_pending | unbound | unbind_failed (schemas.py)
    binding_status: Mapped[str] = mapped_column(String(20), default="none")
    binding_detail: Mapped[str | None] = mapped_column(String(300))
    readings_expected: Mapped[int] = mapped_column(Integer, default=0)
    readings_received: Mapped[int] = mapped_column(Integer, default=0)
    admitted_by: Mapped[str] = mapped_column(String(200))
    discharged_by: Mapped[str | None] = mapped_column(String(200))


class WaitlistEntry(Base):
    """A patient waiting for a bed on a ward; ordered by domain/waitlist.py's key."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        Index(
            "uq_waitlist_entry_waiting_patient",
            "ward_id",
            "patient_id",
            unique=True,
            postgresql_where=text("status = 'waiting'"),
        ),
        CheckConstraint("status IN ('waiting', 'admitted', 'cancelled')", name="status_known"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ward.id"), index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id"))
    pathway: Mapped[str] = mapped_column(String(40))
    referral_source: Mapped[str] = mapped_column(String(30))
    urgency: Mapped[str] = mapped_column(String(10))
    referred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    imd_decile: Mapped[int | None] = mapped_column(Integer)
    device_vendor_id: Mapped[str | None] = mapped_column(String(100))
    device_id: Mapped[str | None] = mapped_column(String(100))
    expected_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    admission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("admission.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
