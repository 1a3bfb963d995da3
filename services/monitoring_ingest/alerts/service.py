"""Reading the alert outbox for operators (the relay writes it; see relay.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.alerts.models import Alert
from services.monitoring_ingest.alerts.schemas import DeliveryState


async def list_alerts(
    session: AsyncSession,
    *,
    state: DeliveryState | None,
    ward_id: uuid.UUID | None = None,
    admission_id: uuid.UUID | None = None,
    limit: int,
) -> list[Alert]:
    """Alerts in a delivery state, newest first; pending ones oldest first (the stuck head)."""
    query = select(Alert)
    if state is not None:
        query = query.where(Alert.status == str(state))
    if ward_id is not None:
        query = query.where(Alert.ward_id == ward_id)
    if admission_id is not None:
        query = query.where(Alert.admission_id == admission_id)
    order = Alert.raised_at.asc() if state is DeliveryState.PENDING else Alert.raised_at.desc()
    return list((await session.scalars(query.order_by(order, Alert.id).limit(limit))).all())
