"""Live ward events over SSE: scope, order, replay after Last-Event-ID, caps, expiry (issue #12 §1).

Streams are read in-process through a streaming ASGI transport, every read under a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text

from services.ward_api.app import create_app
from services.ward_api.events import repository as event_repository
from services.ward_api.events.hub import LISTENER_NAME
from services.ward_api.events.models import WardEvent
from services.ward_api.settings import WardSettings
from shared.auth import Role
from tests.conftest import serve_in_process
from tests.support.sse import SSEReader, StreamingASGITransport
from tests.ward_api.conftest import admit_body, key

pytestmark = pytest.mark.timeout(60)

OTHER_ICB = "E54000050"  # not the make_ward default (E54000008)


@contextlib.asynccontextmanager
async def streaming(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=StreamingASGITransport(app), base_url="http://test", timeout=10
    ) as client:
        yield client


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> AsyncIterator[SSEReader]:
    async with client.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async with SSEReader(response) as reader:
            yield reader


@pytest.fixture
async def sse(ward_client) -> AsyncIterator[httpx.AsyncClient]:
    async with streaming(ward_client.app) as client:
        yield client


async def _admit(ward_client, auth, ward: dict, patient: dict) -> dict:
    headers = {**auth(Role.clinician, wards=[ward["id"]]), **key()}
    response = await ward_client.post(
        "/v1/admissions", json=admit_body(patient, ward), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _alert(ward_client, auth, admission: dict, **fields) -> dict:
    body = {
        "alert_id": str(uuid.uuid4()),
        "admission_id": admission["id"],
        "ward_id": admission["ward_id"],
        "kind": "news2_high",
        "news2_score": 7,
        "risk": "high",
        "detail": "NEWS2 7",
        "raised_at": datetime.now(UTC).isoformat(),
        **fields,
    }
    service = auth(Role.service, subject="monitoring_ingest")
    response = await ward_client.post("/v1/internal/alerts", json=body, headers=service)
    assert response.status_code == 201, response.text
    return body


async def test_a_wards_stream_shows_its_changes_in_order_and_no_other_wards(
    ward_client, sse, auth, make_ward, make_patient
) -> None:
    ward, other = await make_ward(beds=2), await make_ward(beds=2)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    async with open_stream(sse, f"/v1/wards/{ward['id']}/events", clinician) as stream:
        await _admit(ward_client, auth, other, await make_patient())  # not this ward's
        patient = await make_patient()
        admission = await _admit(ward_client, auth, ward, patient)
        alert = await _alert(ward_client, auth, admission)
        ack = await ward_client.post(
            f"/v1/alerts/{alert['alert_id']}/acknowledge", headers=clinician
        )
        resolved = await ward_client.post(
            f"/v1/alerts/{alert['alert_id']}/resolve",
            json={"resolution": "Called Mrs Smith"},
            headers=clinician,
        )
        discharged = await ward_client.post(
            f"/v1/admissions/{admission['id']}/discharge",
            json={"outcome": "completed"},
            headers=clinician,
        )
        assert (ack.status_code, resolved.status_code, discharged.status_code) == (200,) * 3
        events = await stream.take(6, within=10)
        assert await stream.quiet(0.5) == []
    assert [e.event for e in events] == [
        "admission.admitted",
        "alert.raised",
        "news2.changed",
        "alert.acknowledged",
        "alert.resolved",
        "admission.discharged",
    ]
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert all(e.data["ward_id"] == ward["id"] and e.data["id"] == int(e.id) for e in events)
    assert events[0].data["payload"]["admission_id"] == admission["id"]
    assert events[1].data["payload"]["alert_id"] == alert["alert_id"]
    assert (
        events[2].data["payload"] | {"band": "high", "previous_band": None}
        == (events[2].data["payload"])
    )
    everything = str([e.data for e in events])
    assert patient["nhs_number"] not in everything
    assert "Mrs Smith" not in everything and "NEWS2 7" not in everything  # no free text


async def test_news2_band_changes_escalations_and_missed_readings(
    ward_client, sse, auth, make_ward, make_patient
) -> None:
    ward = await make_ward(beds=1)
    admission = await _admit(ward_client, auth, ward, await make_patient())
    now = datetime.now(UTC)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    async with open_stream(sse, f"/v1/wards/{ward['id']}/events", clinician) as stream:
        at = [(now + timedelta(minutes=m)).isoformat() for m in range(4)]
        await _alert(ward_client, auth, admission, kind="news2_medium", risk="medium",
                     news2_score=5, raised_at=at[0])  # fmt: skip
        await _alert(ward_client, auth, admission, kind="news2_medium", risk="medium",
                     news2_score=6, raised_at=at[1])  # fmt: skip
        await _alert(ward_client, auth, admission, raised_at=at[2])  # high
        await _alert(ward_client, auth, admission, kind="missed_readings", risk=None,
                     news2_score=None, raised_at=at[3])  # fmt: skip
        events = await stream.take(8, within=10)
        assert await stream.quiet(0.5) == []
    assert [e.event for e in events] == [
        "alert.raised",
        "news2.changed",  # none → medium
        "alert.raised",  # medium again: no change
        "alert.raised",
        "alert.escalated",  # high over the open mediums
        "news2.changed",  # medium → high
        "alert.raised",
        "readings.missed",
    ]
    assert events[4].data["payload"]["from_kind"] == "news2_medium"
    assert events[5].data["payload"]["previous_band"] == "medium"


async def test_the_scope_stream_is_the_callers_whole_scope(
    ward_client, sse, auth, make_ward, make_patient
) -> None:
    mine, theirs = await make_ward(), await make_ward(icb=OTHER_ICB)
    named = await make_ward(icb=OTHER_ICB)
    icb = auth(Role.clinician, icbs=[mine["icb_code"]], wards=[named["id"]])
    async with open_stream(sse, "/v1/events", icb) as stream:
        for ward in (theirs, mine, named):
            await _admit(ward_client, auth, ward, await make_patient())
        events = await stream.take(2, within=10)
        assert await stream.quiet(0.5) == []
    assert [e.data["ward_id"] for e in events] == [mine["id"], named["id"]]


async def test_reconnecting_with_last_event_id_misses_nothing(
    ward_client, sse, auth, make_ward, make_patient
) -> None:
    ward = await make_ward(beds=8)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    path = f"/v1/wards/{ward['id']}/events"
    async with open_stream(sse, path, clinician) as stream:
        first = await _admit(ward_client, auth, ward, await make_patient())
        (seen,) = await stream.take(1, within=10)
    assert seen.data["payload"]["admission_id"] == first["id"]
    # Off the network: changes keep committing.
    missed = [await _admit(ward_client, auth, ward, await make_patient()) for _ in range(3)]
    async with open_stream(sse, path, {**clinician, "Last-Event-ID": seen.id}) as stream:
        replayed = await stream.take(3, within=10)
        latest = await _admit(ward_client, auth, ward, await make_patient())
        (live,) = await stream.take(1, within=10)
        assert await stream.quiet(0.3) == []
    assert [e.data["payload"]["admission_id"] for e in replayed] == [a["id"] for a in missed]
    assert live.data["payload"]["admission_id"] == latest["id"]
    # Without Last-Event-ID a stream starts now; with a made-up future id, at the newest.
    async with open_stream(sse, path, {**clinician, "Last-Event-ID": "999999999999"}) as stream:
        again = await _admit(ward_client, auth, ward, await make_patient())
        (event,) = await stream.take(1, within=10)
    assert event.data["payload"]["admission_id"] == again["id"]


async def test_refusals_are_problems_before_any_stream(ward_client, sse, auth, make_ward) -> None:
    ward = await make_ward()
    path = f"/v1/wards/{ward['id']}/events"
    anywhere = auth(Role.clinician, wards=["*"])
    cases = [
        (path, auth(Role.clinician, wards=[str(uuid.uuid4())]), 403, "wrong-ward"),
        (path, auth(Role.clinician, icbs=[OTHER_ICB]), 403, "wrong-ward"),
        (path, auth(Role.admin, icbs=["*"], wards=["*"]), 403, "wrong-role"),
        ("/v1/events", auth(Role.commissioner, icbs=["*"]), 403, "wrong-role"),
        (f"/v1/wards/{uuid.uuid4()}/events", anywhere, 404, "ward-not-found"),
        (path, {**anywhere, "Last-Event-ID": "x"}, 422, "validation-error"),
        (path, {}, 401, "token-missing"),
    ]
    for url, headers, status, slug in cases:
        async with sse.stream("GET", url, headers=headers) as response:
            body = await response.aread()
        assert response.status_code == status, (url, body)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith(f"/{slug}")


@pytest.fixture
async def tight_app(database_url: str, reference):
    """A second ward_api in-process: quick heartbeats, two streams per caller, its own hub."""
    settings = WardSettings(
        database_url=database_url, events_heartbeat_seconds=0.2, events_streams_per_caller=2
    )
    app = create_app(settings)
    async with serve_in_process(app):
        await asyncio.wait_for(app.state.event_hub.listening.wait(), 10)
        yield app


async def test_streams_per_caller_are_capped_and_released(tight_app, auth, make_ward) -> None:
    ward = await make_ward()
    path = f"/v1/wards/{ward['id']}/events"
    mine = auth(Role.clinician, wards=[ward["id"]], subject="capped")
    async with streaming(tight_app) as client:
        async with open_stream(client, path, mine), open_stream(client, "/v1/events", mine):
            async with client.stream("GET", path, headers=mine) as third:
                await third.aread()
            assert third.status_code == 429 and third.json()["type"].endswith("/too-many-streams")
            other = auth(Role.clinician, wards=[ward["id"]], subject="someone-else")
            async with open_stream(client, path, other):
                pass
        assert tight_app.state.event_hub.open_streams == 0
        async with open_stream(client, path, mine), open_stream(client, path, mine):
            pass


async def test_idle_streams_send_heartbeats_and_end_when_the_token_expires(
    tight_app, codec, make_ward
) -> None:
    ward = await make_ward()
    token = codec.issue(subject="brief", role=Role.clinician, wards=[ward["id"]], ttl_seconds=2)
    async with streaming(tight_app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        async with open_stream(client, f"/v1/wards/{ward['id']}/events", headers) as stream:
            assert await stream.ended(within=6)
            assert stream.heartbeats >= 3
    assert tight_app.state.event_hub.open_streams == 0


async def test_an_event_committed_through_one_app_wakes_a_stream_of_another(
    ward_client, tight_app, auth, make_ward, make_patient
) -> None:
    """Two apps in one process, each with its own LISTEN connection: NOTIFY crosses between."""
    ward = await make_ward()
    clinician = auth(Role.clinician, wards=[ward["id"]])
    tight_app.state.settings = tight_app.state.settings.model_copy(
        update={"events_heartbeat_seconds": 30.0}  # so only a NOTIFY can wake it in time
    )
    path = f"/v1/wards/{ward['id']}/events"
    async with streaming(tight_app) as client, open_stream(client, path, clinician) as stream:
        admission = await _admit(ward_client, auth, ward, await make_patient())
        (event,) = await stream.take(1, within=5)
    assert event.data["payload"]["admission_id"] == admission["id"]


async def test_a_rolled_back_change_leaves_no_event(ward_client, make_ward) -> None:
    ward = await make_ward()
    sessionmaker = ward_client.app.state.sessionmaker
    async with sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(WardEvent))
    async with sessionmaker() as session:
        await event_repository.append(
            session,
            ward_id=uuid.UUID(ward["id"]),
            icb_codes=[ward["icb_code"]],
            events=[("admission.admitted", {"admission_id": str(uuid.uuid4())})],
        )
        await session.rollback()
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(WardEvent)) == before


async def test_event_ids_follow_commit_order(ward_client, make_ward) -> None:
    """A later writer waits for an earlier one's commit, so no stream skips an earlier id.

    Without the ordering lock the second writer takes id n+1 and commits first; a stream that
    reads it has moved past n, which commits afterwards and is never shown.
    """
    ward = await make_ward()
    sessionmaker = ward_client.app.state.sessionmaker
    one = [("alert.raised", {"n": 1})]
    two = [("alert.raised", {"n": 2})]
    ward_id = uuid.UUID(ward["id"])
    async with sessionmaker() as first, sessionmaker() as second:
        await event_repository.append(first, ward_id=ward_id, icb_codes=[], events=one)

        async def later() -> None:
            await event_repository.append(second, ward_id=ward_id, icb_codes=[], events=two)
            await second.commit()

        task = asyncio.create_task(later())
        await asyncio.sleep(0.5)
        assert not task.done(), "the second writer got an id before the first committed"
        await first.commit()
        await asyncio.wait_for(task, 10)
    async with sessionmaker() as session:
        rows = await event_repository.after(session, after_id=0, limit=10_000, ward_id=ward_id)
    assert [r.payload["n"] for r in rows] == [1, 2]


async def test_many_concurrent_changes_reach_a_stream_once_each_in_id_order(
    ward_client, sse, auth, make_ward, make_patient
) -> None:
    ward = await make_ward(beds=1)
    admission = await _admit(ward_client, auth, ward, await make_patient())
    clinician = auth(Role.clinician, wards=[ward["id"]])
    async with open_stream(sse, f"/v1/wards/{ward['id']}/events", clinician) as stream:
        bodies = await asyncio.gather(
            *(
                _alert(ward_client, auth, admission, kind="threshold_breach", risk=None)
                for _ in range(30)
            )
        )
        events = await stream.take(30, within=20)
        assert await stream.quiet(0.5) == []
    ids = [int(e.id) for e in events]
    assert ids == sorted(ids)
    assert sorted(e.data["payload"]["alert_id"] for e in events) == sorted(
        b["alert_id"] for b in bodies
    )


async def test_the_listener_reconnects_and_catches_up(
    ward_client, tight_app, auth, make_ward, make_patient
) -> None:
    """Its LISTEN connection killed, the hub reconnects and wakes every stream to catch up."""
    ward = await make_ward()
    clinician = auth(Role.clinician, wards=[ward["id"]])
    tight_app.state.settings = tight_app.state.settings.model_copy(
        update={"events_heartbeat_seconds": 30.0}  # a heartbeat's re-read cannot hide a miss
    )
    hub = tight_app.state.event_hub
    path = f"/v1/wards/{ward['id']}/events"
    async with streaming(tight_app) as client, open_stream(client, path, clinician) as stream:
        async with ward_client.app.state.sessionmaker() as session:
            killed = await session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": LISTENER_NAME},
            )
        assert killed >= 1
        # Committed while no listener is connected: its NOTIFY is lost to this hub.
        admission = await _admit(ward_client, auth, ward, await make_patient())
        (event,) = await stream.take(1, within=10)
        assert hub.listening.is_set()
    assert event.data["payload"]["admission_id"] == admission["id"]


async def test_a_stream_holds_no_database_connection_between_reads(
    ward_client, tight_app, auth, make_ward, make_patient
) -> None:
    """Open, idle, or with events waiting for a client that does not read: nothing checked out."""
    ward = await make_ward(beds=4)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    pool = tight_app.state.engine.pool
    path = f"/v1/wards/{ward['id']}/events"
    async with streaming(tight_app) as client, open_stream(client, path, clinician) as stream:
        for _ in range(4):
            await _admit(ward_client, auth, ward, await make_patient())
        await stream.take(1, within=10)
        await asyncio.sleep(0.5)  # several heartbeats: each re-reads, then lets go
        assert pool.checkedout() == 0
        assert len(await stream.take(3, within=10)) == 3
        assert pool.checkedout() == 0
