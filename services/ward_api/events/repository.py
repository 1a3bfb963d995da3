"""Queries on ward events: append (ordered by commit, announced by NOTIFY) and read after an id.

Ids come from a sequence, which hands them out at insert, not at commit: a transaction holding
id 10 can commit after one holding id 11, and a stream that has read 11 would then skip 10.
So writers take one transaction-level advisory lock before inserting an event and keep it to
commit: ids are handed out in commit order, and "everything after my last id" is exact. The
lock is taken as the last step of a change (after its row locks), so it adds no deadlock; it
serialises only the tail (insert + commit) of transactions that write events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, cast, func, or_, select, text
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.alerts.models import Alert
from services.ward_api.domain.alert_events import NEWS2_RANK
from services.ward_api.events.models import WardEvent

CHANNEL = "ward_events"
# pg_advisory_xact_lock key of the event writers ("vward.ev" in ASCII).
ORDER_LOCK = 0x7677_6172_642E_6576


async def append(
    session: AsyncSession,
    *,
    ward_id: uuid.UUID,
    icb_codes: Iterable[str],
    events: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    """Insert (type, payload) events for one ward and NOTIFY on commit (never if rolled back)."""
    codes = sorted(set(icb_codes))
    rows = [
        {"ward_id": ward_id, "icb_codes": codes, "type": kind, "payload": payload}
        for kind, payload in events
    ]
    if not rows:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ORDER_LOCK})
    await session.execute(insert(WardEvent).values(rows))
    # NOTIFY is delivered at commit; identical payloads in one transaction are sent once.
    # "ward-id icb icb": what a hub needs to wake only the streams whose scope covers it.
    await session.execute(
        text("SELECT pg_notify(:channel, :ward)"),
        {"channel": CHANNEL, "ward": " ".join([str(ward_id), *codes])},
    )


async def last_id(session: AsyncSession) -> int:
    """The newest event id (0 when none): where a stream without `Last-Event-ID` starts."""
    return int(await session.scalar(select(func.coalesce(func.max(WardEvent.id), 0))) or 0)


async def after(
    session: AsyncSession,
    *,
    after_id: int,
    limit: int,
    ward_id: uuid.UUID | None = None,
    wards: Iterable[str] = (),
    icbs: Iterable[str] = (),
    everywhere: bool = False,
) -> list[WardEvent]:
    """Events after `after_id`, oldest first: one ward's, or those of any of `wards`/`icbs`."""
    query = select(WardEvent).where(WardEvent.id > after_id)
    if ward_id is not None:
        query = query.where(WardEvent.ward_id == ward_id)
    elif not everywhere:
        clauses = [cast(WardEvent.ward_id, String).in_(sorted(wards))]
        if icbs := sorted(icbs):
            clauses.append(WardEvent.icb_codes.overlap(array(icbs, type_=String(12))))
        query = query.where(or_(*clauses))
    return list((await session.scalars(query.order_by(WardEvent.id).limit(limit))).all())


async def news2_alerts(session: AsyncSession, admission_id: uuid.UUID) -> list[Alert]:
    """The admission's NEWS2 alerts, newest raised first (for `news2.changed`, escalations)."""
    query = (
        select(Alert)
        .where(Alert.admission_id == admission_id, Alert.kind.in_(NEWS2_RANK))
        .order_by(Alert.raised_at.desc(), Alert.id)
    )
    return list((await session.scalars(query)).all())
