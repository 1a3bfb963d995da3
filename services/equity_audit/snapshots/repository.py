"""Queries on uptake snapshots and rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.clients.ward_api import AggregateRow
from services.equity_audit.db import driver_connection
from services.equity_audit.snapshots.models import Snapshot, UptakeRow

_COLUMNS = (
    "snapshot_id", "month", "icb_code", "lsoa11cd", "age_band", "sex", "ethnic_category",
    "pathway", "outcome", "own_device", "broadband", "housing_concern", "admissions",
    "los_days_sum", "stays_over_14_days", "escalations", "readings_expected",
    "readings_received",
)  # fmt: skip


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
    if records:
        conn = await driver_connection(session)
        await conn.copy_records_to_table(
            "uptake", schema_name="equity", columns=list(_COLUMNS), records=records
        )
    await session.refresh(snapshot)
    return snapshot
