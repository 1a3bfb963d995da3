"""Clinicians' monitoring plans: recorded as history, the latest overriding NEWS2 pacing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.devices import service as devices
from services.monitoring_ingest.domain.pacing import Pacing
from services.monitoring_ingest.pacing import repository
from services.monitoring_ingest.pacing.models import MonitoringPlan
from services.monitoring_ingest.pacing.schemas import MonitoringPlanIn, MonitoringPlanOut
from services.monitoring_ingest.settings import IngestSettings
from shared.auth import Principal

_EVER = datetime.max.replace(tzinfo=UTC)


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


async def current_pacing(
    session: AsyncSession, settings: IngestSettings, *, admission_id: uuid.UUID
) -> Pacing | None:
    """What paces the admission's readings now (its strictest open binding's), if bound."""
    bindings = await repository.paced_bindings(
        session, settings, silent_before=_EVER, admission_id=admission_id
    )
    return min((b.pacing for b in bindings), key=lambda p: p.allowed_minutes, default=None)


async def describe(
    session: AsyncSession,
    settings: IngestSettings,
    *,
    admission_id: uuid.UUID,
    plan: MonitoringPlan | None = None,
) -> MonitoringPlanOut:
    """The plan in force (`plan` if just set) and what it, or NEWS2, paces now."""
    plan = plan or await repository.latest(session, admission_id=admission_id)
    pacing = await current_pacing(session, settings, admission_id=admission_id)
    return MonitoringPlanOut(
        admission_id=admission_id,
        interval_minutes=plan.interval_minutes if plan else None,
        reason=plan.reason if plan else None,
        set_by=plan.set_by if plan else None,
        set_at=plan.set_at if plan else None,
        paced_by=pacing.paced_by if pacing else None,
        expected_interval_minutes=pacing.expected_minutes if pacing else None,
    )


async def plan_in_force(
    session: AsyncSession, settings: IngestSettings, principal: Principal, admission_id: uuid.UUID
) -> MonitoringPlanOut:
    """The admission's plan and pacing, for a clinician in its scope."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    return await describe(session, settings, admission_id=admission_id)


async def change_plan(
    session: AsyncSession,
    settings: IngestSettings,
    principal: Principal,
    admission_id: uuid.UUID,
    body: MonitoringPlanIn,
) -> MonitoringPlanOut:
    """Record a clinician's plan for an admission in their scope; the plan and pacing now."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    plan = await set_plan(session, admission_id=admission_id, body=body, set_by=principal.subject)
    return await describe(session, settings, admission_id=admission_id, plan=plan)
