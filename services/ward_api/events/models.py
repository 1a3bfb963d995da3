"""Ward events: one row per committed change a clinician's live stream shows (issue #12 §1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class WardEvent(Base):
    """One event, written in the transaction of its change; `id` orders events by commit.

    `icb_codes` are the ward's ICB under each of its codes (ONS, ODS), copied at write time so
    a scope query needs no join. `payload` carries ids and clinical fields, never an NHS
    number or a name.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_ward_id_id", "ward_id", "id"),
        Index("ix_events_icb_codes", "icb_codes", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    ward_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    icb_codes: Mapped[list[str]] = mapped_column(ARRAY(String(12)))
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
