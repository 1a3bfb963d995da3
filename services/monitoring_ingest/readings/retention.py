"""Reading retention: drop monthly partitions older than the configured period, with identities.

Off by default (`INGEST_READING_RETENTION_MONTHS=0` keeps every reading) because how long
vital signs must be kept is a records-management decision, not an engineering one. The
Records Management Code of Practice for Health and Social Care (NHS England, 2021, updated
2023) sets minimum retention periods in its retention schedule that depend on the patient
and the record: most adult care records are kept eight years after the last treatment,
children's and some specialties' far longer, and counted from the end of care, not from
when a reading was taken. Whether this store holds the record or a copy of one kept in the
trust's EPR matters too. So the data controller (the provider trust, advised by its records
manager and Caldicott Guardian) chooses the period, long enough to cover the longest stay
plus the longest applicable minimum; this module only carries it out, and never for
readings younger than a vendor may still send.

The database does the removal (migration monitoring_ingest_0004): one SECURITY DEFINER
function drops one partition per transaction, deleting its identity rows through the only
exception the identities' append-only trigger allows. The DEFAULT partition and the current
and future months are never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.domain.normalise import IngestPolicy
from services.monitoring_ingest.settings import IngestSettings

logger = logging.getLogger("vward.monitoring_ingest.retention")

# At most this many partitions per maintenance run, so a first run after enabling retention
# on years of history does not hold the maintenance loop for long; the rest go next run.
MAX_PARTITIONS_PER_RUN = 12

_DROP_ONE = text(
    "SELECT partition_name, range_from, range_to, identities_deleted "
    "FROM monitoring.drop_expired_reading_partition(:months, :min_age)"
)


@dataclass(frozen=True, slots=True)
class DroppedPartition:
    name: str
    range_from: datetime
    range_to: datetime
    identities_deleted: int


def min_age(policy: IngestPolicy | None = None) -> timedelta:
    """Readings older than this are refused as stale, so forgetting their identity is safe."""
    policy = policy or IngestPolicy()
    return policy.max_age + policy.max_future_skew


async def drop_expired_partitions(
    engine: AsyncEngine, settings: IngestSettings, *, limit: int = MAX_PARTITIONS_PER_RUN
) -> list[DroppedPartition]:
    """Drop expired monthly partitions, oldest first, one transaction each; [] when off."""
    months = settings.reading_retention_months
    if months <= 0:
        return []
    dropped: list[DroppedPartition] = []
    for _ in range(limit):
        async with engine.begin() as conn:
            row = (await conn.execute(_DROP_ONE, {"months": months, "min_age": min_age()})).first()
        if row is None:
            break
        partition = DroppedPartition(row[0], row[1], row[2], int(row[3]))
        logger.info(
            "reading partition dropped by retention",
            extra={
                "partition": partition.name,
                "range_from": partition.range_from.isoformat(),
                "range_to": partition.range_to.isoformat(),
                "identities_deleted": partition.identities_deleted,
                "retention_months": months,
            },
        )
        dropped.append(partition)
    return dropped
