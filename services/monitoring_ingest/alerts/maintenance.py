"""Periodic upkeep: missed-readings alerts, partitions ahead, fresh statistics, retention, purge.

Every step is idempotent and safe to run on several replicas at once: missed-readings
alerts carry a deterministic dedup key (binding + start of the silence) under a unique
constraint, so each silence raises one alert however many checkers see it; partitions are
created under an advisory lock inside `ensure_reading_partitions` (migration 0006); only one
replica analyses at a time. Each step is its own transaction and its failure is logged
without skipping the others; maintenance runs as a task apart from alert delivery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.readings import retention
from services.monitoring_ingest.settings import IngestSettings

logger = logging.getLogger("vward.monitoring_ingest.maintenance")

# ANALYZE a month's partition once this many rows changed since its last analyse, and at
# least this fraction of the rows it had then: early in a month the partition grows from
# nothing, and a plan made when it held a few hundred rows of a few admissions would
# otherwise stay in use until autovacuum gets round to it.
ANALYZE_MIN_CHANGES = 1000
ANALYZE_GROWTH = 0.1
MONTHS_AHEAD = 3

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

# The partitions of this month and the last (late readings still land there), with how
# much they changed since they were last analysed.
_PARTITION_STATS = text(
    """
    SELECT s.relname, s.n_live_tup, s.n_mod_since_analyze
    FROM pg_stat_user_tables s
    WHERE s.schemaname = 'monitoring'
      AND s.relname IN (to_char(now(), '"readings_y"YYYY"m"MM'),
                        to_char(now() - interval '1 month', '"readings_y"YYYY"m"MM'))
    ORDER BY s.relname DESC
    """
)


async def check_missed_readings(engine: AsyncEngine, settings: IngestSettings) -> int:
    """Raise one missed_readings alert per open binding per silence; returns how many."""
    async with engine.begin() as conn:
        result = await conn.execute(_MISSED, {"factor": settings.missed_readings_factor})
        return len(result.all())


async def ensure_partitions(engine: AsyncEngine, months: int = MONTHS_AHEAD) -> int:
    """Create this month's and the next months' reading partitions; returns how many."""
    async with engine.begin() as conn:
        result = await conn.execute(
            text("SELECT monitoring.ensure_reading_partitions(now()::date, :months)"),
            {"months": months},
        )
        return int(result.scalar_one())


def needs_analyze(live_rows: int, changed: int, *, min_changes: int, growth: float) -> bool:
    """Whether a partition changed enough since its last analyse for plans to go stale."""
    before = max(live_rows - changed, 0)
    return changed >= min_changes and changed >= growth * before


async def analyze_reading_partitions(
    engine: AsyncEngine,
    *,
    min_changes: int = ANALYZE_MIN_CHANGES,
    growth: float = ANALYZE_GROWTH,
) -> list[str]:
    """ANALYZE the current (and last) month's partition if it grew a lot; returns which.

    ANALYZE updates the partition's statistics and invalidates the plans cached on every
    connection, so the NEWS2 window query is planned again for the partition as it is now.
    It takes a lock that does not block ingest; one replica at a time does it.
    """
    analysed: list[str] = []
    async with engine.begin() as conn:
        if not (
            await conn.execute(
                text("SELECT pg_try_advisory_xact_lock(hashtext('monitoring.analyze_readings'))")
            )
        ).scalar_one():
            return analysed  # another replica is at it
        for name, live_rows, changed in (await conn.execute(_PARTITION_STATS)).all():
            if needs_analyze(live_rows, changed, min_changes=min_changes, growth=growth):
                await conn.execute(text(f'ANALYZE monitoring."{name}"'))
                analysed.append(name)
    for name in analysed:
        logger.info("reading partition analysed", extra={"partition": name})
    return analysed


async def purge_seen_signatures(engine: AsyncEngine, settings: IngestSettings) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM monitoring.seen_signatures "
                "WHERE seen_at < now() - make_interval(secs => :s)"
            ),
            {"s": 2 * settings.signature_max_age_seconds},
        )


async def run(engine: AsyncEngine, settings: IngestSettings) -> list[str]:
    """One maintenance round, every step attempted; returns the names of the steps that failed."""
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("missed_readings", lambda: check_missed_readings(engine, settings)),
        ("partitions", lambda: ensure_partitions(engine)),
        ("analyze", lambda: analyze_reading_partitions(engine)),
        ("seen_signatures", lambda: purge_seen_signatures(engine, settings)),
        ("retention", lambda: retention.drop_expired_partitions(engine, settings)),
    ]
    failed = []
    for name, step in steps:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:  # the other steps, and alert delivery, go on
            logger.exception("maintenance step failed", extra={"step": name})
            failed.append(name)
    return failed


async def run_forever(engine: AsyncEngine, settings: IngestSettings) -> None:
    """A round at once and then every `maintenance_interval_seconds`, whatever fails."""
    while True:
        try:
            await run(engine, settings)
        except asyncio.CancelledError:
            raise
        except Exception:  # run() logs its steps; this is only a last resort
            logger.exception("maintenance round failed")
        await asyncio.sleep(settings.maintenance_interval_seconds)
