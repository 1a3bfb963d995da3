"""The outbox relay against a stub ward_api honouring the alert contract."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from services.monitoring_ingest import maintenance
from services.monitoring_ingest.alerts.relay import AlertRelay, CircuitBreaker, running
from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from shared.auth import TokenCodec
from shared.database import async_url
from tests.conftest import TEST_JWT_SECRET
from tests.monitoring_ingest.helpers import ADMIN, SERVICE, ago, full_set, post_signed
from tests.support.poll import eventually


class StubWardApi:
    """POST /v1/internal/alerts: 201 first, 200 same body, 409 same id other body."""

    def __init__(self) -> None:
        self.alerts: dict[str, dict[str, Any]] = {}
        self.calls = 0
        self.down = False
        self.lose_next_response = False
        self.unknown_admissions: set[str] = set()
        self.posts: Counter[str] = Counter()
        self.delay = 0.0
        self.auth_status: int | None = None  # 401/403: our services' credentials disagree

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http" and scope["path"] == "/v1/internal/alerts"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        alert = orjson.loads(body)
        self.calls += 1
        self.posts[alert["alert_id"]] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.auth_status is not None:
            status = self.auth_status
            answer = {"type": "https://vward.dev/problems/token-invalid", "status": status}
        elif alert["admission_id"] in self.unknown_admissions:
            status = 404
            answer = {"type": "https://vward.dev/problems/admission-not-found", "status": 404}
        elif alert["alert_id"] not in self.alerts:
            self.alerts[alert["alert_id"]] = alert
            status, answer = 201, alert
        elif self.alerts[alert["alert_id"]] == alert:
            status, answer = 200, alert
        else:
            status = 409
            answer = {"type": "https://vward.dev/problems/alert-id-reused", "status": 409}
        payload = orjson.dumps(answer)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class Flaky(httpx.AsyncBaseTransport):
    """The stub behind a switchable network: down refuses connections, or loses answers.

    `attempts` counts every call tried; `before`, if set, runs with the alert first.
    """

    def __init__(self, stub: StubWardApi) -> None:
        self.stub = stub
        self.inner = httpx.ASGITransport(app=stub)
        self.attempts = 0
        self.before: Callable[[dict[str, Any]], Awaitable[None]] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.before is not None:
            await self.before(orjson.loads(request.content))
        if self.stub.down:
            raise httpx.ConnectError("connection refused", request=request)
        response = await self.inner.handle_async_request(request)
        if self.stub.lose_next_response:
            self.stub.lose_next_response = False
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


@dataclass
class RelayParts:
    relay: AlertRelay
    stub: StubWardApi
    network: Flaky


@pytest.fixture
async def make_relay(database_url):
    """`make_relay(**settings)`: a relay with its own engine and stub ward_api."""
    made: list[tuple[WardApiClient, Any]] = []

    def _make(*, clock: Callable[[], float] = time.monotonic, **overrides: Any) -> RelayParts:
        stub = StubWardApi()
        network = Flaky(stub)
        settings = IngestSettings(
            database_url=database_url,
            **{
                "relay_backoff_base_seconds": 0.01,
                "relay_backoff_max_seconds": 0.05,
                "relay_breaker_threshold": 3,
                "relay_breaker_cooldown_seconds": 0.05,
                "relay_batch_size": 500,
                **overrides,
            },
        )
        client = WardApiClient(
            "http://ward-api.test",
            codec=TokenCodec(TEST_JWT_SECRET),
            caller="monitoring_ingest",
            retries=0,
            transport=network,
        )
        engine = create_async_engine(async_url(database_url))
        made.append((client, engine))
        return RelayParts(AlertRelay(engine, client, settings, clock=clock), stub, network)

    try:
        yield _make
    finally:
        for client, engine in made:
            await client.aclose()
            await engine.dispose()


@pytest.fixture
async def relay_parts(make_relay):
    parts = make_relay()
    return parts.relay, parts.stub


async def _raise_high_alerts(ingest_client, bound, n: int) -> list[str]:
    """One high-risk set per fresh admission on the same device is impossible; use n devices."""
    from tests.monitoring_ingest.helpers import bind

    ids = []
    for _ in range(n):
        b = await bind(ingest_client, bound.vendor)
        batch = {"device_id": b.device_id, "readings": full_set(ago(5), rr=25, spo2=91, hr=131)}
        response = await post_signed(ingest_client, b.vendor, "/v1/readings/native", batch)
        ids.extend(response.json()["alerts"])
    return ids


async def _rows(database_url: str, ids: list[str]) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT id::text, admission_id::text, status, attempts, last_error, locked_until, "
            "lease_token FROM monitoring.alerts WHERE id = ANY($1::uuid[])",
            ids,
        )
    finally:
        await conn.close()
    return {r["id"]: r for r in rows}


async def _status(database_url: str, ids: list[str]) -> dict[str, str]:
    return {i: r["status"] for i, r in (await _rows(database_url, ids)).items()}


async def _deliver_until(relay: AlertRelay, stub: StubWardApi, ids: list[str]) -> None:
    """Run relay rounds until the stub holds every one of `ids` (their backoff is real time)."""

    async def delivered() -> bool:
        await relay.deliver_once()
        return all(i in stub.alerts for i in ids)

    await eventually(delivered, within=10, what=f"{len(ids)} alerts delivered", every=0.02)


async def test_peer_down_then_up_delivers_each_alert_once(
    ingest_client, bound, relay_parts, database_url
) -> None:
    relay, stub = relay_parts
    stub.down = True
    ids = await _raise_high_alerts(ingest_client, bound, 4)
    assert len(ids) == 4  # readings accepted and alerts recorded while the peer is down
    for _ in range(5):
        await relay.deliver_once()
    assert stub.alerts == {} and relay.breaker.state in ("open", "half_open")
    assert set((await _status(database_url, ids)).values()) == {"pending"}

    stub.down = False
    stub.lose_next_response = True  # delivered, but the answer never arrives: resent, 200
    await _deliver_until(relay, stub, ids)
    await relay.drain(within_seconds=2)
    for alert_id in ids:
        assert stub.alerts[alert_id]["kind"] == "news2_high"
        assert stub.alerts[alert_id]["risk"] == "high"
    assert set((await _status(database_url, ids)).values()) == {"delivered"}
    calls = stub.calls
    await relay.drain(within_seconds=1)
    assert stub.calls == calls  # nothing is sent again once delivered


async def test_rejected_alert_is_not_retried(
    ingest_client, bound, relay_parts, database_url
) -> None:
    relay, stub = relay_parts
    ids = await _raise_high_alerts(ingest_client, bound, 1)
    conn = await asyncpg.connect(database_url)
    try:
        admission = await conn.fetchval(
            "SELECT admission_id::text FROM monitoring.alerts WHERE id = $1", uuid.UUID(ids[0])
        )
    finally:
        await conn.close()
    stub.unknown_admissions.add(admission)
    await relay.drain(within_seconds=2)
    assert (await _status(database_url, ids))[ids[0]] == "rejected"


@pytest.mark.parametrize("status", [401, 403])
async def test_a_credential_refusal_holds_the_alert_until_fixed(
    ingest_client, bound, relay_parts, database_url, status
) -> None:
    """ward_api refusing our token is our misconfiguration, not the alert's: never reject it."""
    relay, stub = relay_parts
    ids = await _raise_high_alerts(ingest_client, bound, 1)
    stub.auth_status = status
    for _ in range(3):
        await relay.deliver_once()
    assert (await _status(database_url, ids))[ids[0]] == "pending"
    stub.auth_status = None
    await _deliver_until(relay, stub, ids)
    assert (await _status(database_url, ids))[ids[0]] == "delivered"


def test_circuit_breaker_opens_and_half_opens() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allows()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 11
    assert breaker.state == "half_open" and breaker.allows()
    breaker.failure()  # the probe failed: open again
    assert breaker.state == "open"
    now[0] = 22
    breaker.success()
    assert breaker.state == "closed"


def test_backoff_grows_and_is_capped(database_url) -> None:
    settings = IngestSettings(
        database_url=database_url, relay_backoff_base_seconds=1, relay_backoff_max_seconds=60
    )
    relay = AlertRelay(None, None, settings)  # type: ignore[arg-type]
    # backoff(n): the delay after the n-th failed try (the shared outbox's count).
    assert 0.5 <= relay.backoff(1) <= 1
    assert 4 <= relay.backoff(4) <= 8
    assert 30 <= relay.backoff(21) <= 60


async def _outbox(ingest_client, headers, **params) -> list[dict]:
    response = await ingest_client.get("/v1/alerts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_operators_see_a_stuck_outbox_and_its_recovery(
    ingest_client, bound, relay_parts
) -> None:
    relay, stub = relay_parts
    stub.down = True
    ids = await _raise_high_alerts(ingest_client, bound, 2)
    for _ in range(3):
        await relay.deliver_once()
    pending = [a for a in await _outbox(ingest_client, ADMIN, state="pending") if a["id"] in ids]
    assert [a["id"] for a in pending] == ids  # oldest first: the stuck head on top
    assert all(a["attempts"] >= 1 and "connection refused" in a["last_error"] for a in pending)
    assert all(a["status"] == "pending" and a["delivered_at"] is None for a in pending)

    stub.down = False
    await _deliver_until(relay, stub, ids)
    delivered = await _outbox(ingest_client, SERVICE, state="delivered", limit=1000)
    mine = {a["id"]: a for a in delivered if a["id"] in ids}
    assert set(mine) == set(ids)
    assert all(a["delivered_at"] and a["last_error"] is None for a in mine.values())
    still = await _outbox(ingest_client, ADMIN, state="pending", limit=1000)
    assert not {a["id"] for a in still} & set(ids)


async def test_rejected_alerts_are_listed_with_the_reason(
    ingest_client, bound, relay_parts, database_url
) -> None:
    relay, stub = relay_parts
    (alert_id,) = await _raise_high_alerts(ingest_client, bound, 1)
    # By admission, not the newest ten: other tests' alerts may carry later times.
    admission = (await _rows(database_url, [alert_id]))[alert_id]["admission_id"]
    listed = await _outbox(ingest_client, ADMIN, admission_id=admission)
    (alert,) = [a for a in listed if a["id"] == alert_id]
    stub.unknown_admissions.add(alert["admission_id"])
    await relay.drain(within_seconds=2)
    (rejected,) = await _outbox(
        ingest_client, ADMIN, state="rejected", admission_id=alert["admission_id"]
    )
    assert rejected["id"] == alert_id and "admission-not-found" in rejected["last_error"]
    by_ward = await _outbox(ingest_client, ADMIN, ward_id=alert["ward_id"])
    assert [a["id"] for a in by_ward] == [alert_id]


async def test_outbox_listing_is_for_operators_only(ingest_client, bound) -> None:
    denied = await ingest_client.get("/v1/alerts", headers=bound.clinician)
    assert denied.status_code == 403
    assert (await ingest_client.get("/v1/alerts")).status_code == 401
    bad = await ingest_client.get("/v1/alerts", params={"state": "lost"}, headers=ADMIN)
    assert bad.status_code == 422


async def _clear_backlog(parts: RelayParts) -> None:
    """Deliver whatever other tests left pending, so a test sees only its own alerts."""
    await parts.relay.drain(within_seconds=10)


async def test_two_relays_deliver_each_alert_once(
    ingest_client, bound, make_relay, database_url
) -> None:
    one, two = (make_relay(relay_batch_size=3, relay_concurrency=2) for _ in range(2))
    await _clear_backlog(one)
    ids = await _raise_high_alerts(ingest_client, bound, 12)
    for parts in (one, two):
        parts.stub.delay = 0.02  # calls overlap: each relay claims while the other posts

    async def work(parts: RelayParts) -> None:
        async def all_delivered() -> bool:
            await parts.relay.deliver_once()
            return set(ids) <= set(one.stub.alerts) | set(two.stub.alerts)

        await eventually(all_delivered, within=10, what="every alert delivered", every=0.01)

    await asyncio.gather(work(one), work(two))
    posts = one.stub.posts + two.stub.posts
    assert {i: posts[i] for i in ids} == dict.fromkeys(ids, 1)  # each posted exactly once
    assert one.stub.posts.keys() & set(ids) and two.stub.posts.keys() & set(ids)  # both worked
    rows = await _rows(database_url, ids)
    assert {r["status"] for r in rows.values()} == {"delivered"}
    assert {r["attempts"] for r in rows.values()} == {1}
    assert all(r["lease_token"] is None and r["locked_until"] is None for r in rows.values())


async def test_no_lock_or_transaction_is_held_while_posting(
    ingest_client, bound, make_relay, database_url
) -> None:
    parts = make_relay()
    await _clear_backlog(parts)
    (alert_id,) = await _raise_high_alerts(ingest_client, bound, 1)
    seen: dict[str, Any] = {}

    async def during_the_call(alert: dict[str, Any]) -> None:
        if alert["alert_id"] != alert_id:
            return
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():  # would fail at once if the relay held the row
                seen["row"] = await conn.fetchrow(
                    "SELECT locked_until > now() AS leased, lease_token, attempts "
                    "FROM monitoring.alerts WHERE id = $1 FOR UPDATE NOWAIT",
                    uuid.UUID(alert_id),
                )
            seen["in_transaction"] = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
        finally:
            await conn.close()

    parts.network.before = during_the_call
    await parts.relay.drain(within_seconds=5)
    assert seen["row"]["leased"] and seen["row"]["lease_token"] is not None
    assert seen["row"]["attempts"] == 1 and seen["in_transaction"] == 0
    row = (await _rows(database_url, [alert_id]))[alert_id]
    assert row["status"] == "delivered" and row["lease_token"] is None


async def test_a_lost_lease_records_nothing(ingest_client, bound, make_relay, database_url) -> None:
    late, other = make_relay(), make_relay()
    await _clear_backlog(other)
    (alert_id,) = await _raise_high_alerts(ingest_client, bound, 1)
    admission = (await _rows(database_url, [alert_id]))[alert_id]["admission_id"]
    late.stub.unknown_admissions.add(admission)  # the late relay would record `rejected`

    async def lease_runs_out(alert: dict[str, Any]) -> None:
        if alert["alert_id"] != alert_id:
            return
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "UPDATE monitoring.alerts SET locked_until = now() - interval '1 second' "
                "WHERE id = $1",
                uuid.UUID(alert_id),
            )
        finally:
            await conn.close()
        assert await other.relay.deliver_once() >= 1  # takes the alert over and delivers it

    late.network.before = lease_runs_out
    await late.relay.deliver_once()
    row = (await _rows(database_url, [alert_id]))[alert_id]
    assert row["status"] == "delivered" and row["last_error"] is None  # not `rejected`
    assert row["attempts"] == 2 and row["lease_token"] is None
    assert alert_id in other.stub.alerts and late.stub.posts[alert_id] == 1


async def test_half_open_breaker_probes_with_one_alert_then_resumes_all(
    ingest_client, bound, make_relay, database_url
) -> None:
    now = [0.0]  # the breaker's clock, moved by hand instead of sleeping through cool-downs
    # Failed alerts are due again at once (their backoff is the database's clock, so tiny).
    tiny = {"relay_backoff_base_seconds": 1e-6, "relay_backoff_max_seconds": 1e-6}
    parts = make_relay(clock=lambda: now[0], **tiny)
    relay, stub, network = parts.relay, parts.stub, parts.network
    await _clear_backlog(parts)
    stub.down = True
    ids = await _raise_high_alerts(ingest_client, bound, 4)
    for _ in range(5):
        await relay.deliver_once()
        if relay.breaker.state != "closed":
            break
    assert relay.breaker.state == "open"

    assert relay.breaker.state == "open" and await relay.deliver_once() == 0
    now[0] += 1.0  # past the cool-down
    assert relay.breaker.state == "half_open"
    tried = network.attempts
    assert await relay.deliver_once() == 0
    assert network.attempts == tried + 1  # one probe, not the batch
    assert relay.breaker.state == "open"
    assert set((await _status(database_url, ids)).values()) == {"pending"}

    stub.down = False
    now[0] += 1.0
    tried = network.attempts
    done = await relay.deliver_round()  # the probe gets through: the rest follow at once
    assert relay.breaker.state == "closed"
    assert set(ids) <= set(stub.alerts) and done.delivered == len(ids) == network.attempts - tried
    assert set((await _status(database_url, ids)).values()) == {"delivered"}


async def test_alerts_are_delivered_while_maintenance_fails(
    ingest_client, bound, make_relay, monkeypatch
) -> None:
    parts = make_relay(relay_poll_seconds=0.02, maintenance_interval_seconds=0.01)
    await _clear_backlog(parts)
    rounds = 0

    async def broken(engine, settings) -> list[str]:
        nonlocal rounds
        rounds += 1
        raise RuntimeError("maintenance is broken")

    monkeypatch.setattr(maintenance, "run", broken)
    ids = await _raise_high_alerts(ingest_client, bound, 2)
    async with running(parts.relay):
        await eventually(
            lambda: set(ids) <= set(parts.stub.alerts), within=10, what="alerts delivered"
        )
    assert rounds >= 2  # it kept failing, and kept being retried, while alerts went out
