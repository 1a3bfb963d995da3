"""The outbox relay: delivers pending alerts to ward_api, with no transaction open meanwhile.

One round, safe with any number of replicas (the model is ward_api's binding worker):

1. **Claim** (a short transaction): due pending alerts are picked with SELECT … FOR UPDATE
   SKIP LOCKED, given `locked_until = now() + lease` and a fresh `lease_token`, and
   `attempts` is counted; the transaction commits and every row lock is gone.
2. **Post** each alert to ward_api, up to `relay_concurrency` at once, each call cut off
   before the lease runs out. An alert not posted (the breaker opened meanwhile, or the
   lease is nearly spent) is released untouched, its attempt uncounted.
3. **Record** (one short transaction per alert): only if the row still carries our token.
   Delivered → `delivered`. Refused for good (a 4xx other than 401/403/408/429: unknown
   admission, ward mismatch, id reused) → `rejected` with the reason. Anything else
   (transport, 5xx, those 4xx, no answer in time) → pending again, next try after
   `min(cap, base · 2^(attempts−1)) · U(0.5, 1)`.

Exactly once from ward_api's point of view: its endpoint is idempotent by alert id, so an
alert posted again (its answer lost, its relay dead, its lease run out and taken over)
is answered 200 and recorded once. A relay that outlives its lease records nothing.

A circuit breaker stops calls after `relay_breaker_threshold` consecutive failures; after
the cool-down one alert is sent as a probe, and when it gets through, delivery resumes in
full at once. Periodic maintenance (maintenance.py) runs as a task of its own, so
neither its duration nor its failure holds up delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.monitoring_ingest import maintenance
from services.monitoring_ingest.alerts import repository
from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from shared.http_client import PeerError, PeerUnavailable

logger = logging.getLogger("vward.monitoring_ingest.relay")

RETRYABLE_CLIENT_STATUS = frozenset({401, 403, 408, 429})
# Calls must end this long before the lease does, so their outcome can still be recorded.
LEASE_MARGIN = 0.2

DELIVERED, REJECTED, RETRY, SKIPPED = "delivered", "rejected", "retry", "skipped"


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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What posting one alert achieved: delivered, rejected, retry, or skipped (not posted)."""

    kind: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Round:
    """How many alerts one round claimed and how many of them ward_api now has."""

    claimed: int = 0
    delivered: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(self.claimed + other.claimed, self.delivered + other.delivered)


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


def _describe(exc: PeerError) -> str:
    return f"{exc.status or 'no answer'} {exc.type or ''} {exc.detail}".replace("  ", " ")[:500]


class AlertRelay:
    """Claims, posts and records alerts; `run()` until stopped, `drain()` in tests."""

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
        self.clock = clock
        self.breaker = CircuitBreaker(
            settings.relay_breaker_threshold, settings.relay_breaker_cooldown_seconds, clock
        )
        self._stop = asyncio.Event()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after `attempts` earlier failed tries, jittered."""
        s = self.settings
        exponent = min(max(attempts, 0), 62)
        delay = min(s.relay_backoff_max_seconds, s.relay_backoff_base_seconds * 2**exponent)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not security)

    async def deliver_once(self) -> int:
        """One round; returns how many alerts were delivered."""
        return (await self.deliver_round()).delivered

    async def deliver_round(self) -> Round:
        """Deliver what is due; while half-open, probe with one alert first, then resume all."""
        if not self.breaker.allows():
            return Round()
        done = Round()
        if self.breaker.state == "half_open":
            done = await self._round(limit=1, probe=True)
            if self.breaker.state != "closed":
                return done  # the probe failed (or found nothing due): wait for the cool-down
        return done + await self._round(limit=self.settings.relay_batch_size)

    async def _round(self, *, limit: int, probe: bool = False) -> Round:
        token = uuid.uuid4()
        lease = self.settings.relay_lease_seconds
        deadline = self.clock() + lease * (1 - LEASE_MARGIN)  # before the database's clock
        async with self.engine.begin() as conn:
            rows = await repository.claim(conn, limit=limit, lease_seconds=lease, token=token)
        if not rows:
            return Round()
        gate = asyncio.Semaphore(self.settings.relay_concurrency)
        skipped: list[uuid.UUID] = []

        async def one(row: Any) -> bool:
            async with gate:
                outcome = await self._post(row, deadline, probe=probe)
            if outcome.kind == SKIPPED:
                skipped.append(row.id)
                return False
            try:
                await self._record(row, token, outcome)
            except Exception:  # the lease runs out and the alert is posted again (idempotent)
                logger.exception("could not record an alert outcome", extra={"id": str(row.id)})
            return outcome.kind == DELIVERED

        delivered = sum(await asyncio.gather(*(one(row) for row in rows)))
        if skipped:
            try:
                async with self.engine.begin() as conn:
                    await repository.release(conn, alert_ids=skipped, token=token)
            except Exception:  # their lease runs out instead
                logger.exception("could not release unposted alerts")
        return Round(len(rows), delivered)

    async def _post(self, row: Any, deadline: float, *, probe: bool) -> Outcome:
        budget = deadline - self.clock()
        # A full round goes on only while the breaker stays closed; a probe may go half-open.
        allowed = self.breaker.state == "closed" or (probe and self.breaker.allows())
        if not allowed or budget <= 0:
            return Outcome(SKIPPED)
        try:
            async with asyncio.timeout(budget):
                await self.client.post_alert(payload(row))
        except PeerUnavailable as exc:
            self.breaker.failure()
            return Outcome(RETRY, _describe(exc))
        except PeerError as exc:
            if exc.status in RETRYABLE_CLIENT_STATUS:
                self.breaker.failure()
                return Outcome(RETRY, _describe(exc))
            self.breaker.success()  # the peer answered: it is up
            logger.warning(
                "alert rejected by ward_api",
                extra={"alert_id": str(row.id), "status": exc.status, "type": exc.type},
            )
            return Outcome(REJECTED, _describe(exc))
        except TimeoutError:
            self.breaker.failure()
            return Outcome(RETRY, f"no answer within {budget:.1f} s (lease)")
        except Exception as exc:  # our bug, not the peer's: keep the alert, say why, try later
            logger.warning("alert post failed unexpectedly", exc_info=True)
            return Outcome(RETRY, f"{type(exc).__name__}: {exc}"[:500])
        self.breaker.success()
        return Outcome(DELIVERED)

    async def _record(self, row: Any, token: uuid.UUID, outcome: Outcome) -> None:
        delay = self.backoff(row.attempts - 1) if outcome.kind == RETRY else 0.0
        async with self.engine.begin() as conn:
            settled = await repository.settle(
                conn,
                alert_id=row.id,
                token=token,
                outcome=outcome.kind,
                error=outcome.error,
                delay=delay,
            )
        if not settled:
            logger.warning(
                "alert lease lost; outcome dropped",
                extra={"alert_id": str(row.id), "outcome": outcome.kind},
            )

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
        """Until stopped: deliver what is due; when idle, sleep a jittered poll interval."""
        poll = self.settings.relay_poll_seconds
        while not self._stop.is_set():
            try:
                done = await self.deliver_round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the relay must outlive any one failure (database restarts)
                logger.exception("outbox relay round failed")
                done = Round()
            if done.claimed < self.settings.relay_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), poll * random.uniform(0.5, 1.5))  # noqa: S311

    def stop(self) -> None:
        self._stop.set()


@contextlib.asynccontextmanager
async def running(relay: AlertRelay, *, grace_seconds: float = 5.0) -> AsyncIterator[None]:
    """Run the relay and maintenance as background tasks for the duration of the block.

    On exit maintenance is cancelled (each of its steps is one transaction) and the relay
    may finish its round, briefly, so its outcomes are recorded rather than left to leases.
    """
    relay_task = asyncio.create_task(relay.run(), name="alert-relay")
    upkeep = asyncio.create_task(
        maintenance.run_forever(relay.engine, relay.settings), name="ingest-maintenance"
    )
    try:
        yield
    finally:
        upkeep.cancel()
        relay.stop()
        try:
            await asyncio.wait_for(asyncio.shield(relay_task), grace_seconds)
        except TimeoutError:  # a call outlived the grace period: its lease will run out
            relay_task.cancel()
        for task in (relay_task, upkeep):
            with contextlib.suppress(asyncio.CancelledError):
                await task
