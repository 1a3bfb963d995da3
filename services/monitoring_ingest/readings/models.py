"""Stored readings (partitioned by month in the migration), identities and quarantine."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String, false, func
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base


class ReadingIdentity(Base):
    """Exactly-once guard: one row per reading identity ever stored (not partitioned)."""

    __tablename__ = "reading_identities"

    reading_key: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reading(Base):
    """One stored, attributed reading; append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "readings"
    __table_args__ = {"postgresql_partition_by": "RANGE (observed_at)"}  # noqa: RUF012

    reading_key: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    admission_id: Mapped[uuid.UUID]
    ward_id: Mapped[uuid.UUID]
    vendor_id: Mapped[uuid.UUID | None]
    device_id: Mapped[str] = mapped_column(String)
    code: Mapped[str] = mapped_column(String)
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String)
    code_value: Mapped[str | None] = mapped_column(String)
    provenance: Mapped[str] = mapped_column(String)
    vendor_reading_id: Mapped[str | None] = mapped_column(String)
    entered_by: Mapped[str | None] = mapped_column(String)
    supersedes: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A withdrawal (FHIR entered-in-error): supersedes the reading it withdraws, never scored.
    withdrawn: Mapped[bool] = mapped_column(server_default=false())


class QuarantinedReading(Base):
    """A reading that could not be attributed (unknown, unbound or discharged device)."""

    __tablename__ = "quarantined_readings"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reading_key: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    reason: Mapped[str] = mapped_column(String)
    vendor_id: Mapped[uuid.UUID]
    device_id: Mapped[str] = mapped_column(String)
    ward_hint: Mapped[uuid.UUID | None]
    code: Mapped[str] = mapped_column(String)
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String)
    code_value: Mapped[str | None] = mapped_column(String)
    provenance: Mapped[str] = mapped_column(String)
    vendor_reading_id: Mapped[str | None] = mapped_column(String)
    observed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_admission_id: Mapped[uuid.UUID | None]
    resolved_by: Mapped[str | None] = mapped_column(String)
