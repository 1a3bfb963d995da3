"""Vendors and their API keys (stored only as keyed hashes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class VendorKey(Base):
    """One API key; two may be active while a vendor rolls over to a new one."""

    __tablename__ = "vendor_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id"), index=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    key_prefix: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SeenSignature(Base):
    """A request signature seen within the freshness window (replay protection)."""

    __tablename__ = "seen_signatures"

    signature: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    vendor_id: Mapped[uuid.UUID]
    seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
