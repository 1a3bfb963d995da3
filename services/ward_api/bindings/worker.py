"""The binding worker: delivers outbox commands to monitoring_ingest, with no lock held.

The lease / SKIP LOCKED protocol, why it is exactly once, the retry policy, the backoff and
the circuit breaker live in `shared/outbox.py`; this module says only how a command is
claimed (bindings/repository.py: an unbind never overtakes its bind, a reused device is
freed before it is rebound), sent (PUT to bind, DELETE to unbind, both idempotent at the
peer) and settled, mirrored on the admission:

- delivered → the admission becomes `bound`, or `unbound` with the readings
  monitoring_ingest counted;
- refused for good → the command is `failed` (the admission's unbind, if any, is skipped);
- anything else → back to pending, with the try noted on the admission; never dropped.

Each call is cut off at half the lease (the settings check the HTTP timeout fits in it).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ward_api.bindings import repository
from services.ward_api.clients.monitoring_ingest import MonitoringClient
from services.ward_api.settings import WardSettings
from shared import outbox
from shared.outbox import Kind, LeasedOutbox, Outcome, backoff_seconds

__all__ = ["BindingWorker", "backoff_seconds", "running"]

logger = logging.getLogger("vward.ward_api.bindings")

Answer = dict[str, Any]


class BindingWorker(LeasedOutbox[Row[Any], Answer]):
    """Binding commands as a leased outbox: `run()` until stopped, `drain()` in tests."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: MonitoringClient,
        settings: WardSettings,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.client = client
        self.settings = settings
        super().__init__(
            name="binding-worker",
            policy=outbox.OutboxPolicy.from_settings(settings, prefix="binding_", lease_margin=0.5),
            claim=self._claim,
            post=self._send,
            settle=self._record,
            release=self._release,
        )

    @property
    def call_budget(self) -> float:
        """Seconds one call may take: well inside the lease, so it ends before the lease does."""
        return self.settings.binding_lease_seconds / 2

    async def deliver_once(self) -> int:
        """Claim one batch, deliver it, record outcomes; returns how many were claimed."""
        return (await self.round()).claimed

    async def _call(self, command: Any) -> Outcome[Answer]:
        """Send one command within the call budget and classify the answer."""
        return await self.attempt(command, budget=self.call_budget)

    async def _claim(self, limit: int, lease: float, token: uuid.UUID) -> Sequence[Row[Any]]:
        async with self.sessionmaker() as session, session.begin():
            return await repository.claim(session, limit=limit, lease_seconds=lease, token=token)

    async def _release(self, commands: Sequence[Row[Any]], token: uuid.UUID) -> None:
        async with self.sessionmaker() as session, session.begin():
            await repository.release(session, command_ids=[c.id for c in commands], token=token)

    async def _send(self, command: Any) -> Answer:
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
            return {}
        answer = await self.client.unbind_device(
            vendor_id=command.vendor_id,
            device_id=command.device_id,
            admission_id=command.admission_id,
            unbound_at=command.payload.get("unbound_at"),
        )
        return answer.model_dump(mode="json")

    async def _record(self, command: Any, token: uuid.UUID, outcome: Outcome[Answer]) -> bool:
        values: dict[str, Any]
        async with self.sessionmaker() as session, session.begin():
            if outcome.kind == Kind.DELIVERED:
                values = {
                    "status": "delivered",
                    "delivered_at": func.now(),
                    "last_error": None,
                    "result": outcome.result or None,
                }
            elif outcome.kind == Kind.REFUSED:
                values = {"status": "failed", "last_error": outcome.error}
            else:
                values = {
                    "next_attempt_at": func.now() + timedelta(seconds=outcome.delay),
                    "last_error": outcome.error,
                }
            if not await repository.settle(
                session, command_id=command.id, token=token, values=values
            ):
                return False
            await self._apply(session, command, outcome)
        # A refusal is settled for good (never retried): say so where operators look.
        logger.log(
            logging.WARNING if outcome.kind == Kind.REFUSED else logging.INFO,
            "binding command %s",
            outcome.kind,
            extra={
                "id": command.id,
                "kind": command.kind,
                "attempts": command.attempts,
                "error": outcome.error,
            },
        )
        return True

    async def _apply(self, session: AsyncSession, command: Any, outcome: Outcome[Answer]) -> None:
        """Mirror the outcome on the admission (conditionally: never undo a newer state)."""
        admission_id, bind = command.admission_id, command.kind == "bind"
        if outcome.kind == Kind.DELIVERED and bind:
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["pending"],
                values={"binding_status": "bound", "binding_detail": None},
            )
        elif outcome.kind == Kind.DELIVERED:
            result = outcome.result or {}
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["unbind_pending"],
                values={
                    "binding_status": "unbound",
                    "binding_detail": None,
                    "readings_expected": result["readings_expected"],
                    "readings_received": result["readings_received"],
                },
            )
        elif outcome.kind == Kind.REFUSED and bind:
            detail = f"monitoring_ingest refused the binding: {outcome.error}"[:300]
            await repository.set_admission_binding(
                session,
                admission_id,
                when=["pending", "unbind_pending"],
                values={"binding_status": "failed", "binding_detail": detail},
            )
            await repository.skip_pending_unbind(session, admission_id, "the bind was refused")
        elif outcome.kind == Kind.REFUSED:
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


@contextlib.asynccontextmanager
async def running(worker: BindingWorker, *, grace_seconds: float = 5.0) -> AsyncIterator[None]:
    """Run the worker for the duration of the block; on exit let its round finish, briefly."""
    async with outbox.running(worker, grace_seconds=grace_seconds):
        yield
