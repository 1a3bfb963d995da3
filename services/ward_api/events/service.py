"""Ward events: written with the change they describe, followed by clinicians' live streams.

Writers (alerts and admissions services) call one `record_*` function in the transaction of
their change; the event exists if and only if the change commits (repository.py explains
why ids then follow commit order). A stream is opened with the caller's scope checked on the
ward as ward_api owns it, starts after `Last-Event-ID` (or at the newest event), and loops:
read a bounded batch after its last id with a short-lived session, send it, then wait (with
no connection held) for a wake from the hub (hub.py) or a heartbeat's timeout. It ends when
the caller's token expires; the client reconnects with a fresh token and its last id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ward_api.access import require_ward
from services.ward_api.admissions.models import Admission
from services.ward_api.alerts.models import Alert
from services.ward_api.audit import service as audit
from services.ward_api.domain.alert_events import NEWS2_RANK, News2Alert, implied_events
from services.ward_api.events import repository
from services.ward_api.events.hub import (
    EventHub,
    StreamCapReached,
    Subscription,
    Wants,
    ward_filter,
)
from services.ward_api.events.models import WardEvent
from services.ward_api.events.schemas import EventOut, EventType
from services.ward_api.wards import repository as wards
from services.ward_api.wards import service as ward_service
from services.ward_api.wards.models import Ward
from shared.auth import Principal, may_act_for_ward
from shared.problems import NotFound, TooManyRequests

Reader = Callable[[AsyncSession, int, int], Awaitable[list[WardEvent]]]

# ---- writing ---------------------------------------------------------------------------


async def _append(
    session: AsyncSession, ward_id: uuid.UUID, events: list[tuple[str, dict[str, Any]]]
) -> None:
    ward = await session.get(Ward, ward_id)
    if ward is None:  # the change's own ward: it exists in this transaction
        raise NotFound(f"no ward {ward_id}", slug="ward-not-found")
    codes = [ward.icb_code, await wards.icb_ods(session, ward.icb_code)]
    await repository.append(
        session, ward_id=ward_id, icb_codes=[c for c in codes if c], events=events
    )


def _alert_payload(alert: Alert) -> dict[str, Any]:
    """What a dashboard needs to show the alert; no free text (detail, resolution), no names."""

    def iso(value: Any) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "alert_id": str(alert.id),
        "admission_id": str(alert.admission_id),
        "kind": alert.kind,
        "news2_score": alert.news2_score,
        "risk": alert.risk,
        "raised_at": iso(alert.raised_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "resolved_at": iso(alert.resolved_at),
    }


async def record_alert_received(session: AsyncSession, alert: Alert) -> None:
    """`alert.raised`, plus `alert.escalated`, `news2.changed` or `readings.missed` as they apply
    (the rules are in domain/alert_events.py)."""
    payload = _alert_payload(alert)
    events: list[tuple[str, dict[str, Any]]] = [(EventType.ALERT_RAISED, payload)]
    if alert.kind == "missed_readings":
        events.append((EventType.READINGS_MISSED, payload))
    if alert.kind in NEWS2_RANK:
        others = [
            News2Alert(a.kind, a.risk, a.raised_at, resolved=a.resolved_at is not None)
            for a in await repository.news2_alerts(session, alert.admission_id)
            if a.id != alert.id
        ]
        implied = implied_events(News2Alert(alert.kind, alert.risk, alert.raised_at), others)
        if implied.escalated_from is not None:
            events.append(
                (EventType.ALERT_ESCALATED, {**payload, "from_kind": implied.escalated_from})
            )
        if implied.band_change is not None:
            previous, band = implied.band_change
            change = {
                "admission_id": str(alert.admission_id),
                "alert_id": str(alert.id),
                "band": band,
                "previous_band": previous,
                "news2_score": alert.news2_score,
                "raised_at": alert.raised_at.isoformat(),
            }
            events.append((EventType.NEWS2_CHANGED, change))
    await _append(session, alert.ward_id, events)


async def record_alert(session: AsyncSession, alert: Alert, kind: EventType) -> None:
    """`alert.acknowledged` or `alert.resolved`."""
    await _append(session, alert.ward_id, [(kind, _alert_payload(alert))])


def _admission_payload(admission: Admission) -> dict[str, Any]:
    end = admission.discharged_at
    return {
        "admission_id": str(admission.id),
        "patient_id": str(admission.patient_id),
        "bed_number": admission.bed_number,
        "pathway": admission.pathway,
        "urgency": admission.urgency,
        "admitted_at": admission.admitted_at.isoformat(),
        "from_waitlist": admission.admitted_by.startswith("waitlist:"),
        "discharged_at": None if end is None else end.isoformat(),
        "outcome": admission.outcome,
        "length_of_stay_days": admission.length_of_stay_days,
    }


async def record_admitted(session: AsyncSession, admission: Admission) -> None:
    await _append(
        session, admission.ward_id, [(EventType.ADMISSION_ADMITTED, _admission_payload(admission))]
    )


async def record_discharge(
    session: AsyncSession, admission: Admission, head: Admission | None
) -> None:
    """The discharge, then the wait-list admission into the freed bed (if any)."""
    events: list[tuple[str, dict[str, Any]]] = [
        (EventType.ADMISSION_DISCHARGED, _admission_payload(admission))
    ]
    if head is not None:
        events.append((EventType.ADMISSION_ADMITTED, _admission_payload(head)))
    await _append(session, admission.ward_id, events)


# ---- streaming -------------------------------------------------------------------------


@dataclass
class Stream:
    """One open stream: its wake subscription, what it reads, where it is, when it ends."""

    subscription: Subscription
    read: Reader
    shows: Callable[[WardEvent], bool]
    after_id: int
    expires_at: float | None


def _subscribe(hub: EventHub, principal: Principal, wants: Wants) -> Subscription:
    try:
        return hub.subscribe(f"{principal.role}:{principal.subject}", wants)
    except StreamCapReached as exc:
        raise TooManyRequests(
            "this caller already has the most open event streams allowed",
            slug="too-many-streams",
        ) from exc


async def _start(session: AsyncSession, last_event_id: int | None) -> int:
    """After `Last-Event-ID` (never beyond the newest event), else after the newest."""
    newest = await repository.last_id(session)
    return newest if last_event_id is None else min(last_event_id, newest)


async def open_ward_stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    hub: EventHub,
    principal: Principal,
    ward_id: uuid.UUID,
    *,
    last_event_id: int | None,
) -> Stream:
    """A stream of one ward's events; 403 `wrong-ward` outside the caller's scope."""
    async with sessionmaker() as session, session.begin():
        ward = await ward_service.get_or_raise(session, ward_id)
        require_ward(principal, ward.id, ward.icb_code, await wards.icb_ods(session, ward.icb_code))
        start = await _start(session, last_event_id)
        await audit.record(
            session, principal, "subscribe", "events", entity_id=ward.id, ward_id=ward.id
        )
    subscription = _subscribe(hub, principal, ward_filter(ward.id))

    async def read(session: AsyncSession, after_id: int, limit: int) -> list[WardEvent]:
        return await repository.after(session, after_id=after_id, limit=limit, ward_id=ward.id)

    return Stream(subscription, read, lambda _e: True, start, principal.expires_at)


async def open_scope_stream(
    sessionmaker: async_sessionmaker[AsyncSession],
    hub: EventHub,
    principal: Principal,
    *,
    last_event_id: int | None,
) -> Stream:
    """A stream of every ward in the caller's scope (its wards, and its ICBs' wards)."""
    async with sessionmaker() as session, session.begin():
        start = await _start(session, last_event_id)
        await audit.record(session, principal, "subscribe", "events")
    everywhere = principal.is_national or "*" in principal.wards
    # Woken by the one scope rule on the notified ward's codes; reading checks it again.
    subscription = _subscribe(
        hub, principal, lambda ward, icbs: may_act_for_ward(principal, ward, icbs)
    )

    async def read(session: AsyncSession, after_id: int, limit: int) -> list[WardEvent]:
        return await repository.after(
            session,
            after_id=after_id,
            limit=limit,
            wards=principal.wards,
            icbs=principal.icbs,
            everywhere=everywhere,
        )

    def shows(event: WardEvent) -> bool:  # the one scope rule, on the codes stored with it
        return may_act_for_ward(principal, event.ward_id, event.icb_codes)

    return Stream(subscription, read, shows, start, principal.expires_at)


def close_stream(hub: EventHub, stream: Stream) -> None:
    hub.unsubscribe(stream.subscription)


async def follow(
    stream: Stream,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    heartbeat_seconds: float,
    batch_size: int,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[EventOut | None]:
    """The stream's events in id order; None when a heartbeat is due. Ends at token expiry."""
    while True:
        if stream.expires_at is not None and clock() >= stream.expires_at:
            return
        stream.subscription.clear()  # before reading: a NOTIFY from now on wakes us again
        async with sessionmaker() as session:
            rows = await stream.read(session, stream.after_id, batch_size)
        for row in rows:
            stream.after_id = row.id
            if stream.shows(row):
                yield EventOut.model_validate(row)
        if len(rows) == batch_size:
            continue  # more waiting: read on before sleeping
        wait = heartbeat_seconds
        if stream.expires_at is not None:
            wait = min(wait, stream.expires_at - clock())
        if wait <= 0:
            return
        if not await stream.subscription.wait(wait):
            yield None
