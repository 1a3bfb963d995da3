"""Queries on uptake snapshots and rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.clients.ward_api import AggregateRow
from services.equity_audit.snapshots.models import Snapshot, UptakeRow
from shared.database import driver_connection

_COLUMNS = (
    "snapshot_id", "month", "icb_code", "lsoa11cd", "age_band", "sex", "ethnic_category",
    "pathway", "outcome", "own_device", "broadband", "housing_concern", "admissions",
    "los_days_sum", "stays_over_14_days", "escalations", "readings_expected",
    "readings_received",
)  # fmt: skip
# What the audit needs from a set of uptake rows, one bigint per column (0 when none).
TOTAL_FIELDS = (
    "admissions", "discharged", "escalated", "los_days_sum", "stays_over_14_days",
    "readings_expected", "readings_received", "own_device_yes", "own_device_no",
    "broadband_yes", "broadband_no",
)  # fmt: skip
UPTAKE_SUMS = """
    coalesce(sum(admissions), 0)::int8 AS admissions,
    coalesce(sum(admissions) FILTER (WHERE outcome <> 'ongoing'), 0)::int8 AS discharged,
    coalesce(sum(admissions) FILTER (WHERE outcome = 'escalated_to_hospital'), 0)::int8
        AS escalated,
    coalesce(sum(los_days_sum), 0)::int8 AS los_days_sum,
    coalesce(sum(stays_over_14_days), 0)::int8 AS stays_over_14_days,
    coalesce(sum(readings_expected), 0)::int8 AS readings_expected,
    coalesce(sum(readings_received), 0)::int8 AS readings_received,
    coalesce(sum(admissions) FILTER (WHERE own_device), 0)::int8 AS own_device_yes,
    coalesce(sum(admissions) FILTER (WHERE NOT own_device), 0)::int8 AS own_device_no,
    coalesce(sum(admissions) FILTER (WHERE broadband), 0)::int8 AS broadband_yes,
    coalesce(sum(admissions) FILTER (WHERE NOT broadband), 0)::int8 AS broadband_no"""
# Enough memory to hash ~250k rows into ~33k groups without an external sort on disk.
AGGREGATE_WORK_MEM = "64MB"


async def latest(session: AsyncSession) -> Snapshot | None:
    return await session.scalar(select(Snapshot).order_by(Snapshot.id.desc()).limit(1))


async def lock_refresh(session: AsyncSession) -> None:
    """Serialise refreshes (transaction-scoped advisory lock)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('equity.uptake.refresh'))"))


async def replace_from_month(
    session: AsyncSession,
    *,
    first_month: str,
    rows: Sequence[AggregateRow],
    generated_at: datetime,
    period_from: date,
    period_to: date,
) -> Snapshot:
    """Drop rows from `first_month` on and write the newly pulled ones under a new snapshot."""
    snapshot = Snapshot(
        generated_at=generated_at,
        period_from=period_from,
        period_to=period_to,
        row_count=len(rows),
    )
    session.add(snapshot)
    await session.flush()
    await session.execute(delete(UptakeRow).where(UptakeRow.month >= first_month))
    records: list[tuple[Any, ...]] = [
        (
            snapshot.id, r.month, r.icb_code, r.lsoa11cd, r.age_band, r.sex, r.ethnic_category,
            r.pathway, r.outcome, r.own_device, r.broadband, r.housing_concern, r.admissions,
            r.los_days_sum, r.stays_over_14_days, r.escalations, r.readings_expected,
            r.readings_received,
        )
        for r in rows
        if r.month >= first_month
    ]  # fmt: skip
    conn = await driver_connection(session)
    if records:
        await conn.copy_records_to_table(
            "uptake", schema_name="equity", columns=list(_COLUMNS), records=records
        )
    await rebuild_totals(conn, snapshot_id=snapshot.id)
    await session.refresh(snapshot)
    return snapshot


async def rebuild_totals(conn: asyncpg.Connection, *, snapshot_id: int) -> None:
    """Sum every uptake row per LSOA and ward ICB into `uptake_totals`, as of `snapshot_id`.

    Runs in the refresh's transaction, so readers see the old totals or the new, never a mix.
    """
    await conn.execute("SELECT set_config('work_mem', $1, true)", AGGREGATE_WORK_MEM)
    await conn.execute("DELETE FROM equity.uptake_totals")
    await conn.execute(
        f"""INSERT INTO equity.uptake_totals
                (lsoa11cd, icb_code, snapshot_id, {", ".join(TOTAL_FIELDS)})
            SELECT coalesce(lsoa11cd, ''), coalesce(icb_code, ''), $1::int8, {UPTAKE_SUMS}
            FROM equity.uptake
            GROUP BY 1, 2""",  # noqa: S608 (fixed column lists)
        snapshot_id,
    )
