"""The binding outbox: bind/unbind commands for monitoring_ingest, written with the admission."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class BindingCommand(Base):
    """One PUT (bind) or DELETE (unbind) to deliver; at most one of each per admission.

    `status` is pending until delivered, failed (the peer refused for good) or skipped (an
    unbind whose bind never happened). A worker claims a pending row by setting
    `locked_until` and a fresh `lease_token`, calls the peer with no lock held, and records
    the outcome only if its token is still the row's (see bindings/worker.py).
    """

    __tablename__ = "binding_command"
    __table_args__ = (
        UniqueConstraint("admission_id", "kind"),
        CheckConstraint("kind IN ('bind', 'unbind')", name="kind_known"),
        CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'skipped')", name="status_known"
        ),
        Index(
            "ix_binding_command_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_binding_command_pending_device",
            "vendor_id",
            "device_id",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    admission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("admission.id"))
    kind: Mapped[str] = mapped_column(String(10))
    vendor_id: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_token: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    last_error: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
