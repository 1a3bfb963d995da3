"""The alert outbox: rows written with the reading, delivered to ward_api by the relay."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.monitoring_ingest.db import Base


class Alert(Base):
    """One escalation for ward_api; a relay holds it while `locked_until` is in the future."""

    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    admission_id: Mapped[uuid.UUID]
    ward_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String)
    news2_score: Mapped[int | None] = mapped_column(SmallInteger)
    risk: Mapped[str | None] = mapped_column(String)
    detail: Mapped[str] = mapped_column(String)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    threshold_id: Mapped[uuid.UUID | None]
    dedup_key: Mapped[str | None] = mapped_column(String, unique=True)
    status: Mapped[str] = mapped_column(String, default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_token: Mapped[uuid.UUID | None]
    # Set when every reading the alert rested on was withdrawn (FHIR entered-in-error).
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
