"""Reading partitions: months created ahead, and statistics kept fresh as a month fills.

Both are safe on several replicas at once: partitions are created under an advisory lock
inside `ensure_reading_partitions` (migration 0006); only one replica analyses at a time.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("vward.monitoring_ingest.maintenance")

# ANALYZE a month's partition once this many rows changed since its last analyse, and at
# least this fraction of the rows it had then: early in a month the partition grows from
# nothing, and a plan made when it held a few hundred rows of a few admissions would
# otherwise stay in use until autovacuum gets round to it.
ANALYZE_MIN_CHANGES = 1000
ANALYZE_GROWTH = 0.1
MONTHS_AHEAD = 3


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
