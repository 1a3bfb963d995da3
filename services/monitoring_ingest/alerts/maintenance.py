"""Periodic upkeep: missed-readings alerts, partitions ahead, retention, replay store purge.

Every step is idempotent and safe to run on several replicas at once: missed-readings
alerts carry a deterministic dedup key (binding + start of the silence) under a unique
constraint, so each silence raises one alert however many checkers see it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.readings import retention
from services.monitoring_ingest.settings import IngestSettings

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


async def check_missed_readings(engine: AsyncEngine, settings: IngestSettings) -> int:
    """Raise one missed_readings alert per open binding per silence; returns how many."""
    async with engine.begin() as conn:
        result = await conn.execute(_MISSED, {"factor": settings.missed_readings_factor})
        return len(result.all())


async def run(engine: AsyncEngine, settings: IngestSettings) -> None:
    await check_missed_readings(engine, settings)
    async with engine.begin() as conn:
        await conn.execute(text("SELECT monitoring.ensure_reading_partitions(now()::date, 3)"))
        await conn.execute(
            text(
                "DELETE FROM monitoring.seen_signatures "
                "WHERE seen_at < now() - make_interval(secs => :s)"
            ),
            {"s": 2 * settings.signature_max_age_seconds},
        )
    await retention.drop_expired_partitions(engine, settings)
