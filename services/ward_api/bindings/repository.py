"""Queries for the binding outbox: enqueue, claim under a lease, record outcomes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.ward_api.admissions.models import Admission
from services.ward_api.bindings.models import BindingCommand

PENDING = "pending"


async def enqueue(
    session: AsyncSession,
    *,
    admission_id: uuid.UUID,
    kind: str,
    vendor_id: str,
    device_id: str,
    payload: dict[str, Any],
) -> None:
    """Add the command in the caller's transaction; a second one of the same kind is a no-op."""
    await session.execute(
        insert(BindingCommand)
        .values(
            admission_id=admission_id,
            kind=kind,
            vendor_id=vendor_id,
            device_id=device_id,
            payload=payload,
            status=PENDING,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["admission_id", "kind"])
    )


async def for_admission(session: AsyncSession, admission_id: uuid.UUID) -> list[BindingCommand]:
    query = (
        select(BindingCommand)
        .where(BindingCommand.admission_id == admission_id)
        .order_by(BindingCommand.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def claim(
    session: AsyncSession, *, limit: int, lease_seconds: float, token: uuid.UUID
) -> Sequence[Row[Any]]:
    """Lease up to `limit` due commands to `token`; commit at once, then call the peer.

    FOR UPDATE SKIP LOCKED keeps replicas off each other's rows during the claim; the lease
    (`locked_until`) keeps them off while the call is in flight, with no lock held. A command
    waits while an earlier one for the same admission or the same device is still pending,
    so an unbind never overtakes its bind and a reused device is freed before it is rebound.
    """
    cmd, earlier = BindingCommand, aliased(BindingCommand)
    blocked = exists().where(
        earlier.status == PENDING,
        earlier.id < cmd.id,
        or_(
            earlier.admission_id == cmd.admission_id,
            and_(earlier.vendor_id == cmd.vendor_id, earlier.device_id == cmd.device_id),
        ),
    )
    due = (
        select(cmd.id)
        .where(
            cmd.status == PENDING,
            cmd.next_attempt_at <= func.now(),
            or_(cmd.locked_until.is_(None), cmd.locked_until < func.now()),
            ~blocked,
        )
        .order_by(cmd.next_attempt_at, cmd.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=cmd)
    )
    table = cast(Table, cmd.__table__)
    statement = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            locked_until=func.now() + timedelta(seconds=lease_seconds),
            lease_token=token,
            attempts=table.c.attempts + 1,
        )
        .returning(*table.c)
    )
    return (await session.execute(statement)).all()


async def settle(
    session: AsyncSession, *, command_id: int, token: uuid.UUID, values: dict[str, Any]
) -> bool:
    """Release the lease with an outcome; False when the lease was lost to another worker."""
    table = cast(Table, BindingCommand.__table__)
    result = await session.execute(
        update(table)
        .where(table.c.id == command_id, table.c.lease_token == token)
        .values(locked_until=None, lease_token=None, **values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def release(session: AsyncSession, *, command_ids: Sequence[int], token: uuid.UUID) -> int:
    """Hand back claimed commands that were never sent (breaker opened, lease running out)."""
    if not command_ids:
        return 0
    table = cast(Table, BindingCommand.__table__)
    result = await session.execute(
        update(table)
        .where(table.c.id.in_(list(command_ids)), table.c.lease_token == token)
        .values(
            locked_until=None,
            lease_token=None,
            attempts=func.greatest(table.c.attempts - 1, 0),
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def skip_pending_unbind(session: AsyncSession, admission_id: uuid.UUID, reason: str) -> None:
    table = cast(Table, BindingCommand.__table__)
    await session.execute(
        update(table)
        .where(
            table.c.admission_id == admission_id,
            table.c.kind == "unbind",
            table.c.status == PENDING,
        )
        .values(status="skipped", last_error=reason[:500], locked_until=None, lease_token=None)
    )


async def set_admission_binding(
    session: AsyncSession,
    admission_id: uuid.UUID,
    *,
    when: Sequence[str],
    values: dict[str, Any],
) -> None:
    """Update the admission's binding fields only while its status is one of `when`.

    Conditional, so a late answer never undoes a newer state (e.g. a bind delivered after
    the patient was discharged leaves `unbind_pending` alone).
    """
    table = cast(Table, Admission.__table__)
    await session.execute(
        update(table)
        .where(table.c.id == admission_id, table.c.binding_status.in_(list(when)))
        .values(**values)
    )
