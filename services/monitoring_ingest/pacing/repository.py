"""Monitoring plan queries."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.pacing.models import MonitoringPlan


async def latest(session: AsyncSession, *, admission_id: uuid.UUID) -> MonitoringPlan | None:
    return await session.scalar(
        select(MonitoringPlan)
        .where(MonitoringPlan.admission_id == admission_id)
        .order_by(MonitoringPlan.set_at.desc())
        .limit(1)
    )
