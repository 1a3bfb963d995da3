"""A leased outbox worker: delivers rows of an outbox table to a peer, with no lock held.

The service owns the table and says how to **claim**, **post** and **settle** a row; this
module owns the protocol, the one retry policy, the backoff and the circuit breaker.

One round, safe with any number of replicas:

1. **Claim** (a short transaction of the service's): due pending rows are picked with
   SELECT … FOR UPDATE SKIP LOCKED, given `locked_until = now() + lease` and a fresh
   `lease_token`, and `attempts` is counted; the transaction commits and every row lock is
   gone, so nothing is held while the peer is called.
2. **Post** each row to the peer, up to `concurrency` at once, each call cut off before
   the lease runs out (`lease · (1 − lease_margin)` after the claim), so its outcome can
   still be recorded. A row not posted (the breaker opened meanwhile, or the lease is
   nearly spent) is released untouched, its attempt uncounted.
3. **Settle** (one short transaction per row): only if the row still carries our token.
   Delivered → done. Refused for good (a 4xx other than 408/425/429: retrying the same
   request cannot change the answer) → settled with the reason. Anything else (transport
   error, 5xx, 408/425/429, no answer in time, a malformed answer) → pending again, next
   try after `min(cap, base · 2^(attempts−1)) · U(0.5, 1)`; never dropped. A worker whose
   rows must never be refused for the caller's own misconfiguration adds statuses to its
   policy's `retry_client_statuses` (the alert relay adds 401/403: see relay.py).

Exactly once from the peer's point of view: the peer's endpoint must be idempotent by the
row's id, so a row posted again (its answer lost, its worker dead, its lease run out and
taken over) is answered as before and recorded once. A worker that dies mid-call leaves a
lease that simply runs out; another replica then takes the row over. A worker that
outlives its lease finds its token gone and records nothing.

A circuit breaker stops calls after `breaker_threshold` consecutive failures; after the
cool-down one row is sent as a probe, and when it gets through, delivery resumes in full
at once. A refusal counts as the peer being up.

Example (an alert outbox)::

    outbox = LeasedOutbox(
        name="alert relay", policy=policy,
        claim=claim_alerts, post=post_alert, settle=settle_alert, release=release_alerts,
    )
    async with running(outbox):
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from shared.http_client import PeerError, PeerUnavailable

__all__ = [
    "RETRYABLE_CLIENT_STATUS",
    "CircuitBreaker",
    "Claimed",
    "Kind",
    "LeasedOutbox",
    "OutboxPolicy",
    "Outcome",
    "Round",
    "backoff_seconds",
    "describe",
    "is_retryable",
    "running",
]

logger = logging.getLogger("vward.outbox")

# Only these 4xx may succeed unchanged later; any other 4xx is the peer's final word.
RETRYABLE_CLIENT_STATUS = frozenset({408, 425, 429})


def is_retryable(exc: PeerError, client_statuses: frozenset[int] = RETRYABLE_CLIENT_STATUS) -> bool:
    """The one retry policy: transport errors, no answer, 5xx and `client_statuses`."""
    if isinstance(exc, PeerUnavailable) or exc.status is None:
        return True
    return exc.status >= 500 or exc.status in client_statuses


def backoff_seconds(
    attempts: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Delay after the `attempts`-th failed try: exponential, capped, jittered to 50–100%."""
    exponent = min(max(attempts - 1, 0), 62)
    ceiling = min(cap, base * 2.0**exponent)
    jitter = rng.uniform(0.5, 1.0) if rng is not None else random.uniform(0.5, 1.0)  # noqa: S311
    return ceiling * jitter


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


class Kind(StrEnum):
    """What posting one row achieved."""

    DELIVERED = "delivered"
    REFUSED = "refused"  # the peer's final word: settled, never retried
    RETRY = "retry"
    SKIPPED = "skipped"  # not posted: released, attempt uncounted


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """One row's outcome: its kind, why (if not delivered), the peer's answer, the retry delay."""

    kind: Kind
    error: str | None = None
    result: R | None = None
    delay: float = 0.0  # seconds before the next try; set by the worker for RETRY


@dataclass(frozen=True, slots=True)
class Round:
    """How many rows one round claimed, and how many it delivered and saw refused."""

    claimed: int = 0
    delivered: int = 0
    refused: int = 0

    def __add__(self, other: Round) -> Round:
        return Round(
            self.claimed + other.claimed,
            self.delivered + other.delivered,
            self.refused + other.refused,
        )


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    """How one worker paces itself; each service builds it from its own settings."""

    batch_size: int
    concurrency: int
    lease_seconds: float
    poll_seconds: float
    backoff_base_seconds: float
    backoff_max_seconds: float
    breaker_threshold: int
    breaker_cooldown_seconds: float
    lease_margin: float = 0.2  # calls end this share of the lease before it runs out
    retry_client_statuses: frozenset[int] = RETRYABLE_CLIENT_STATUS

    @classmethod
    def from_settings(
        cls,
        settings: object,
        *,
        prefix: str,
        lease_margin: float = 0.2,
        retry_client_statuses: frozenset[int] = RETRYABLE_CLIENT_STATUS,
    ) -> OutboxPolicy:
        """Read `<prefix>batch_size`, `<prefix>lease_seconds`, … from a service's settings.

        Each service keeps its own names (so its environment variables keep working) in one
        pattern, e.g. `relay_` → INGEST_RELAY_BATCH_SIZE, `binding_` → WARD_BINDING_BATCH_SIZE.
        """

        def number(name: str) -> float:
            value = getattr(settings, prefix + name)
            if not isinstance(value, int | float):
                raise TypeError(f"{prefix}{name} must be a number, not {value!r}")
            return value

        return cls(
            batch_size=int(number("batch_size")),
            concurrency=int(number("concurrency")),
            lease_seconds=number("lease_seconds"),
            poll_seconds=number("poll_seconds"),
            backoff_base_seconds=number("backoff_base_seconds"),
            backoff_max_seconds=number("backoff_max_seconds"),
            breaker_threshold=int(number("breaker_threshold")),
            breaker_cooldown_seconds=number("breaker_cooldown_seconds"),
            lease_margin=lease_margin,
            retry_client_statuses=retry_client_statuses,
        )


class Claimed(Protocol):
    """A claimed row: its attempt count includes the one being made."""

    @property
    def attempts(self) -> int: ...


T = TypeVar("T", bound=Claimed)

Claim = Callable[[int, float, uuid.UUID], Awaitable[Sequence[T]]]
"""`claim(limit, lease_seconds, token)`: lease up to `limit` due rows, committed."""
Post = Callable[[T], Awaitable[R]]
"""`post(row)`: call the peer; raise PeerError (or anything) when it did not work."""
Settle = Callable[[T, uuid.UUID, Outcome[R]], Awaitable[bool]]
"""`settle(row, token, outcome)`: record it if the row is still ours; False if not."""
Release = Callable[[Sequence[T], uuid.UUID], Awaitable[None]]
"""`release(rows, token)`: hand back unposted rows, uncounting their attempt."""


def describe(exc: PeerError) -> str:
    """A peer's refusal in one short line, for `last_error`."""
    return f"{exc.status or 'no answer'} {exc.type or ''} {exc.detail}".replace("  ", " ")[:500]


class LeasedOutbox(Generic[T, R]):
    """Claims, posts and settles rows; `run()` until stopped, `round()`/`drain()` in tests.

    Use it as it is, or subclass it and pass the subclass's own bound methods as the
    claim / post / settle / release parameters.
    """

    def __init__(
        self,
        *,
        name: str,
        policy: OutboxPolicy,
        claim: Claim[T],
        post: Post[T, R],
        settle: Settle[T, R],
        release: Release[T],
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.policy = policy
        self._claim_rows = claim
        self._post_row = post
        self._settle_row = settle
        self._release_rows = release
        self.clock = clock
        self.rng = rng
        self.breaker = CircuitBreaker(
            policy.breaker_threshold, policy.breaker_cooldown_seconds, clock
        )
        self._stop = asyncio.Event()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after the `attempts`-th failed one."""
        p = self.policy
        return backoff_seconds(
            attempts, base=p.backoff_base_seconds, cap=p.backoff_max_seconds, rng=self.rng
        )

    async def round(self) -> Round:
        """Deliver what is due; while half-open, probe with one row first, then resume all."""
        if not self.breaker.allows():
            return Round()
        done = Round()
        if self.breaker.state == "half_open":
            done = await self._round(limit=1, probe=True)
            if self.breaker.state != "closed":
                return done  # the probe failed (or found nothing due): wait for the cool-down
        return done + await self._round(limit=self.policy.batch_size)

    async def _round(self, *, limit: int, probe: bool = False) -> Round:
        token = uuid.uuid4()
        lease = self.policy.lease_seconds
        deadline = self.clock() + lease * (1 - self.policy.lease_margin)  # before the database's
        rows = await self._claim_rows(limit, lease, token)
        if not rows:
            return Round()
        gate = asyncio.Semaphore(self.policy.concurrency)
        skipped: list[T] = []

        async def one(row: T) -> Kind:
            async with gate:
                # A full round goes on only while the breaker stays closed; a probe may go
                # half-open.
                allowed = self.breaker.state == "closed" or (probe and self.breaker.allows())
                budget = deadline - self.clock()
                if not allowed or budget <= 0:
                    skipped.append(row)
                    return Kind.SKIPPED
                outcome = await self.attempt(row, budget=budget)
            try:
                if not await self._settle_row(row, token, outcome):
                    logger.warning(
                        "%s: lease lost; outcome dropped",
                        self.name,
                        extra={"outcome": str(outcome.kind)},
                    )
            except Exception:  # the lease runs out and the row is posted again (idempotent)
                logger.exception("%s: could not record an outcome", self.name)
            return outcome.kind

        kinds = await asyncio.gather(*(one(row) for row in rows))
        if skipped:
            try:
                await self._release_rows(skipped, token)
            except Exception:  # their lease runs out instead
                logger.exception("%s: could not release unposted rows", self.name)
        return Round(len(rows), kinds.count(Kind.DELIVERED), kinds.count(Kind.REFUSED))

    async def attempt(self, row: T, *, budget: float) -> Outcome[R]:
        """Post one row within `budget` seconds and classify the result; feeds the breaker."""
        try:
            async with asyncio.timeout(budget):
                result = await self._post_row(row)
        except PeerError as exc:
            if is_retryable(exc, self.policy.retry_client_statuses):
                self.breaker.failure()
                return self._retry(row, describe(exc))
            self.breaker.success()  # the peer answered: it is up
            return Outcome(Kind.REFUSED, describe(exc))
        except TimeoutError:
            self.breaker.failure()
            return self._retry(row, f"no answer within {budget:.1f} s (lease)")
        except Exception as exc:  # our bug, not the peer's: keep the row, say why, try later
            logger.warning("%s: post failed unexpectedly", self.name, exc_info=True)
            return self._retry(row, f"{type(exc).__name__}: {exc}"[:500])
        self.breaker.success()
        return Outcome(Kind.DELIVERED, result=result)

    def _retry(self, row: T, error: str) -> Outcome[R]:
        return Outcome(Kind.RETRY, error, delay=self.backoff(row.attempts))

    async def drain(self, *, within_seconds: float) -> Round:
        """Deliver until a round settles nothing for good or the time is up (tests, shutdown)."""
        deadline = self.clock() + within_seconds
        total = Round()
        while self.clock() < deadline:
            done = await self.round()
            total += done
            if not (done.delivered or done.refused):
                break
        return total

    async def run(self) -> None:
        """Until stopped: deliver what is due; when idle, sleep a jittered poll interval."""
        poll = self.policy.poll_seconds
        uniform = self.rng.uniform if self.rng is not None else random.uniform
        while not self._stop.is_set():
            try:
                done = await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive any one failure (database restarts)
                logger.exception("%s: round failed", self.name)
                done = Round()
            if done.claimed < self.policy.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), poll * uniform(0.5, 1.5))

    def stop(self) -> None:
        self._stop.set()


@contextlib.asynccontextmanager
async def running(outbox: LeasedOutbox[T, R], *, grace_seconds: float = 5.0) -> AsyncIterator[None]:
    """Run the worker for the duration of the block; on exit let its round finish, briefly.

    Finishing the round records its outcomes rather than leaving them to leases.
    """
    task = asyncio.create_task(outbox.run(), name=outbox.name)
    try:
        yield
    finally:
        outbox.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        except TimeoutError:  # a call outlived the grace period: its lease will run out
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
