"""Where alert rows are written: the candidates scoring found, and missed-readings silences.

Alert rows are the outbox the relay delivers (relay.py), written in the transaction of the
change that caused them. De-duplication rule (per admission):
- NEWS2 kinds are ranked news2_red_single < news2_medium < news2_high. A candidate is not
  raised if an alert of the same or higher rank was raised for the admission within
  `alert_suppress_minutes`; escalation to a higher rank is always raised.
- threshold_breach: at most one per threshold rule within `alert_suppress_minutes`.
- missed_readings: one per open binding per silence (a deterministic dedup key under a
  unique constraint, so any number of replicas checking at once raise it once).
Each alert keeps the keys of the readings it rests on; when all of them are withdrawn
(FHIR entered-in-error) it is marked `withdrawn_at`, kept, never deleted.
Candidates are raised with the admission's advisory lock held (scoring takes it), so two
concurrent batches cannot both raise the same alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.domain.stored import AlertCandidate
from services.monitoring_ingest.settings import IngestSettings

__all__ = ["NEWS2_RANK", "check_missed_readings", "mark_withdrawn", "raise_alerts"]

NEWS2_RANK = {"news2_red_single": 1, "news2_medium": 2, "news2_high": 3}

_RECENT = """
SELECT admission_id, kind, threshold_id FROM monitoring.alerts
WHERE admission_id = ANY($1::uuid[]) AND raised_at >= $2
"""

_INSERT_ALERT = """
INSERT INTO monitoring.alerts (id, admission_id, ward_id, kind, news2_score, risk, detail,
    raised_at, threshold_id, reading_keys)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

# Alerts every reading of which has since been withdrawn (entered-in-error) are marked so;
# an alert that also rests on a reading still standing is left as it is.
_MARK_WITHDRAWN = """
UPDATE monitoring.alerts a SET withdrawn_at = $2
WHERE a.admission_id = ANY($1::uuid[]) AND a.withdrawn_at IS NULL
  AND cardinality(a.reading_keys) > 0
  AND a.reading_keys <@ ARRAY(SELECT w.supersedes FROM monitoring.readings w
                               WHERE w.admission_id = a.admission_id AND w.withdrawn)
RETURNING a.id
"""

_MISSED = text(
    """
    INSERT INTO monitoring.alerts (id, admission_id, ward_id, kind, detail, raised_at, dedup_key)
    SELECT gen_random_uuid(), admission_id, ward_id, 'missed_readings',
           format('no readings for %s minutes; expected every %s minutes',
                  floor(extract(epoch FROM now() - since) / 60), expected_interval_minutes),
           now(),
           'missed:' || id || ':' || extract(epoch FROM since)
    FROM (
        SELECT b.id, b.admission_id, b.ward_id, b.expected_interval_minutes,
               greatest(b.bound_at, coalesce(
                   (SELECT max(r.observed_at) FROM monitoring.readings r
                     WHERE r.admission_id = b.admission_id), b.bound_at)) AS since
        FROM monitoring.bindings b
        WHERE b.unbound_at IS NULL
    ) silent
    WHERE now() - since > make_interval(mins => expected_interval_minutes) * :factor
    ON CONFLICT (dedup_key) DO NOTHING
    RETURNING id
    """
)


async def raise_alerts(
    conn: asyncpg.Connection,
    candidates: Sequence[AlertCandidate],
    *,
    settings: IngestSettings,
    now: datetime,
) -> list[uuid.UUID]:
    """Insert the candidates the de-duplication rules let through; returns their ids."""
    if not candidates:
        return []
    admissions = sorted({c.admission_id for c in candidates})
    since = now - timedelta(minutes=settings.alert_suppress_minutes)
    news2_rank: dict[uuid.UUID, int] = {}
    rules_alerted: set[uuid.UUID] = set()
    for admission_id, kind, threshold_id in await conn.fetch(_RECENT, admissions, since):
        if kind in NEWS2_RANK:
            news2_rank[admission_id] = max(news2_rank.get(admission_id, 0), NEWS2_RANK[kind])
        elif threshold_id is not None:
            rules_alerted.add(threshold_id)
    rows = []
    for c in candidates:
        if c.kind in NEWS2_RANK:
            if news2_rank.get(c.admission_id, 0) >= NEWS2_RANK[c.kind]:
                continue
            news2_rank[c.admission_id] = NEWS2_RANK[c.kind]
        elif c.threshold_id is not None:
            if c.threshold_id in rules_alerted:
                continue
            rules_alerted.add(c.threshold_id)
        rows.append(
            (uuid.uuid4(), c.admission_id, c.ward_id, c.kind, c.news2_score, c.risk, c.detail,
             now, c.threshold_id, list(c.reading_keys))
        )  # fmt: skip
    if rows:
        await conn.executemany(_INSERT_ALERT, rows)
    return [row[0] for row in rows]


async def mark_withdrawn(
    conn: asyncpg.Connection, admission_ids: Sequence[uuid.UUID], *, now: datetime
) -> list[uuid.UUID]:
    """Mark the admissions' alerts that rested only on withdrawn readings; their ids."""
    rows = await conn.fetch(_MARK_WITHDRAWN, sorted(set(admission_ids)), now)
    return [row[0] for row in rows]


async def check_missed_readings(engine: AsyncEngine, settings: IngestSettings) -> int:
    """Raise one missed_readings alert per open binding per silence; returns how many."""
    async with engine.begin() as conn:
        result = await conn.execute(_MISSED, {"factor": settings.missed_readings_factor})
        return len(result.all())
