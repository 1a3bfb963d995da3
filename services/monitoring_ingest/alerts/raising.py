"""Where alert rows are written: the candidates scoring found, and missed-readings silences.

Alert rows are the outbox the relay delivers (relay.py), written in the transaction of the
change that caused them. De-duplication rule (per admission):
- NEWS2 kinds are ranked news2_red_single < news2_medium < news2_high. A candidate is not
  raised if an alert of the same or higher rank was raised for the admission within
  `alert_suppress_minutes`; escalation to a higher rank is always raised.
- threshold_breach: at most one per threshold rule within `alert_suppress_minutes`.
- news2_rising: one per rise. Scoring names each rise by its baseline, the lowest complete
  score in the trend window before the set (the latest such set if tied), and gives the
  candidate a dedup key from it: further sets still above the same baseline are the same rise
  and raise nothing; after a fall, a new rise has a new baseline and is raised.
- missed_readings: one per open binding per silence (a deterministic dedup key under a
  unique constraint, so any number of replicas checking at once raise it once). The silence
  allowed is paced by the admission's latest NEWS2 band or a clinician's monitoring plan
  (domain/pacing.py), and the alert says which set the clock; a band that changes during
  a silence changes when it is missed, never how many alerts it raises.
Each alert keeps the keys of the readings it rests on; when all of them are withdrawn
(FHIR entered-in-error) it is marked `withdrawn_at`, kept, never deleted.
Candidates are raised with the admission's advisory lock held (scoring takes it), so two
concurrent batches cannot both raise the same alert.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.domain.stored import AlertCandidate
from services.monitoring_ingest.pacing.models import PLAN_MIN_MINUTES
from services.monitoring_ingest.pacing.repository import paced_bindings
from services.monitoring_ingest.settings import IngestSettings

__all__ = ["NEWS2_RANK", "check_missed_readings", "mark_withdrawn", "raise_alerts"]

NEWS2_RANK = {"news2_red_single": 1, "news2_medium": 2, "news2_high": 3}

_RECENT = """
SELECT admission_id, kind, threshold_id FROM monitoring.alerts
WHERE admission_id = ANY($1::uuid[]) AND raised_at >= $2
"""

_INSERT_ALERT = """
INSERT INTO monitoring.alerts (id, admission_id, ward_id, kind, news2_score, risk, detail,
    raised_at, threshold_id, dedup_key, reading_keys)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
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

_RAISED_KEYS = "SELECT dedup_key FROM monitoring.alerts WHERE dedup_key = ANY($1::text[])"

_MISSED = text(
    """
    INSERT INTO monitoring.alerts (id, admission_id, ward_id, kind, detail, raised_at, dedup_key)
    SELECT gen_random_uuid(), m.admission_id, m.ward_id, 'missed_readings', m.detail, :now,
           m.dedup_key
    FROM unnest(CAST(:admissions AS uuid[]), CAST(:wards AS uuid[]), CAST(:details AS text[]),
                CAST(:keys AS text[])) AS m(admission_id, ward_id, detail, dedup_key)
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
    since = now - timedelta(minutes=settings.alert_suppress_minutes)
    raised = await _Raised.load(conn, candidates, since)
    rows = []
    for c in candidates:
        if not raised.lets_through(c):
            continue
        rows.append(
            (uuid.uuid4(), c.admission_id, c.ward_id, c.kind, c.news2_score, c.risk, c.detail,
             now, c.threshold_id, c.dedup_key, list(c.reading_keys))
        )  # fmt: skip
    if rows:
        await conn.executemany(_INSERT_ALERT, rows)
    return [row[0] for row in rows]


class _Raised:
    """What is already raised: the de-duplication state candidates are checked against."""

    __slots__ = ("dedup_keys", "news2_rank", "rules_alerted")

    def __init__(
        self,
        news2_rank: dict[uuid.UUID, int],
        rules_alerted: set[uuid.UUID],
        dedup_keys: set[str],
    ) -> None:
        self.news2_rank = news2_rank  # highest NEWS2 rank raised per admission
        self.rules_alerted = rules_alerted  # threshold rules alerted on
        self.dedup_keys = dedup_keys  # dedup keys already raised

    @classmethod
    async def load(
        cls, conn: asyncpg.Connection, candidates: Sequence[AlertCandidate], since: datetime
    ) -> _Raised:
        """The alerts raised since `since` for the candidates' admissions, and their keys."""
        admissions = sorted({c.admission_id for c in candidates})
        news2_rank: dict[uuid.UUID, int] = {}
        rules_alerted: set[uuid.UUID] = set()
        for admission_id, kind, threshold_id in await conn.fetch(_RECENT, admissions, since):
            if kind in NEWS2_RANK:
                news2_rank[admission_id] = max(news2_rank.get(admission_id, 0), NEWS2_RANK[kind])
            elif threshold_id is not None:
                rules_alerted.add(threshold_id)
        keyed = [c.dedup_key for c in candidates if c.dedup_key is not None]
        raised_keys = {row[0] for row in await conn.fetch(_RAISED_KEYS, keyed)} if keyed else set()
        return cls(news2_rank, rules_alerted, raised_keys)

    def lets_through(self, c: AlertCandidate) -> bool:
        """Whether the candidate is raised; if so, it counts as raised from now on."""
        if c.dedup_key is not None:
            if c.dedup_key in self.dedup_keys:
                return False
            self.dedup_keys.add(c.dedup_key)
        if c.kind in NEWS2_RANK:
            if self.news2_rank.get(c.admission_id, 0) >= NEWS2_RANK[c.kind]:
                return False
            self.news2_rank[c.admission_id] = NEWS2_RANK[c.kind]
        elif c.threshold_id is not None:
            if c.threshold_id in self.rules_alerted:
                return False
            self.rules_alerted.add(c.threshold_id)
        return True


async def mark_withdrawn(
    conn: asyncpg.Connection, admission_ids: Sequence[uuid.UUID], *, now: datetime
) -> list[uuid.UUID]:
    """Mark the admissions' alerts that rested only on withdrawn readings; their ids."""
    rows = await conn.fetch(_MARK_WITHDRAWN, sorted(set(admission_ids)), now)
    return [row[0] for row in rows]


async def check_missed_readings(
    engine: AsyncEngine, settings: IngestSettings, *, now: datetime | None = None
) -> int:
    """Raise one missed_readings alert per open binding per silence; returns how many.

    `now` is the time checked at (the clock by default; tests inject it).
    """
    now = now or datetime.now(UTC)
    shortest = min(
        settings.pacing_continuous_minutes * settings.pacing_clock_scale,
        PLAN_MIN_MINUTES * settings.pacing_clock_scale,
        settings.missed_readings_factor,  # a device promises a reading at most once a minute
    )
    async with engine.begin() as conn:
        silent = await paced_bindings(
            conn, settings, silent_before=now - timedelta(minutes=shortest)
        )
        missed: list[tuple[uuid.UUID, uuid.UUID, str, str]] = []
        for binding in silent:
            silent_for = now - binding.since
            if silent_for > timedelta(minutes=binding.pacing.allowed_minutes):
                detail = binding.pacing.detail(int(silent_for.total_seconds() // 60))
                missed.append((binding.admission_id, binding.ward_id, detail, binding.silence_key))
        if not missed:
            return 0
        admissions, wards, details, keys = (list(column) for column in zip(*missed, strict=True))
        result = await conn.execute(
            _MISSED,
            {"now": now, "admissions": admissions, "wards": wards, "details": details,
             "keys": keys},
        )  # fmt: skip
        return len(result.all())
