"""Live ward events over Server-Sent Events, for clinicians (issue #12 §1)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.sse import EventSourceResponse, ServerSentEvent

from services.ward_api.deps import EventHubDep, SessionmakerDep, SettingsDep
from services.ward_api.events import responses as problems
from services.ward_api.events import service
from shared.auth import Principal, Role, allow

router = APIRouter(tags=["events"])
_clinician = allow(Role.clinician)

LastEventId = Annotated[
    int | None,
    Header(ge=0, description="The `id` of the last event received: replay everything after it."),
]

STREAM_DESCRIPTION = """
`text/event-stream`: each event has `id` (monotonic), `event` (its type: `alert.raised`,
`alert.escalated`, `alert.acknowledged`, `alert.resolved`, `admission.admitted`,
`admission.discharged`, `news2.changed`, `readings.missed`) and JSON `data`. Reconnect with
`Last-Event-ID` to miss nothing; comment lines are heartbeats. The stream ends when the
token expires.
"""


async def _ward_stream(
    sessions: SessionmakerDep,
    hub: EventHubDep,
    ward_id: uuid.UUID,
    principal: Annotated[Principal, Depends(_clinician)],
    last_event_id: LastEventId = None,
) -> AsyncIterator[service.Stream]:
    stream = await service.open_ward_stream(
        sessions, hub, principal, ward_id, last_event_id=last_event_id
    )
    try:
        yield stream
    finally:
        service.close_stream(hub, stream)


async def _scope_stream(
    sessions: SessionmakerDep,
    hub: EventHubDep,
    principal: Annotated[Principal, Depends(_clinician)],
    last_event_id: LastEventId = None,
) -> AsyncIterator[service.Stream]:
    stream = await service.open_scope_stream(sessions, hub, principal, last_event_id=last_event_id)
    try:
        yield stream
    finally:
        service.close_stream(hub, stream)


async def _sse(
    stream: service.Stream, sessions: SessionmakerDep, settings: SettingsDep
) -> AsyncIterator[ServerSentEvent]:
    events = service.follow(
        stream,
        sessions,
        heartbeat_seconds=settings.events_heartbeat_seconds,
        batch_size=settings.events_batch_size,
    )
    async for event in events:
        if event is None:
            yield ServerSentEvent(comment="heartbeat")
        else:
            yield ServerSentEvent(id=str(event.id), event=event.type, data=event)


@router.get(
    "/v1/wards/{ward_id}/events",
    response_class=EventSourceResponse,
    summary="Live events of a ward (SSE)",
    description=STREAM_DESCRIPTION,
    responses=problems.WARD_EVENTS,
)
async def ward_events(
    stream: Annotated[service.Stream, Depends(_ward_stream)],
    sessions: SessionmakerDep,
    settings: SettingsDep,
) -> AsyncIterable[ServerSentEvent]:
    async for event in _sse(stream, sessions, settings):
        yield event


@router.get(
    "/v1/events",
    response_class=EventSourceResponse,
    summary="Live events of every ward in the caller's scope (SSE)",
    description=STREAM_DESCRIPTION,
    responses=problems.SCOPE_EVENTS,
)
async def scope_events(
    stream: Annotated[service.Stream, Depends(_scope_stream)],
    sessions: SessionmakerDep,
    settings: SettingsDep,
) -> AsyncIterable[ServerSentEvent]:
    async for event in _sse(stream, sessions, settings):
        yield event
