"""Queries for the alert outbox as the relay works it: claim under a lease, settle, release.

Each runs in a short transaction of its own on the caller's connection; no lock outlives it.
Settling and releasing match the lease token, so a relay whose lease ran out (and whose
alerts another relay has taken over) changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

_CLAIM = text(
    """
    UPDATE monitoring.alerts
       SET locked_until = now() + make_interval(secs => :lease),
           lease_token = :token,
           attempts = attempts + 1
     WHERE id IN (
            SELECT id FROM monitoring.alerts
             WHERE status = 'pending' AND next_attempt_at <= now()
               AND (locked_until IS NULL OR locked_until < now())
             ORDER BY raised_at
             LIMIT :n
               FOR UPDATE SKIP LOCKED)
    RETURNING id, admission_id, ward_id, kind, news2_score, risk, detail, raised_at, attempts
    """
)
_SETTLE = {
    "delivered": text(
        "UPDATE monitoring.alerts SET status = 'delivered', delivered_at = now(), "
        "last_error = NULL, locked_until = NULL, lease_token = NULL "
        "WHERE id = :id AND lease_token = :token"
    ),
    "rejected": text(
        "UPDATE monitoring.alerts SET status = 'rejected', last_error = :error, "
        "locked_until = NULL, lease_token = NULL WHERE id = :id AND lease_token = :token"
    ),
    "retry": text(
        "UPDATE monitoring.alerts SET last_error = :error, "
        "next_attempt_at = now() + make_interval(secs => :delay), "
        "locked_until = NULL, lease_token = NULL WHERE id = :id AND lease_token = :token"
    ),
}
_RELEASE = text(
    "UPDATE monitoring.alerts SET locked_until = NULL, lease_token = NULL, "
    "attempts = greatest(attempts - 1, 0) "
    "WHERE id = ANY(CAST(:ids AS uuid[])) AND lease_token = :token"
)


async def claim(
    conn: AsyncConnection, *, limit: int, lease_seconds: float, token: uuid.UUID
) -> Sequence[Row[Any]]:
    """Lease up to `limit` due alerts to `token`, oldest first, counting the attempt.

    FOR UPDATE SKIP LOCKED keeps replicas off each other's rows during the claim; the lease
    (`locked_until`) keeps them off while the calls are in flight, with no lock held.
    """
    result = await conn.execute(_CLAIM, {"n": limit, "lease": lease_seconds, "token": token})
    return sorted(result.all(), key=lambda row: (row.raised_at, row.id))


async def settle(
    conn: AsyncConnection,
    *,
    alert_id: uuid.UUID,
    token: uuid.UUID,
    outcome: str,
    error: str | None = None,
    delay: float = 0.0,
) -> bool:
    """Record delivered, rejected or retry-later and free the alert; False if the lease was lost."""
    params: dict[str, Any] = {"id": alert_id, "token": token}
    if outcome != "delivered":
        params["error"] = error
    if outcome == "retry":
        params["delay"] = delay
    result = await conn.execute(_SETTLE[outcome], params)
    return result.rowcount == 1


async def release(
    conn: AsyncConnection, *, alert_ids: Sequence[uuid.UUID], token: uuid.UUID
) -> int:
    """Hand back claimed alerts that were never posted (breaker opened, lease running out)."""
    if not alert_ids:
        return 0
    result = await conn.execute(_RELEASE, {"ids": list(alert_ids), "token": token})
    return result.rowcount
