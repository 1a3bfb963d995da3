"""The binding outbox: admissions never wait for monitoring_ingest, and no binding is lost.

monitoring_ingest is stood in for by an httpx MockTransport that can be down (connection
refused), slow, or refuse a device bound elsewhere, and that counts what it accepted.
Every wait polls against a deadline.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from services.ward_api.bindings import repository
from services.ward_api.bindings.worker import backoff_seconds
from shared.auth import Role
from shared.http_client import PeerError
from tests.conftest import serve_in_process
from tests.support.poll import eventually
from tests.ward_api.conftest import admit_body, key

FAST = {
    "binding_outbox_enabled": True,
    "binding_poll_seconds": 0.05,
    "binding_backoff_base_seconds": 0.05,
    "binding_backoff_max_seconds": 0.3,
    "binding_lease_seconds": 20.0,
    # Retries are what these tests watch: the breaker (tested on its own below) stays shut.
    "binding_breaker_threshold": 1000,
    "log_level": "WARNING",
}


class StubMonitoring:
    """monitoring_ingest's binding endpoints, per docs/contracts.md, with faults on demand."""

    def __init__(self, *, up: bool = True, delay: float = 0.0) -> None:
        self.up, self.delay = up, delay
        self.open: dict[tuple[str, str], str] = {}  # (vendor, device) -> admission id
        self.accepted: list[tuple[str, str]] = []  # (PUT|DELETE, admission id), in order
        self.refused: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}  # admission id -> the last PUT body
        self.tries = 0
        self.in_flight = 0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.tries += 1
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        assert request.headers["authorization"].startswith("Bearer ")
        self.in_flight += 1
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        _, _, _, _, vendor, device = request.url.path.split("/")
        if request.method == "PUT":
            put_body = httpx.Response(200, content=request.content).json()
            admission = put_body["admission_id"]
            self.bodies[admission] = put_body
            holder = self.open.get((vendor, device))
            if holder not in (None, admission):
                self.refused[admission] += 1
                problem = {
                    "type": "https://vward.dev/problems/device-already-bound",
                    "title": "Conflict",
                    "status": 409,
                    "detail": f"device {device} is bound to another open admission",
                }
                return httpx.Response(409, json=problem)
            self.open[(vendor, device)] = admission
            self.accepted.append(("PUT", admission))
            return httpx.Response(201 if holder is None else 200, json={})
        admission = request.url.params["admission_id"]
        if self.open.get((vendor, device)) == admission:
            del self.open[(vendor, device)]
        self.accepted.append(("DELETE", admission))
        body = {
            "admission_id": admission,
            "readings_expected": 12,
            "readings_received": 9,
            "unbound_at": "2026-11-23T10:00:00+00:00",
        }
        return httpx.Response(200, json=body)

    def count(self, method: str, admission_id: str) -> int:
        return self.accepted.count((method, admission_id))


@asynccontextmanager
async def replicas(
    database_url: str, stub: StubMonitoring, n: int = 1, **overrides: Any
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`n` ward_api apps on the same database, each running its binding worker."""
    from services.ward_api.app import create_app
    from services.ward_api.settings import WardSettings

    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(n):
            settings = WardSettings(database_url=database_url, **{**FAST, **overrides})
            app = create_app(settings, monitoring_transport=httpx.MockTransport(stub.handler))
            client = await stack.enter_async_context(serve_in_process(app))
            client.app = app  # type: ignore[attr-defined]
            clients.append(client)
        yield clients


def _device() -> dict[str, str]:
    return {"vendor_id": "acme", "device_id": f"dev-{uuid.uuid4().hex[:8]}"}


async def _statuses(client: httpx.AsyncClient, headers: dict, ids: list[str]) -> dict[str, dict]:
    found = {}
    for admission_id in ids:
        response = await client.get(f"/v1/admissions/{admission_id}", headers=headers)
        assert response.status_code == 200, response.text
        found[admission_id] = response.json()
    return found


async def test_pending_bindings_are_delivered_once_when_the_peer_returns(
    database_url, auth, make_ward, make_patient
) -> None:
    """Peer down: admissions and discharges answer at once; peer up: each command lands once."""
    stub = StubMonitoring(up=False, delay=0.05)
    ward = await make_ward(beds=6)
    patients = [await make_patient() for _ in range(6)]
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub, n=2) as (client, _):
        admitted = []
        for patient in patients:
            body = admit_body(patient, ward, device=_device())
            response = await client.post("/v1/admissions", json=body, headers={**headers, **key()})
            assert response.status_code == 201, response.text
            assert response.json()["binding_status"] == "pending"
            assert [c["kind"] for c in response.json()["binding_commands"]] == ["bind"]
            admitted.append(response.json()["id"])
        discharged = admitted[:2]
        for admission_id in discharged:
            done = await client.post(
                f"/v1/admissions/{admission_id}/discharge",
                json={"outcome": "completed"},
                headers=headers,
            )
            assert done.status_code == 200, done.text
            assert done.json()["admission"]["binding_status"] == "unbind_pending"

        async def retried() -> bool:
            one = (await _statuses(client, headers, admitted[2:3]))[admitted[2]]
            (command,) = one["binding_commands"]
            return command["attempts"] >= 2 and "unreachable" in (command["last_error"] or "")

        await eventually(retried, within=10, what="retries while monitoring_ingest is down")
        assert stub.accepted == []
        before = await _statuses(client, headers, admitted)
        assert {a["binding_status"] for a in before.values()} == {"pending", "unbind_pending"}

        stub.up = True

        async def settled() -> dict[str, dict] | None:
            now = await _statuses(client, headers, admitted)
            done = [a["binding_status"] in ("bound", "unbound") for a in now.values()]
            return now if all(done) else None

        final = await eventually(settled, within=20, what="every binding delivered")
    for admission_id in admitted:
        assert stub.count("PUT", admission_id) == 1, admission_id
        commands = {c["kind"]: c for c in final[admission_id]["binding_commands"]}
        assert commands["bind"]["status"] == "delivered"
    for admission_id in discharged:
        assert stub.count("DELETE", admission_id) == 1
        puts_then_delete = [m for m, a in stub.accepted if a == admission_id]
        assert puts_then_delete == ["PUT", "DELETE"]  # an unbind never overtakes its bind
        admission = final[admission_id]
        assert admission["binding_status"] == "unbound"
        assert (admission["readings_expected"], admission["readings_received"]) == (12, 9)
    for admission_id in admitted[2:]:
        assert final[admission_id]["binding_status"] == "bound"
        assert stub.count("DELETE", admission_id) == 0


async def test_admissions_do_not_wait_for_a_slow_peer(
    database_url, auth, make_ward, make_patient
) -> None:
    """The peer takes 2 s per call; five admissions to one ward still finish far sooner."""
    stub = StubMonitoring(delay=2.0)
    ward = await make_ward(beds=5)
    patients = [await make_patient() for _ in range(5)]
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub) as (client,):
        loop = asyncio.get_running_loop()
        started = loop.time()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/admissions",
                    json=admit_body(p, ward, device=_device()),
                    headers={**headers, **key()},
                )
                for p in patients
            )
        )
        elapsed = loop.time() - started
        assert [r.status_code for r in responses] == [201] * 5
        assert elapsed < 1.0, f"admissions took {elapsed:.2f} s"
        assert sorted(r.json()["bed_number"] for r in responses) == [1, 2, 3, 4, 5]
        assert {r.json()["binding_status"] for r in responses} == {"pending"}
        ids = [r.json()["id"] for r in responses]

        # While the worker's calls are in flight, the ward is free: a discharge is quick too.
        await eventually(lambda: stub.in_flight > 0, within=5, what="a call in flight")
        started = loop.time()
        done = await client.post(
            f"/v1/admissions/{ids[0]}/discharge", json={"outcome": "completed"}, headers=headers
        )
        assert done.status_code == 200 and loop.time() - started < 1.0

        async def settled() -> bool:
            now = await _statuses(client, headers, ids)
            return all(a["binding_status"] in ("bound", "unbound") for a in now.values())

        await eventually(settled, within=20, what="slow bindings delivered")
    assert [m for m, a in stub.accepted if a == ids[0]] == ["PUT", "DELETE"]


async def test_a_handed_over_device_is_freed_before_it_is_rebound(
    database_url, auth, make_ward, make_patient
) -> None:
    """Per-device order: the wait-list head gets the discharged patient's device."""
    stub = StubMonitoring(up=False)
    ward = await make_ward(beds=1)
    first, second = await make_patient(), await make_patient()
    headers = auth(Role.clinician, wards=[ward["id"]])
    device = _device()
    async with replicas(database_url, stub) as (client,):
        a = await client.post(
            "/v1/admissions",
            json=admit_body(first, ward, device=device),
            headers={**headers, **key()},
        )
        full = await client.post(
            "/v1/admissions",
            json=admit_body(second, ward, device=device),
            headers={**headers, **key()},
        )
        assert (a.status_code, full.status_code) == (201, 409)
        done = await client.post(
            f"/v1/admissions/{a.json()['id']}/discharge",
            json={"outcome": "completed"},
            headers=headers,
        )
        b = done.json()["admitted_from_waitlist"]
        assert b["binding_status"] == "pending"
        stub.up = True

        async def settled() -> dict[str, dict] | None:
            now = await _statuses(client, headers, [a.json()["id"], b["id"]])
            ok = [x["binding_status"] for x in now.values()] == ["unbound", "bound"]
            return now if ok else None

        await eventually(settled, within=20, what="unbind then rebind")
    assert stub.accepted == [("PUT", a.json()["id"]), ("DELETE", a.json()["id"]), ("PUT", b["id"])]
    assert not stub.refused


async def test_a_refused_binding_fails_and_its_unbind_is_skipped(
    database_url, auth, make_ward, make_patient
) -> None:
    stub = StubMonitoring()
    device = _device()
    stub.open[(device["vendor_id"], device["device_id"])] = str(uuid.uuid4())  # bound elsewhere
    ward, patient = await make_ward(beds=1), await make_patient()
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub) as (client,):
        admitted = await client.post(
            "/v1/admissions",
            json=admit_body(patient, ward, device=device),
            headers={**headers, **key()},
        )
        admission_id = admitted.json()["id"]

        async def failed() -> dict | None:
            now = (await _statuses(client, headers, [admission_id]))[admission_id]
            return now if now["binding_status"] == "failed" else None

        admission = await eventually(failed, within=10, what="the refusal recorded")
        (command,) = admission["binding_commands"]
        assert command["status"] == "failed" and "device-already-bound" in command["last_error"]
        assert "refused" in admission["binding_detail"]
        done = await client.post(
            f"/v1/admissions/{admission_id}/discharge",
            json={"outcome": "completed"},
            headers=headers,
        )
        assert done.json()["admission"]["binding_status"] == "failed"
        assert [c["kind"] for c in done.json()["admission"]["binding_commands"]] == ["bind"]
    assert stub.refused[admission_id] == 1  # refused for good: not retried


async def test_a_lost_lease_records_nothing(database_url, auth, make_ward, make_patient) -> None:
    """A worker that outlives its lease cannot overwrite the outcome of the one that took over."""
    from sqlalchemy import text

    stub = StubMonitoring(up=False)
    ward, patient = await make_ward(beds=1), await make_patient()
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub, binding_outbox_enabled=False) as (client,):
        admitted = await client.post(
            "/v1/admissions",
            json=admit_body(patient, ward, device=_device()),
            headers={**headers, **key()},
        )
        admission_id = uuid.UUID(admitted.json()["id"])
        sessionmaker = client.app.state.sessionmaker  # type: ignore[attr-defined]
        slow, fast = uuid.uuid4(), uuid.uuid4()

        async def claim(token: uuid.UUID) -> list[int]:
            async with sessionmaker() as session, session.begin():
                rows = await repository.claim(session, limit=1000, lease_seconds=30, token=token)
                return [r.id for r in rows if r.admission_id == admission_id]

        (command_id,) = await claim(slow)
        assert await claim(fast) == []  # leased: no other worker may take it
        async with sessionmaker() as session, session.begin():
            await session.execute(
                text("UPDATE ward.binding_command SET locked_until = now() - interval '1 s'"
                     " WHERE id = :id"),
                {"id": command_id},
            )  # fmt: skip
        assert await claim(fast) == [command_id]
        async with sessionmaker() as session, session.begin():
            late = {"status": "failed", "last_error": "late"}
            assert not await repository.settle(
                session, command_id=command_id, token=slow, values=late
            )
            assert await repository.settle(
                session, command_id=command_id, token=fast, values={"status": "delivered"}
            )
            attempts = await session.scalar(
                text("SELECT attempts FROM ward.binding_command WHERE id = :id"),
                {"id": command_id},
            )
        assert attempts == 2


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (9, 60.0), (500, 60.0)]:
        delays = [backoff_seconds(attempts, base=1.0, cap=60.0, rng=rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempts
        assert max(delays) - min(delays) > ceiling / 10  # jittered, so replicas spread out


class _RefusingMonitoring:
    """A monitoring_ingest that answers every binding call with one status."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def bind_device(self, **_: Any) -> None:
        raise PeerError("monitoring_ingest", self.status, {"type": "x/refused"}, "refused")

    unbind_device = bind_device


@given(status=st.integers(min_value=400, max_value=499), kind=st.sampled_from(["bind", "unbind"]))
async def test_a_4xx_is_final_unless_it_may_pass_unchanged(status: int, kind: str) -> None:
    """Any 4xx but 408/425/429 settles the command as failed: retrying cannot change it."""
    from types import SimpleNamespace

    from services.ward_api.bindings.worker import BindingWorker
    from services.ward_api.settings import WardSettings

    worker = BindingWorker(
        None,  # type: ignore[arg-type]  # _call never touches the database
        _RefusingMonitoring(status),  # type: ignore[arg-type]
        WardSettings(database_url="postgresql://unused@127.0.0.1/unused"),
    )
    command = SimpleNamespace(
        attempts=1,  # a retry's backoff is counted from it
        kind=kind,
        vendor_id="V",
        device_id="D",
        admission_id=uuid.uuid4(),
        payload={
            "ward_id": str(uuid.uuid4()),
            "expected_interval_minutes": 240,
            "bound_at": "2026-01-01T00:00:00+00:00",
            "unbound_at": "2026-01-02T00:00:00+00:00",
        },
    )
    outcome = await worker._call(command)
    assert outcome.kind == ("retry" if status in (408, 425, 429) else "refused"), status


async def test_the_bind_carries_the_wards_icb_and_the_stay_is_served(
    database_url, auth, make_ward, make_patient, ward_client
) -> None:
    """monitoring_ingest gets the ward's ICB codes from its owner, so ICB scopes agree."""
    stub = StubMonitoring()
    ward = await make_ward(beds=2, icb="E54000008")
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub) as (client,):
        body = admit_body(await make_patient(), ward, device=_device())
        admitted = await client.post("/v1/admissions", json=body, headers={**headers, **key()})
        assert admitted.status_code == 201, admitted.text
        admission_id = admitted.json()["id"]
        sent = await eventually(
            lambda: stub.bodies.get(admission_id), within=10, what="the bind delivered"
        )
    assert sent["ward_id"] == ward["id"]
    assert sent["icb_codes"][0] == "E54000008" and sent["icb_codes"][1].startswith("Q")
    stay = await ward_client.get(
        f"/v1/internal/admissions/{admission_id}/stay", headers=auth(Role.service)
    )
    assert stay.status_code == 200, stay.text
    assert stay.json()["ward_id"] == ward["id"] and stay.json()["discharged_at"] is None
    assert stay.json()["icb_codes"] == sent["icb_codes"]
    missing = await ward_client.get(
        f"/v1/internal/admissions/{uuid.uuid4()}/stay", headers=auth(Role.service)
    )
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("/admission-not-found")


async def test_the_worker_stops_calling_a_peer_that_keeps_failing(
    database_url, auth, make_ward, make_patient
) -> None:
    """The binding worker has the relay's breaker: N failed calls, then no calls till a probe."""
    from services.ward_api.bindings.worker import BindingWorker
    from services.ward_api.clients.monitoring_ingest import MonitoringClient
    from services.ward_api.settings import WardSettings

    stub = StubMonitoring(up=False)
    ward = await make_ward(beds=6)
    headers = auth(Role.clinician, wards=[ward["id"]])
    async with replicas(database_url, stub, binding_outbox_enabled=False) as (client,):
        for _ in range(6):
            body = admit_body(await make_patient(), ward, device=_device())
            response = await client.post("/v1/admissions", json=body, headers={**headers, **key()})
            assert response.status_code == 201, response.text
        settings = WardSettings(
            database_url=database_url,
            **{**FAST, "binding_concurrency": 1, "binding_breaker_threshold": 3},
            binding_breaker_cooldown_seconds=0.2,
        )
        monitoring = MonitoringClient(
            settings.monitoring_url,
            codec=client.app.state.token_codec,  # type: ignore[attr-defined]
            caller="ward_api",
            retries=0,
            transport=httpx.MockTransport(stub.handler),
        )
        try:
            worker = BindingWorker(client.app.state.sessionmaker, monitoring, settings)  # type: ignore[attr-defined]
            assert await worker.deliver_once() >= 6
            assert stub.tries == 3  # the rest of the batch was handed back unsent
            assert await worker.deliver_once() == 0 and stub.tries == 3  # open: no calls
            await asyncio.sleep(0.25)
            stub.up = True
            await worker.drain(within_seconds=10)  # the probe gets through; the rest follow
            assert worker.breaker.state == "closed" and len(stub.accepted) >= 6
        finally:
            await monitoring.aclose()
