"""shared/outbox.py against a real PostgreSQL table and an httpx.MockTransport peer.

The table is a scratch one made here, so these tests say nothing of any service's outbox:
they pin the protocol (lease, SKIP LOCKED, token-checked settle), the retry policy, the
breaker and the backoff that every service's worker now shares.
"""

# ruff: noqa: S608  (the only name spliced into SQL is the test's own scratch table)
from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Row, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.auth import TokenCodec
from shared.database import async_url
from shared.http_client import PeerError, PeerUnavailable, ServiceClient
from shared.outbox import (
    RETRYABLE_CLIENT_STATUS,
    Kind,
    LeasedOutbox,
    OutboxPolicy,
    Outcome,
    backoff_seconds,
    is_retryable,
    running,
)
from tests.conftest import TEST_JWT_SECRET, _drop_database, fresh_database

# ---------------------------------------------------------------------------------------
# A scratch outbox: one table, and the claim / settle / release a service would write.


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Peer:
    """The far service: records every message it is sent; answers `status` (or drops)."""

    status: int = 200
    drop: bool = False  # no answer at all (connection refused)
    received: Counter[str] = field(default_factory=Counter)
    before: Callable[[], Awaitable[object]] | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            await self.before()
        if self.drop:
            raise httpx.ConnectError("refused", request=request)
        await asyncio.sleep(0)  # let the other worker run: interleave the calls
        key = request.url.path.rsplit("/", 1)[-1]
        if self.status < 400:
            self.received[key] += 1
            return httpx.Response(self.status, json={"ok": key})
        problem = {"type": f"https://peer.test/problems/{self.status}", "detail": "no"}
        return httpx.Response(self.status, json=problem)


class PeerClient(ServiceClient):
    peer = "peer"

    async def put_message(self, message_id: int, body: str) -> dict[str, Any]:
        response = await self.request("PUT", f"/messages/{message_id}", json={"body": body})
        answer: dict[str, Any] = response.json()
        return answer


def make_client(peer: Peer) -> PeerClient:
    """A real service client (no retries of its own) whose network is `peer`."""
    return PeerClient(
        "http://peer.test",
        codec=TokenCodec(TEST_JWT_SECRET),
        caller="outbox-test",
        retries=0,
        transport=httpx.MockTransport(peer),
    )


class Scratch:
    """A scratch outbox table, and the service-side queries of a worker for it."""

    def __init__(self, engine: AsyncEngine, table: str) -> None:
        self.engine = engine
        self.table = table

    async def create(self, n: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    f"CREATE TABLE {self.table} ("
                    " id serial PRIMARY KEY, body text NOT NULL,"
                    " status text NOT NULL DEFAULT 'pending',"
                    " attempts int NOT NULL DEFAULT 0,"
                    " next_attempt_at timestamptz NOT NULL DEFAULT now(),"
                    " locked_until timestamptz, lease_token uuid, last_error text)"
                )
            )
            await conn.execute(
                text(
                    f"INSERT INTO {self.table} (body) SELECT 'm' || g FROM generate_series(1, :n) g"
                ),
                {"n": n},
            )

    async def claim(self, limit: int, lease: float, token: uuid.UUID) -> Sequence[Row[Any]]:
        t = self.table
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    f"UPDATE {t} SET locked_until = now() + make_interval(secs => :lease),"
                    " lease_token = :token, attempts = attempts + 1"
                    f" WHERE id IN (SELECT id FROM {t} WHERE status = 'pending'"
                    "   AND next_attempt_at <= now()"
                    "   AND (locked_until IS NULL OR locked_until < now())"
                    "   ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED)"
                    " RETURNING id, body, attempts"
                ),
                {"lease": lease, "token": token, "n": limit},
            )
            return sorted(result.all(), key=lambda row: row.id)

    async def settle(self, row: Row[Any], token: uuid.UUID, outcome: Outcome[Any]) -> bool:
        status = {Kind.DELIVERED: "delivered", Kind.REFUSED: "refused"}.get(outcome.kind, "pending")
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    f"UPDATE {self.table} SET status = :status, last_error = :error,"
                    " next_attempt_at = now() + make_interval(secs => :delay),"
                    " locked_until = NULL, lease_token = NULL"
                    " WHERE id = :id AND lease_token = :token"
                ),
                {
                    "status": status,
                    "error": outcome.error,
                    "delay": outcome.delay,
                    "id": row.id,
                    "token": token,
                },
            )
            return result.rowcount == 1

    async def release(self, rows: Sequence[Row[Any]], token: uuid.UUID) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    f"UPDATE {self.table} SET locked_until = NULL, lease_token = NULL,"
                    " attempts = greatest(attempts - 1, 0)"
                    " WHERE id = ANY(:ids) AND lease_token = :token"
                ),
                {"ids": [row.id for row in rows], "token": token},
            )

    async def rows(self) -> dict[int, Row[Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                text(f"SELECT id, status, attempts, last_error, lease_token FROM {self.table}")
            )
            return {row.id: row for row in result.all()}

    async def expire_leases(self) -> None:
        """As if every lease had run out (the database's clock, not ours, decides leases)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    f"UPDATE {self.table} SET locked_until = now() - interval '1 second'"
                    " WHERE locked_until IS NOT NULL"
                )
            )

    async def make_due(self) -> None:
        """As if every backoff had passed."""
        async with self.engine.begin() as conn:
            await conn.execute(text(f"UPDATE {self.table} SET next_attempt_at = now()"))


FAST = OutboxPolicy(
    batch_size=10,
    concurrency=4,
    lease_seconds=30.0,
    poll_seconds=0.01,
    backoff_base_seconds=1.0,
    backoff_max_seconds=60.0,
    breaker_threshold=3,
    breaker_cooldown_seconds=10.0,
)


@pytest.fixture(scope="module")
def scratch_url(database_server_url: str) -> Iterator[str]:
    url = fresh_database(database_server_url, prefix="vward_outbox")
    try:
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture
async def engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(scratch_url))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def scratch(engine: AsyncEngine) -> AsyncIterator[Scratch]:
    table = Scratch(engine, f"outbox_{uuid.uuid4().hex[:12]}")
    try:
        yield table
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE IF EXISTS {table.table}"))


@pytest.fixture
async def peer_client() -> AsyncIterator[Callable[[Peer], PeerClient]]:
    made: list[PeerClient] = []

    def _make(peer: Peer) -> PeerClient:
        client = make_client(peer)
        made.append(client)
        return client

    try:
        yield _make
    finally:
        for client in made:
            await client.aclose()


def worker(
    scratch: Scratch,
    client: PeerClient,
    *,
    policy: OutboxPolicy = FAST,
    clock: Callable[[], float] | None = None,
) -> LeasedOutbox[Row[Any], dict[str, Any]]:
    async def post(row: Row[Any]) -> dict[str, Any]:
        return await client.put_message(row.id, row.body)

    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    return LeasedOutbox(
        name="scratch-worker",
        policy=policy,
        claim=scratch.claim,
        post=post,
        settle=scratch.settle,
        release=scratch.release,
        rng=random.Random(1),
        **extra,
    )


# ---------------------------------------------------------------------------------------
# Exactly once, leases.


async def test_two_concurrent_workers_post_each_row_exactly_once(scratch, peer_client) -> None:
    await scratch.create(60)
    peer = Peer()
    one, two = worker(scratch, peer_client(peer)), worker(scratch, peer_client(peer))
    done = await asyncio.gather(one.drain(within_seconds=20), two.drain(within_seconds=20))
    assert peer.received == Counter({str(i): 1 for i in range(1, 61)})
    assert sum(d.claimed for d in done) == sum(d.delivered for d in done) == 60
    assert all(d.claimed for d in done), done  # both took part, on disjoint rows
    rows = await scratch.rows()
    assert {(r.status, r.attempts, r.lease_token) for r in rows.values()} == {
        ("delivered", 1, None)
    }


async def test_a_leased_row_is_not_claimed_again_until_its_lease_runs_out(
    scratch, peer_client
) -> None:
    await scratch.create(3)
    peer = Peer()
    stalled = uuid.uuid4()
    claimed = await scratch.claim(10, 30.0, stalled)  # a worker that then hangs or dies
    assert len(claimed) == 3
    other = worker(scratch, peer_client(peer))
    assert (await other.round()).claimed == 0  # leased: no other worker may take them

    await scratch.expire_leases()
    done = await other.round()
    assert (done.claimed, done.delivered) == (3, 3)
    assert sum(peer.received.values()) == 3

    # The stalled worker wakes up: its token is gone, so it records nothing.
    late: Outcome[dict[str, Any]] = Outcome(Kind.REFUSED, "late")
    assert not any([await scratch.settle(row, stalled, late) for row in claimed])
    rows = await scratch.rows()
    assert {(r.status, r.attempts) for r in rows.values()} == {("delivered", 2)}


async def test_a_call_is_cut_off_before_the_lease_runs_out(scratch, peer_client) -> None:
    await scratch.create(1)
    never = asyncio.Event()
    peer = Peer(before=never.wait)
    short = _with(FAST, lease_seconds=0.1)
    done = await worker(scratch, peer_client(peer), policy=short).round()
    assert (done.claimed, done.delivered) == (1, 0)
    (row,) = (await scratch.rows()).values()
    assert row.status == "pending" and row.lease_token is None
    assert row.last_error.startswith("no answer within")


# ---------------------------------------------------------------------------------------
# The one retry policy.


@given(status=st.integers(min_value=400, max_value=599))
def test_only_5xx_408_425_429_are_retried(status: int) -> None:
    exc_type = PeerUnavailable if status >= 500 else PeerError
    exc = exc_type("peer", status, None, "x")
    assert is_retryable(exc) == (status >= 500 or status in {408, 425, 429}), status
    assert {408, 425, 429} == RETRYABLE_CLIENT_STATUS


def test_no_answer_is_retried() -> None:
    assert is_retryable(PeerUnavailable("peer", None, None, "unreachable"))
    assert is_retryable(PeerError("peer", None, None, "no status"))


@given(status=st.integers(min_value=400, max_value=599))
async def test_attempt_classifies_every_error_status(status: int) -> None:
    """Through a real client: a retry is scheduled with backoff, a refusal is final."""
    peer = Peer(status=status)
    client = make_client(peer)
    try:
        outbox = worker(Scratch(None, "unused"), client)  # type: ignore[arg-type]
        row = SimpleNamespace(id=7, body="b", attempts=3)
        outcome = await outbox.attempt(row, budget=5)  # type: ignore[arg-type]
    finally:
        await client.aclose()
    retry = status >= 500 or status in (408, 425, 429)
    assert outcome.kind == (Kind.RETRY if retry else Kind.REFUSED), status
    assert str(status) in (outcome.error or "")
    assert (2.0 <= outcome.delay <= 4.0) if retry else outcome.delay == 0.0
    assert outbox.breaker.failures == (1 if retry else 0)


@pytest.mark.parametrize(
    ("status", "drop", "expected"),
    [
        (409, False, "refused"),
        (401, False, "refused"),
        (422, False, "refused"),
        (425, False, "pending"),
        (429, False, "pending"),
        (503, False, "pending"),
        (200, True, "pending"),
    ],
)
async def test_retryable_rows_go_back_to_pending_and_final_ones_settle(
    scratch, peer_client, status: int, drop: bool, expected: str
) -> None:
    await scratch.create(2)
    peer = Peer(status=status, drop=drop)
    done = await worker(scratch, peer_client(peer)).round()
    assert done.claimed == 2 and done.refused == (2 if expected == "refused" else 0)
    rows = await scratch.rows()
    assert {(r.status, r.attempts, r.lease_token) for r in rows.values()} == {(expected, 1, None)}
    assert all(r.last_error for r in rows.values())

    peer.status, peer.drop = 200, False
    await scratch.make_due()
    again = await worker(scratch, peer_client(peer)).round()
    assert again.delivered == (2 if expected == "pending" else 0)  # never dropped, never redone


async def test_a_malformed_answer_is_retried_not_lost(scratch) -> None:
    await scratch.create(1)

    async def post(row: Row[Any]) -> None:
        raise ValueError("the peer's answer did not parse")

    outbox: LeasedOutbox[Row[Any], None] = LeasedOutbox(
        name="scratch-worker",
        policy=FAST,
        claim=scratch.claim,
        post=post,
        settle=scratch.settle,
        release=scratch.release,
    )
    await outbox.round()
    (row,) = (await scratch.rows()).values()
    assert row.status == "pending" and "ValueError" in row.last_error


# ---------------------------------------------------------------------------------------
# The breaker.


async def test_breaker_opens_after_n_failures_and_probes_after_the_cooldown(
    scratch, peer_client
) -> None:
    await scratch.create(6)
    clock = Clock()
    peer = Peer(status=503)
    outbox = worker(scratch, peer_client(peer), policy=_with(FAST, concurrency=1), clock=clock)

    first = await outbox.round()
    assert outbox.breaker.state == "open"
    rows = await scratch.rows()
    # Three calls failed and count; the rest were never sent: released, attempt uncounted.
    assert sorted(r.attempts for r in rows.values()) == [0, 0, 0, 1, 1, 1]
    assert first.claimed == 6 and {r.lease_token for r in rows.values()} == {None}

    await scratch.make_due()
    assert await outbox.round() == type(first)()  # open: not even a claim
    clock.advance(9.9)
    assert (await outbox.round()).claimed == 0

    clock.advance(0.2)
    assert outbox.breaker.state == "half_open"
    probe = await outbox.round()  # one row is sent; it fails; open again
    assert probe.claimed == 1 and outbox.breaker.state == "open"

    peer.status = 200
    clock.advance(10)
    await scratch.make_due()
    resumed = await outbox.round()  # the probe gets through: the rest follow at once
    assert outbox.breaker.state == "closed"
    assert (resumed.claimed, resumed.delivered) == (6, 6)
    assert peer.received == Counter({str(i): 1 for i in range(1, 7)})


async def test_a_refusal_counts_as_the_peer_being_up(scratch, peer_client) -> None:
    await scratch.create(5)
    outbox = worker(scratch, peer_client(Peer(status=409)), policy=_with(FAST, concurrency=1))
    await outbox.round()
    assert outbox.breaker.state == "closed" and outbox.breaker.failures == 0


# ---------------------------------------------------------------------------------------
# Backoff.


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(3)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (7, 64.0), (8, 100.0), (10**6, 100.0)]:
        delays = [backoff_seconds(attempts, base=1.0, cap=100.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempts
        assert max(delays) - min(delays) > ceiling / 10  # jittered, so replicas spread out


@given(
    attempts=st.integers(min_value=-5, max_value=10**9),
    base=st.floats(min_value=1e-3, max_value=10),
    cap=st.floats(min_value=1e-3, max_value=3600),
)
def test_backoff_never_exceeds_its_cap_nor_drops_below_half_the_base(
    attempts: int, base: float, cap: float
) -> None:
    delay = backoff_seconds(attempts, base=base, cap=cap, rng=random.Random(0))
    assert min(cap, base) / 2 <= delay <= cap


async def test_a_retry_is_scheduled_by_the_rows_attempt_count(scratch, peer_client) -> None:
    await scratch.create(1)
    outbox = worker(scratch, peer_client(Peer(status=503)))
    delays = []
    for _ in range(4):
        await scratch.make_due()
        await outbox.round()
        outbox.breaker.success()  # keep it closed; this test is about the delay
        async with scratch.engine.connect() as conn:
            delays.append(
                await conn.scalar(
                    text(f"SELECT extract(epoch FROM next_attempt_at - now()) FROM {scratch.table}")
                )
            )
    ceilings = [1.0, 2.0, 4.0, 8.0]
    assert all(c / 2 - 0.5 <= float(d) <= c for d, c in zip(delays, ceilings, strict=True)), delays


# ---------------------------------------------------------------------------------------
# Running in the background.


async def test_running_delivers_in_the_background_and_stops_promptly(scratch, peer_client) -> None:
    await scratch.create(25)
    peer = Peer()
    outbox = worker(scratch, peer_client(peer))
    async with running(outbox, grace_seconds=2):
        for _ in range(500):
            if sum(peer.received.values()) == 25:
                break
            await asyncio.sleep(0.01)
    assert peer.received == Counter({str(i): 1 for i in range(1, 26)})


def _with(policy: OutboxPolicy, **changes: Any) -> OutboxPolicy:
    from dataclasses import replace

    return replace(policy, **changes)
