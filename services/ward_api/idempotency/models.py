"""Stored outcomes of POSTs made with an Idempotency-Key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.ward_api.db import Base


class IdempotencyRecord(Base):
    """Key + request hash + the response first given; unique per caller and endpoint."""

    __tablename__ = "idempotency_record"

    scope: Mapped[str] = mapped_column(String(300), primary_key=True)  # endpoint + subject
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
