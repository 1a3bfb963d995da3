"""The binding worker: delivers outbox commands to monitoring_ingest, with no lock held.

One round, safe with any number of replicas:

1. **Claim** (a short transaction): due pending rows are picked with SELECT … FOR UPDATE
   SKIP LOCKED, given `locked_until = now() + lease` and a fresh `lease_token`, and
   `attempts` is counted; then the transaction commits and every row lock is gone.
2. **Call** monitoring_ingest (PUT to bind, DELETE to unbind), concurrently up to a limit,
   each call cut off well inside the lease. Both calls are idempotent at the peer, so a
   call repeated after a crash or a lost answer does no harm.
3. **Record** (one short transaction per command): only if the row still carries our
   token. Delivered → the admission becomes `bound`, or `unbound` with the readings
   monitoring_ingest counted. Refused for good (any 4xx but 408/425/429) → `failed`
   (the admission's unbind, if any, is skipped). Anything else → back to pending with
   `next_attempt_at = now() + min(cap, base · 2^(attempts−1)) · U(0.5, 1)`; never dropped.

A worker that dies mid-call leaves a lease that simply runs out; another replica then takes
the row over. A worker that outlives its lease finds its token gone and records nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ward_api.bindings import repository
from services.ward_api.clients.monitoring_ingest import MonitoringClient
from services.ward_api.settings import WardSettings
from shared.http_client import PeerError, PeerUnavailable

logger = logging.getLogger("vward.ward_api.bindings")

# Only these 4xx may succeed unchanged later; any other 4xx is the peer's final word.
RETRYABLE_CLIENT_STATUS = frozenset({408, 425, 429})


def backoff_seconds(
    attempts: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Delay after the `attempts`-th failed try: exponential, capped, jittered to 50–100%."""
    exponent = min(max(attempts - 1, 0), 62)
    ceiling = min(cap, base * 2**exponent)
    return ceiling * (rng or random).uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one call achieved: delivered (with the peer's answer), refused, or to retry."""

    kind: str  # delivered | refused | retry
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


def _describe(exc: PeerError) -> str:
    return f"{exc.status or 'no answer'} {exc.type or ''} {exc.detail}".replace("  ", " ")[:500]


class BindingWorker:
    """Claims, delivers and records binding commands; `run()` forever, `drain()` in tests."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: MonitoringClient,
        settings: WardSettings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.client = client
        self.settings = settings
        self._stop = asyncio.Event()

    def backoff(self, attempts: int) -> float:
        s = self.settings
        return backoff_seconds(
            attempts, base=s.binding_backoff_base_seconds, cap=s.binding_backoff_max_seconds
        )

    @property
    def call_budget(self) -> float:
        """Seconds one call may take: well inside the lease, so it ends before the lease does."""
        return self.settings.binding_lease_seconds / 2

    async def deliver_once(self) -> int:
        """Claim one batch, deliver it, record outcomes; returns how many were claimed."""
        token = uuid.uuid4()
        async with self.sessionmaker() as session, session.begin():
            claimed = await repository.claim(
                session,
                limit=self.settings.binding_batch_size,
                lease_seconds=self.settings.binding_lease_seconds,
                token=token,
            )
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.settings.binding_concurrency)

        async def one(command: Any) -> None:
            async with gate:
                outcome = await self._call(command)
            try:
                await self._record(command, token, outcome)
            except Exception:  # the lease runs out and the command is tried again
                logger.exception("could not record a binding outcome", extra={"id": command.id})

        await asyncio.gather(*(one(c) for c in claimed))
        return len(claimed)

    async def _call(self, command: Any) -> Outcome:
        try:
            async with asyncio.timeout(self.call_budget):
                if command.kind == "bind":
                    await self.client.bind_device(
                        vendor_id=command.vendor_id,
                        device_id=command.device_id,
                        admission_id=command.admission_id,
                        ward_id=uuid.UUID(command.payload["ward_id"]),
                        icb_codes=command.payload.get("icb_codes"),
                        expected_interval_minutes=command.payload["expected_interval_minutes"],
                        bound_at=datetime.fromisoformat(command.payload["bound_at"]),
                    )
                    return Outcome("delivered")
                answer = await self.client.unbind_device(
                    vendor_id=command.vendor_id,
                    device_id=command.device_id,
                    admission_id=command.admission_id,
                    unbound_at=command.payload.get("unbound_at"),
                )
                return Outcome("delivered", result=answer.model_dump(mode="json"))
        except PeerUnavailable as exc:
            return Outcome("retry", _describe(exc))
        except PeerError as exc:
            if exc.status in RETRYABLE_CLIENT_STATUS:
                return Outcome("retry", _describe(exc))
            return Outcome("refused", _describe(exc))
        except TimeoutError:
            return Outcome("retry", f"no answer within {self.call_budget:g} s")
        except Exception as exc:  # a malformed answer: keep the command, say why, try later
            logger.warning("binding call failed unexpectedly", exc_info=True)
            return Outcome("retry", f"{type(exc).__name__}: {exc}"[:500])

    async def _record(self, command: Any, token: uuid.UUID, outcome: Outcome) -> None:
        async with self.sessionmaker() as session, session.begin():
            if outcome.kind == "delivered":
                values = {
                    "status": "delivered",
                    "delivered_at": func.now(),
                    "last_error": None,
                    "result": outcome.result or None,
                }
            elif outcome.kind == "refused":
                values = {"status": "failed", "last_error": outcome.error}
            else:
                delay = self.backoff(command.attempts)
                values = {
                    "next_attempt_at": func.now() + timedelta(seconds=delay),
                    "last_error": outcome.error,
                }
            if not await repository.settle(
                session, command_id=command.id, token=token, values=values
            ):
                logger.warning("binding lease lost; outcome dropped", extra={"id": command.id})
                return
            await self._apply(session, command, outcome)
        # A refusal is settled for good (never retried): say so where operators look.
        logger.log(
            logging.WARNING if outcome.kind == "refused" else logging.INFO,
            "binding command %s",
            outcome.kind,
            extra={
                "id": command.id,
                "kind": command.kind,
                "attempts": command.attempts,
                "error": outcome.error,
            },
        )

    async def _apply(self, session: AsyncSession, command: Any, outcome: Outcome) -> None:
        """Mirror the outcome on the admission (conditionally: never undo a newer state)."""
        admission_id, bind = command.admission_id, command.kind == "bind"
        if outcome.kind == "delivered" and bind:
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["pending"],
                values={"binding_status": "bound", "binding_detail": None},
            )
        elif outcome.kind == "delivered":
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["unbind_pending"],
                values={
                    "binding_status": "unbound",
                    "binding_detail": None,
                    "readings_expected": outcome.result["readings_expected"],
                    "readings_received": outcome.result["readings_received"],
                },
            )
        elif outcome.kind == "refused" and bind:
            detail = f"monitoring_ingest refused the binding: {outcome.error}"[:300]
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["pending", "unbind_pending"],
                values={"binding_status": "failed", "binding_detail": detail},
            )
            await repository.skip_pending_unbind(session, admission_id, "the bind was refused")
        elif outcome.kind == "refused":
            detail = f"monitoring_ingest refused the unbinding: {outcome.error}"[:300]
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["unbind_pending"],
                values={"binding_status": "unbind_failed", "binding_detail": detail},
            )
        else:
            detail = f"{command.kind} try {command.attempts} failed, will retry: {outcome.error}"
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["pending"] if bind else ["unbind_pending"],
                values={"binding_detail": detail[:300]},
            )

    async def drain(self, *, within_seconds: float) -> int:
        """Deliver until nothing is due or the time is up (tests, shutdown)."""
        loop = asyncio.get_running_loop()
        deadline, total = loop.time() + within_seconds, 0
        while loop.time() < deadline:
            claimed = await self.deliver_once()
            total += claimed
            if not claimed:
                break
        return total

    async def run(self) -> None:
        """Until stopped: deliver what is due; when idle, sleep a jittered poll interval."""
        poll = self.settings.binding_poll_seconds
        while not self._stop.is_set():
            try:
                claimed = await self.deliver_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the worker must outlive any one failure (database restarts)
                logger.exception("binding worker round failed")
                claimed = 0
            if claimed < self.settings.binding_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), poll * random.uniform(0.5, 1.5))  # noqa: S311

    def stop(self) -> None:
        self._stop.set()


@contextlib.asynccontextmanager
async def running(worker: BindingWorker, *, grace_seconds: float = 5.0) -> AsyncIterator[None]:
    """Run the worker for the duration of the block; on exit let its round finish, briefly."""
    task = asyncio.create_task(worker.run(), name="binding-worker")
    try:
        yield
    finally:
        worker.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        except TimeoutError:  # a call outlived the grace period: its lease will run out
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
