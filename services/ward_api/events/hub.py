"""One LISTEN connection per process, waking the streams it serves when an event commits.

Any replica's commit NOTIFYs `ward_events` with the ward's id and ICB codes; every replica's
hub hears it and sets the wake flag of each local stream whose scope covers that ward. A wake
carries nothing: the stream reads the table after its last id, so a lost NOTIFY (a listener
reconnecting, a full queue) costs latency, never an event. Each stream's queue holds one
pending wake, so a burst of events or a stalled client never grows memory; streams hold no
database connection between reads. If the listener connection drops, the hub reconnects and
wakes every stream, which catches up from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import asyncpg

from services.ward_api.events.repository import CHANNEL

log = logging.getLogger(__name__)

LISTENER_NAME = "ward_api-events"  # application_name of the LISTEN connection
# Whether a stream could show an event of (ward id, the ward's ICB codes).
Wants = Callable[[str, tuple[str, ...]], bool]


class StreamCapReached(Exception):
    """The caller already has as many open streams as the cap allows."""


@dataclass(eq=False)
class Subscription:
    """One open stream: which wards wake it (None: any), and its one-slot wake queue."""

    caller: str
    wants: Wants
    wake_queue: asyncio.Queue[None] = field(default_factory=lambda: asyncio.Queue(maxsize=1))

    def wake(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # one pending wake is as good as many
            self.wake_queue.put_nowait(None)

    def clear(self) -> None:
        """Forget a pending wake: called just before reading, so a later NOTIFY still wakes."""
        with contextlib.suppress(asyncio.QueueEmpty):
            self.wake_queue.get_nowait()

    async def wait(self, seconds: float) -> bool:
        """True when woken within `seconds`, False on timeout (time for a heartbeat)."""
        try:
            async with asyncio.timeout(seconds):
                await self.wake_queue.get()
        except TimeoutError:
            return False
        return True


class EventHub:
    """The process's listener and its local streams, with a cap of open streams per caller."""

    def __init__(
        self,
        dsn: str | None,
        *,
        streams_per_caller: int,
        reconnect_seconds: float = 1.0,
        check_seconds: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._cap = streams_per_caller
        self._reconnect_seconds = reconnect_seconds
        self._check_seconds = check_seconds
        self._subscriptions: set[Subscription] = set()
        self._per_caller: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    @property
    def open_streams(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, caller: str, wants: Wants) -> Subscription:
        """Register a stream; StreamCapReached when the caller has `streams_per_caller` open."""
        if self._per_caller[caller] >= self._cap:
            raise StreamCapReached(caller)
        subscription = Subscription(caller, wants)
        self._subscriptions.add(subscription)
        self._per_caller[caller] += 1
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.discard(subscription)
            self._per_caller[subscription.caller] -= 1
            if self._per_caller[subscription.caller] <= 0:
                del self._per_caller[subscription.caller]

    def notify(self, ward_id: str, icb_codes: tuple[str, ...] = ()) -> None:
        """Wake every local stream that could show an event of this ward."""
        for subscription in list(self._subscriptions):
            if subscription.wants(ward_id, icb_codes):
                subscription.wake()

    def wake_all(self) -> None:
        for subscription in list(self._subscriptions):
            subscription.wake()

    def _on_notification(
        self, _conn: object, _pid: int, _channel: str, payload: str | None
    ) -> None:
        ward_id, *icb_codes = (payload or "").split()  # see repository.append
        self.notify(ward_id, tuple(icb_codes))

    async def _listen(self) -> None:
        assert self._dsn is not None
        while True:
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(
                    self._dsn, timeout=5, server_settings={"application_name": LISTENER_NAME}
                )
            except Exception as exc:  # any failure: wait and retry, never let the task die
                log.warning("event listener cannot connect: %s", type(exc).__name__)
                await asyncio.sleep(self._reconnect_seconds)
                continue
            try:
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._on_notification)
                self.listening.set()
                self.wake_all()  # anything committed while we were not listening
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._check_seconds):
                            await lost.wait()
                    if not lost.is_set():  # a half-open socket never says it closed: ask
                        async with asyncio.timeout(5):
                            await conn.execute("SELECT 1")
            except Exception as exc:  # lost in any way: reconnect (cancellation still ends us)
                log.warning("event listener lost: %s", type(exc).__name__)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)
            self.wake_all()
            await asyncio.sleep(self._reconnect_seconds)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[EventHub]:
        """Listen for the lifespan of the app; streams still work (by heartbeat) meanwhile."""
        if self._dsn is not None:
            self._task = asyncio.create_task(self._listen(), name="ward-events-listener")
        try:
            yield self
        finally:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task


def ward_filter(ward_id: uuid.UUID) -> Wants:
    wanted = str(ward_id)
    return lambda notified, _icbs: notified == wanted
