"""The outbox relay: delivers pending alerts to ward_api, with no transaction open meanwhile.

The lease / SKIP LOCKED protocol, why it is exactly once, the retry policy, the backoff and
the circuit breaker live in `shared/outbox.py`; this module says only how an alert is
claimed (alerts/repository.py, oldest first), posted (POST /v1/internal/alerts, idempotent
by alert id) and settled: delivered → `delivered`; refused for good (unknown admission,
ward mismatch, id reused) → `rejected` with the reason; anything else → pending again.

Periodic maintenance (maintenance.py) runs as a task of its own, so neither its
duration nor its failure holds up delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest import maintenance
from services.monitoring_ingest.alerts import repository
from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from shared import outbox
from shared.outbox import CircuitBreaker, Kind, LeasedOutbox, Outcome, Round

__all__ = ["AlertRelay", "CircuitBreaker", "payload", "running"]

logger = logging.getLogger("vward.monitoring_ingest.relay")

# How each outcome is recorded on the alert row.
_STATUS = {Kind.DELIVERED: "delivered", Kind.REFUSED: "rejected", Kind.RETRY: "retry"}


def payload(row: Any) -> dict[str, Any]:
    """The contract body of POST /v1/internal/alerts."""
    return {
        "alert_id": str(row.id),
        "admission_id": str(row.admission_id),
        "ward_id": str(row.ward_id),
        "kind": row.kind,
        "news2_score": row.news2_score,
        "risk": row.risk,
        "detail": row.detail,
        "raised_at": row.raised_at.astimezone(UTC).isoformat(),
    }


# A 401 or 403 from ward_api means our own services' credentials disagree (a rotated secret,
# a wrong audience): fixable, and no fault of the alert. Rejecting would lose a clinical alert
# for good, so it waits, pending and listed under GET /v1/alerts?state=pending, while the
# breaker keeps the relay from hammering ward_api until the credentials are put right.
HOLD_ON_STATUSES = outbox.RETRYABLE_CLIENT_STATUS | {401, 403}


class AlertRelay(LeasedOutbox[Row[Any], None]):
    """Alerts as a leased outbox: `run()` until stopped, `drain()` in tests."""

    def __init__(
        self,
        engine: AsyncEngine,
        client: WardApiClient,
        settings: IngestSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.client = client
        self.settings = settings
        super().__init__(
            name="alert-relay",
            policy=outbox.OutboxPolicy.from_settings(
                settings, prefix="relay_", retry_client_statuses=HOLD_ON_STATUSES
            ),
            claim=self._claim,
            post=self._post,
            settle=self._settle,
            release=self._release,
            clock=clock,
        )

    async def deliver_once(self) -> int:
        """One round; returns how many alerts were delivered."""
        return (await self.round()).delivered

    async def deliver_round(self) -> Round:
        return await self.round()

    async def _claim(self, limit: int, lease: float, token: uuid.UUID) -> Sequence[Row[Any]]:
        async with self.engine.begin() as conn:
            return await repository.claim(conn, limit=limit, lease_seconds=lease, token=token)

    async def _post(self, row: Row[Any]) -> None:
        await self.client.post_alert(payload(row))

    async def _settle(self, row: Row[Any], token: uuid.UUID, outcome: Outcome[None]) -> bool:
        if outcome.kind == Kind.REFUSED:
            extra = {"alert_id": str(row.id), "error": outcome.error}
            logger.warning("alert rejected by ward_api", extra=extra)
        async with self.engine.begin() as conn:
            return await repository.settle(
                conn,
                alert_id=row.id,
                token=token,
                outcome=_STATUS[outcome.kind],
                error=outcome.error,
                delay=outcome.delay,
            )

    async def _release(self, rows: Sequence[Row[Any]], token: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            await repository.release(conn, alert_ids=[row.id for row in rows], token=token)


@contextlib.asynccontextmanager
async def running(relay: AlertRelay, *, grace_seconds: float = 5.0) -> AsyncIterator[None]:
    """Run the relay and maintenance as background tasks for the duration of the block.

    On exit maintenance is cancelled (each of its steps is one transaction) and the relay
    may finish its round, briefly, so its outcomes are recorded rather than left to leases.
    """
    upkeep = asyncio.create_task(
        maintenance.run_forever(relay.engine, relay.settings), name="ingest-maintenance"
    )
    try:
        async with outbox.running(relay, grace_seconds=grace_seconds):
            try:
                yield
            finally:
                upkeep.cancel()
    finally:
        upkeep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upkeep
