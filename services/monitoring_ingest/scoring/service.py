"""Clinicians' NEWS2 settings (SpO2 scale, thresholds) and NEWS2 / latest-vitals queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.devices import service as devices
from services.monitoring_ingest.domain.canonical import Measure
from services.monitoring_ingest.domain.thresholds import ThresholdRule
from services.monitoring_ingest.scoring.models import News2ResultRow, Spo2ScaleSetting, Threshold
from services.monitoring_ingest.scoring.schemas import LatestVitalsItem, ThresholdIn
from shared.auth import Principal
from shared.problems import NotFound, Unprocessable

OPEN_ALERT_HOURS = 24


async def set_scale(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID, scale: int, reason: str
) -> Spo2ScaleSetting:
    """Record a scale choice; history is kept and the latest applies to new sets."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    setting = Spo2ScaleSetting(
        id=uuid.uuid4(),
        admission_id=admission_id,
        scale=scale,
        reason=reason,
        set_by=principal.subject,
        set_at=datetime.now(UTC),
    )
    session.add(setting)
    await session.flush()
    return setting


async def current_scale(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> Spo2ScaleSetting | None:
    """The latest scale choice on an admission in the caller's scope (None: scale 1)."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    return await session.scalar(
        select(Spo2ScaleSetting)
        .where(Spo2ScaleSetting.admission_id == admission_id)
        .order_by(Spo2ScaleSetting.set_at.desc())
        .limit(1)
    )


async def add_threshold(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID, body: ThresholdIn
) -> Threshold:
    """A per-patient threshold, validated by the domain rule (numeric measures only)."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    try:
        ThresholdRule("new", Measure(body.measure), body.direction, body.limit, body.inclusive)
    except ValueError as exc:
        raise Unprocessable(
            str(exc),
            slug="invalid-threshold",
            errors=[{"pointer": "/body/measure", "message": str(exc), "code": "invalid"}],
        ) from exc
    threshold = Threshold(
        id=uuid.uuid4(),
        admission_id=admission_id,
        measure=body.measure,
        direction=str(body.direction),
        limit=body.limit,
        inclusive=body.inclusive,
        reason=body.reason,
        set_by=principal.subject,
        set_at=datetime.now(UTC),
    )
    session.add(threshold)
    await session.flush()
    return threshold


async def list_thresholds(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> list[Threshold]:
    """Every threshold on an admission in the caller's scope, retired ones included."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    query = select(Threshold).where(Threshold.admission_id == admission_id)
    return list((await session.scalars(query.order_by(Threshold.set_at))).all())


async def retire_threshold(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID, threshold_id: uuid.UUID
) -> Threshold:
    """Retire a threshold of an admission in the caller's scope (idempotent)."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    threshold = await session.get(Threshold, threshold_id)
    if threshold is None or threshold.admission_id != admission_id:
        raise NotFound(f"no threshold {threshold_id} on this admission", slug="threshold-not-found")
    if threshold.retired_at is None:
        threshold.retired_at = datetime.now(UTC)
        threshold.retired_by = principal.subject
        await session.flush()
    return threshold


async def news2_history(
    session: AsyncSession,
    *,
    principal: Principal,
    admission_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[News2ResultRow]:
    """NEWS2 results of an admission in the caller's scope, newest first."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    query = select(News2ResultRow).where(News2ResultRow.admission_id == admission_id)
    if start is not None:
        query = query.where(News2ResultRow.window_end >= start)
    if end is not None:
        query = query.where(News2ResultRow.window_end < end)
    query = query.order_by(News2ResultRow.window_end.desc()).limit(limit)
    return list((await session.scalars(query)).all())


async def latest_vitals(
    session: AsyncSession, *, admission_ids: list[uuid.UUID]
) -> list[LatestVitalsItem]:
    """Per admission: latest NEWS2, last reading time and alerts raised in the last 24 h.

    Withdrawn readings (and the withdrawals themselves) are not a patient's last reading.
    """
    rows = await session.execute(
        text(
            """
            SELECT a.admission_id, n.aggregate, n.risk, n.complete, n.lower_bound,
                   (SELECT max(r.observed_at) FROM monitoring.readings r
                     WHERE r.admission_id = a.admission_id AND NOT r.withdrawn
                       AND NOT EXISTS (SELECT 1 FROM monitoring.readings w
                                        WHERE w.supersedes = r.reading_key AND w.withdrawn)),
                   (SELECT count(*) FROM monitoring.alerts al
                     WHERE al.admission_id = a.admission_id AND al.raised_at >= :since
                       AND al.status <> 'rejected')
            FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS a(admission_id, ord)
            LEFT JOIN LATERAL (
                SELECT aggregate, risk, complete, lower_bound FROM monitoring.news2_results n
                WHERE n.admission_id = a.admission_id ORDER BY window_end DESC LIMIT 1
            ) n ON true
            ORDER BY a.ord
            """
        ),
        {"ids": admission_ids, "since": datetime.now(UTC) - timedelta(hours=OPEN_ALERT_HOURS)},
    )
    return [
        LatestVitalsItem(
            admission_id=row[0],
            news2_score=row[1],
            news2_at_least=row[4],
            risk=row[2],
            complete=row[3],
            last_reading_at=row[5],
            open_alerts=row[6],
        )
        for row in rows
    ]
