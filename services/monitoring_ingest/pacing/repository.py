"""Monitoring plan queries, and what paces each open binding (the one query for both uses)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.monitoring_ingest.domain.pacing import Pacing, pace
from services.monitoring_ingest.pacing.models import MonitoringPlan
from services.monitoring_ingest.settings import IngestSettings

# Each open binding silent since before :silent_before (of one admission, or all), with
# what paces it: the admission's latest NEWS2 set and latest monitoring plan.
_PACED = text(
    """
    SELECT b.admission_id, b.ward_id, b.expected_interval_minutes, s.since,
           'missed:' || b.id || ':' || extract(epoch FROM s.since) AS dedup_key,
           n.lower_bound, n.complete, n.red_score, p.interval_minutes
    FROM monitoring.bindings b
    CROSS JOIN LATERAL (
        SELECT greatest(b.bound_at, coalesce(
            (SELECT max(r.observed_at) FROM monitoring.readings r
              WHERE r.admission_id = b.admission_id), b.bound_at)) AS since
    ) s
    LEFT JOIN LATERAL (
        SELECT n.lower_bound, n.complete, n.red_score FROM monitoring.news2_results n
        WHERE n.admission_id = b.admission_id ORDER BY n.window_end DESC LIMIT 1
    ) n ON true
    LEFT JOIN LATERAL (
        SELECT p.interval_minutes FROM monitoring.monitoring_plans p
        WHERE p.admission_id = b.admission_id ORDER BY p.set_at DESC LIMIT 1
    ) p ON true
    WHERE b.unbound_at IS NULL AND s.since < :silent_before
      AND (CAST(:admission_id AS uuid) IS NULL OR b.admission_id = CAST(:admission_id AS uuid))
    ORDER BY b.bound_at, b.id
    """
)


@dataclass(frozen=True, slots=True)
class PacedBinding:
    """An open binding, when its current silence began (and that silence's key), its pace."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID
    since: datetime
    silence_key: str
    pacing: Pacing


async def latest(session: AsyncSession, *, admission_id: uuid.UUID) -> MonitoringPlan | None:
    return await session.scalar(
        select(MonitoringPlan)
        .where(MonitoringPlan.admission_id == admission_id)
        .order_by(MonitoringPlan.set_at.desc())
        .limit(1)
    )


async def paced_bindings(
    db: AsyncConnection | AsyncSession,
    settings: IngestSettings,
    *,
    silent_before: datetime,
    admission_id: uuid.UUID | None = None,
) -> list[PacedBinding]:
    """Open bindings silent since before `silent_before`, each with what paces it."""
    rows = await db.execute(_PACED, {"silent_before": silent_before, "admission_id": admission_id})
    paced = []
    for admission, ward_id, device_minutes, since, key, *latest_set, plan in rows:
        lower_bound, complete, red_score = latest_set
        pacing = pace(
            lower_bound=lower_bound,
            complete=complete,
            red_score=red_score,
            plan_minutes=plan,
            device_minutes=device_minutes,
            missed_factor=settings.missed_readings_factor,
            continuous_minutes=settings.pacing_continuous_minutes,
            clock_scale=settings.pacing_clock_scale,
        )
        paced.append(PacedBinding(admission, ward_id, since, key, pacing))
    return paced
