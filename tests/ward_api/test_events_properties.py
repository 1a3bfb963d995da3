"""Properties of event streams over the real table: scope and replay hold for any input.

- Scope: whatever a clinician token names (wards, ICBs by ONS or ODS code, `*`), the scope
  stream shows exactly the events `may_act_for_ward` allows, so the SQL pre-filter never
  drops an event the one scope rule would show, nor shows one it would not.
- Replay: whatever the batch size and wherever a client drops off and reconnects with
  `Last-Event-ID`, it sees every event of its ward once, in id order.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.ward_api.events import repository, service
from services.ward_api.events.hub import EventHub
from services.ward_api.wards import repository as wards
from shared.auth import Principal, Role, may_act_for_ward

pytestmark = pytest.mark.timeout(120)
ICBS = ("E54000008", "E54000050")
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_world: dict[str, object] = {}


async def _setup(ward_client, auth) -> dict[str, object]:
    """Four wards (two per ICB) with two events each, made once for the whole module."""
    if _world:
        return _world
    sessionmaker = ward_client.app.state.sessionmaker
    made: list[tuple[uuid.UUID, tuple[str, str]]] = []
    for n in range(4):
        icb = ICBS[n % 2]
        body = {
            "name": f"Property ward {uuid.uuid4().hex[:6]}",
            "icb_code": icb,
            "provider_ods_code": "RBL",
            "provider_name": "Test Trust",
            "pathways": ["frailty"],
            "beds": 1,
        }
        response = await ward_client.post("/v1/wards", json=body, headers=auth(Role.admin))
        assert response.status_code == 201, response.text
        async with sessionmaker() as session:
            codes = (icb, await wards.icb_ods(session, icb))
        made.append((uuid.UUID(response.json()["id"]), codes))
    async with sessionmaker() as session:
        base = await repository.last_id(session)
    for round_ in range(2):
        for ward_id, codes in made:
            async with sessionmaker() as session, session.begin():
                await repository.append(
                    session,
                    ward_id=ward_id,
                    icb_codes=codes,
                    events=[("alert.raised", {"round": round_})],
                )
    _world.update(wards=made, base=base, hub=EventHub(None, streams_per_caller=10_000))
    return _world


# Symbolic scopes, resolved once the wards exist: ward n, ICB n by its ONS or ODS code.
WARD_NAMES = st.sets(st.sampled_from(["w0", "w1", "w2", "w3", "elsewhere", "*"]), max_size=3)
ICB_NAMES = st.sets(
    st.sampled_from(["icb0-ons", "icb0-ods", "icb1-ons", "icb1-ods", "E54000029", "QMF", "*"]),
    max_size=3,
)


def _principal(world: dict, ward_names: set[str], icb_names: set[str]) -> Principal:
    made = world["wards"]
    ward_map = {f"w{n}": str(w) for n, (w, _) in enumerate(made)}
    icb_map = {}
    for n in range(2):
        ons, ods = made[n][1]  # wards 0 and 1 are in ICBS[0] and ICBS[1]
        icb_map |= {f"icb{n}-ons": ons, f"icb{n}-ods": ods}
    return Principal(
        "property",
        Role.clinician,
        wards=frozenset(ward_map.get(w, str(uuid.uuid4()) if w == "elsewhere" else w)
                        for w in ward_names),
        icbs=frozenset(icb_map.get(i, i) for i in icb_names),
    )  # fmt: skip


async def _read_all(stream: service.Stream, sessionmaker) -> list:
    async with sessionmaker() as session:
        rows = await stream.read(session, stream.after_id, 10_000)
    return [r for r in rows if stream.shows(r)]


@SETTINGS
@given(ward_names=WARD_NAMES, icb_names=ICB_NAMES)
async def test_the_scope_stream_shows_exactly_what_the_scope_rule_allows(
    ward_client, auth, reference, ward_names: set[str], icb_names: set[str]
) -> None:
    world = await _setup(ward_client, auth)
    made: list = world["wards"]  # type: ignore[assignment]
    principal = _principal(world, ward_names, icb_names)
    sessionmaker = ward_client.app.state.sessionmaker
    hub: EventHub = world["hub"]  # type: ignore[assignment]
    stream = await service.open_scope_stream(
        sessionmaker,
        hub,
        principal,
        last_event_id=world["base"],  # type: ignore[arg-type]
    )
    try:
        shown = await _read_all(stream, sessionmaker)
    finally:
        service.close_stream(hub, stream)
    expected = [
        (ward_id, round_)
        for round_ in range(2)
        for ward_id, pair in made
        if may_act_for_ward(principal, ward_id, pair)
    ]
    assert [(r.ward_id, r.payload["round"]) for r in shown] == expected, principal


async def _take(events: AsyncIterator, count: int) -> list:
    taken = []
    async with asyncio.timeout(10):
        while len(taken) < count:
            item = await anext(events)
            if item is not None:
                taken.append(item)
    return taken


@SETTINGS
@given(
    batch=st.integers(min_value=1, max_value=3),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=4),
)
async def test_reconnecting_anywhere_replays_every_event_once_in_order(
    ward_client, auth, reference, batch: int, cuts: list[int]
) -> None:
    world = await _setup(ward_client, auth)
    made: list = world["wards"]  # type: ignore[assignment]
    ward_id, _ = made[0]
    sessionmaker = ward_client.app.state.sessionmaker
    hub: EventHub = world["hub"]  # type: ignore[assignment]
    principal = Principal("property", Role.clinician, wards=frozenset({str(ward_id)}))
    async with sessionmaker() as session:
        rows = await repository.after(session, after_id=0, limit=10_000, ward_id=ward_id)
    everything = [r.id for r in rows]
    seen: list[int] = []
    last: int | None = 0
    for stop in [*sorted(c % (len(everything) + 1) for c in cuts), len(everything)]:
        stream = await service.open_ward_stream(
            sessionmaker, hub, principal, ward_id, last_event_id=last
        )
        events = service.follow(stream, sessionmaker, heartbeat_seconds=5, batch_size=batch)
        try:
            got = await _take(events, max(0, stop - len(seen)))
        finally:
            await events.aclose()
            service.close_stream(hub, stream)
        seen += [e.id for e in got]
        last = seen[-1] if seen else 0
    assert seen == everything
