"""The outbox relay: delivers pending alerts to ward_api, exactly once from its point of view.

Safe with several replicas: each claims rows with SELECT ... FOR UPDATE SKIP LOCKED and holds
them while delivering. Delivery is idempotent by alert id at ward_api, so a delivery whose
answer was lost is simply repeated. Transient failures (transport, 5xx, 401/403/408/429)
back off exponentially with jitter per alert; a circuit breaker stops calls altogether after
repeated failures and probes again after a cool-down. Any other 4xx (unknown admission,
ward mismatch, id reused) is permanent: the alert is marked `rejected` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest.alerts import maintenance
from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from shared.http_client import PeerError, PeerUnavailable

logger = logging.getLogger("vward.monitoring_ingest.relay")

RETRYABLE_CLIENT_STATUS = frozenset({401, 403, 408, 429})

_CLAIM = text(
    """
    SELECT id, admission_id, ward_id, kind, news2_score, risk, detail, raised_at, attempts
    FROM monitoring.alerts
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY raised_at
    LIMIT :n
    FOR UPDATE SKIP LOCKED
    """
)
_DELIVERED = text(
    "UPDATE monitoring.alerts SET status = 'delivered', delivered_at = now(), "
    "attempts = attempts + 1, last_error = NULL WHERE id = :id"
)
_REJECTED = text(
    "UPDATE monitoring.alerts SET status = 'rejected', attempts = attempts + 1, "
    "last_error = :error WHERE id = :id"
)
_RETRY = text(
    "UPDATE monitoring.alerts SET attempts = attempts + 1, last_error = :error, "
    "next_attempt_at = now() + make_interval(secs => :delay) WHERE id = :id"
)


class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures → half-open after `cooldown`."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allows(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock()  # a failed half-open probe re-opens


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


class AlertRelay:
    """Polls the outbox and delivers; also runs periodic maintenance (missed readings)."""

    def __init__(
        self, engine: AsyncEngine, client: WardApiClient, settings: IngestSettings
    ) -> None:
        self.engine = engine
        self.client = client
        self.settings = settings
        self.breaker = CircuitBreaker(
            settings.relay_breaker_threshold, settings.relay_breaker_cooldown_seconds
        )
        self._last_maintenance = 0.0

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try: exponential in attempts, capped, with jitter."""
        s = self.settings
        delay = min(s.relay_backoff_max_seconds, s.relay_backoff_base_seconds * 2**attempts)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not security)

    async def deliver_once(self) -> int:
        """Claim and deliver one batch; returns how many alerts were delivered."""
        if not self.breaker.allows():
            return 0
        delivered = 0
        async with self.engine.begin() as conn:
            rows = (await conn.execute(_CLAIM, {"n": self.settings.relay_batch_size})).all()
            for row in rows:
                if not self.breaker.allows():
                    break  # the rest stay pending, untouched
                try:
                    await self.client.post_alert(payload(row))
                except PeerUnavailable as exc:
                    await self._retry(conn, row, exc)
                    continue
                except PeerError as exc:
                    if exc.status in RETRYABLE_CLIENT_STATUS:
                        await self._retry(conn, row, exc)
                        continue
                    self.breaker.success()  # the peer answered: it is up
                    logger.warning(
                        "alert rejected by ward_api",
                        extra={"alert_id": str(row.id), "status": exc.status, "type": exc.type},
                    )
                    error = f"{exc.status} {exc.type or ''} {exc.detail}"[:500]
                    await conn.execute(_REJECTED, {"id": row.id, "error": error})
                    continue
                self.breaker.success()
                await conn.execute(_DELIVERED, {"id": row.id})
                delivered += 1
        return delivered

    async def _retry(self, conn: Any, row: Any, exc: Exception) -> None:
        self.breaker.failure()
        delay = self.backoff(row.attempts)
        await conn.execute(_RETRY, {"id": row.id, "error": str(exc)[:500], "delay": delay})

    async def drain(self, *, within_seconds: float) -> int:
        """Deliver until nothing is due or the time is up (tests, shutdown)."""
        deadline = time.monotonic() + within_seconds
        total = 0
        while time.monotonic() < deadline:
            delivered = await self.deliver_once()
            total += delivered
            if not delivered:
                break
        return total

    async def run(self) -> None:
        """Forever: deliver what is due, run maintenance on its interval, sleep briefly."""
        while True:
            try:
                if time.monotonic() - self._last_maintenance >= (
                    self.settings.maintenance_interval_seconds
                ):
                    self._last_maintenance = time.monotonic()
                    await maintenance.run(self.engine, self.settings)
                delivered = await self.deliver_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the relay must outlive any one failure (database restarts)
                logger.exception("outbox relay iteration failed")
                delivered = 0
            if delivered < self.settings.relay_batch_size:
                await asyncio.sleep(self.settings.relay_poll_seconds)


@contextlib.asynccontextmanager
async def running(relay: AlertRelay):  # type: ignore[no-untyped-def]
    """Run the relay as a background task for the duration of the block."""
    task = asyncio.create_task(relay.run(), name="alert-relay")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
