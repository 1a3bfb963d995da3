"""Clinicians' monitoring plans: recorded as history, the latest overriding NEWS2 pacing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.pacing import repository
from services.monitoring_ingest.pacing.models import MonitoringPlan
from services.monitoring_ingest.pacing.schemas import MonitoringPlanIn


async def set_plan(
    session: AsyncSession, *, admission_id: uuid.UUID, body: MonitoringPlanIn, set_by: str
) -> MonitoringPlan:
    """Record a plan (or its end, as a null interval); the missed-readings check reads it."""
    plan = MonitoringPlan(
        id=uuid.uuid4(),
        admission_id=admission_id,
        interval_minutes=body.interval_minutes,
        reason=body.reason,
        set_by=set_by,
        set_at=datetime.now(UTC),
    )
    session.add(plan)
    await session.flush()
    return plan


async def current_plan(session: AsyncSession, *, admission_id: uuid.UUID) -> MonitoringPlan | None:
    return await repository.latest(session, admission_id=admission_id)
