"""Devices registered to vendors, and their bindings to admissions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, ForeignKeyConstraint, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base


class Device(Base):
    __tablename__ = "devices"

    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String, primary_key=True)
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Binding(Base):
    """A device worn by one admission from `bound_at` until `unbound_at` (open if None)."""

    __tablename__ = "bindings"
    __table_args__ = (
        ForeignKeyConstraint(
            ["vendor_id", "device_id"], ["devices.vendor_id", "devices.device_id"]
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    vendor_id: Mapped[uuid.UUID]
    device_id: Mapped[str] = mapped_column(String)
    admission_id: Mapped[uuid.UUID] = mapped_column(index=True)
    ward_id: Mapped[uuid.UUID]
    # The ward's ICB under each of its codes (ONS, ODS), from ward_api: for ICB-wide scopes.
    icb_codes: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default="{}")
    expected_interval_minutes: Mapped[int]
    bound_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
