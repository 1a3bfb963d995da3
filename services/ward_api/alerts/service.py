"""Receive alerts idempotently by alert_id; clinicians acknowledge and resolve them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.access import require_ward
from services.ward_api.admissions.models import Admission
from services.ward_api.alerts.models import Alert
from services.ward_api.alerts.schemas import AlertIn, AlertOut
from services.ward_api.audit import service as audit
from services.ward_api.events import service as events
from services.ward_api.idempotency.service import request_hash
from services.ward_api.wards import repository as wards
from services.ward_api.wards import service as ward_service
from shared.auth import Principal
from shared.problems import Conflict, NotFound


def alert_out(alert: Alert) -> AlertOut:
    seconds = None
    if alert.acknowledged_at is not None:
        seconds = (alert.acknowledged_at - alert.received_at).total_seconds()
    return AlertOut.model_validate(alert).model_copy(update={"response_seconds": seconds})


async def receive(session: AsyncSession, data: AlertIn) -> tuple[AlertOut, bool]:
    """Store a delivered alert; (alert, created). Same id + same body → the stored alert."""
    digest = request_hash(data.model_dump(mode="json"))
    admission = await session.get(Admission, data.admission_id)
    if admission is None:
        raise NotFound(f"no admission {data.admission_id}", slug="admission-not-found")
    if admission.ward_id != data.ward_id:
        raise Conflict(
            "the admission is not on that ward",
            slug="admission-ward-mismatch",
            admission_ward_id=str(admission.ward_id),
        )
    inserted = await session.scalar(
        insert(Alert)
        .values(
            id=data.alert_id,
            admission_id=data.admission_id,
            ward_id=data.ward_id,
            kind=str(data.kind),
            news2_score=data.news2_score,
            risk=None if data.risk is None else str(data.risk),
            detail=data.detail,
            raised_at=data.raised_at,
            body_hash=digest,
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Alert.id)
    )
    alert = await session.scalar(
        select(Alert).where(Alert.id == data.alert_id).execution_options(populate_existing=True)
    )
    assert alert is not None
    if inserted is None and alert.body_hash != digest:
        raise Conflict(
            "this alert_id was already delivered with a different body", slug="alert-id-reused"
        )
    if inserted is not None:
        await events.record_alert_received(session, alert)
    return alert_out(alert), inserted is not None


async def _visible_alert(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> Alert:
    alert = await session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"no alert {alert_id}", slug="alert-not-found")
    ward = await ward_service.get_or_raise(session, alert.ward_id)
    require_ward(principal, ward.id, ward.icb_code, await wards.icb_ods(session, ward.icb_code))
    return alert


async def list_for_ward(
    session: AsyncSession, principal: Principal, ward_id: uuid.UUID, *, open_only: bool
) -> list[AlertOut]:
    ward = await ward_service.get_or_raise(session, ward_id)
    require_ward(principal, ward.id, ward.icb_code, await wards.icb_ods(session, ward.icb_code))
    query = select(Alert).where(Alert.ward_id == ward.id).order_by(Alert.raised_at.desc())
    if open_only:
        query = query.where(Alert.resolved_at.is_(None))
    alerts = list((await session.scalars(query)).all())
    await audit.record(session, principal, "read", "alerts", entity_id=ward.id, ward_id=ward.id)
    return [alert_out(a) for a in alerts]


async def acknowledge(session: AsyncSession, principal: Principal, alert_id: uuid.UUID) -> AlertOut:
    """First acknowledgement wins (its time is the response time); repeats change nothing."""
    alert = await _visible_alert(session, principal, alert_id)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = datetime.now(UTC)
        alert.acknowledged_by = principal.subject
        await session.flush()
        await events.record_alert(session, alert, events.EventType.ALERT_ACKNOWLEDGED)
    await audit.record(
        session, principal, "acknowledge", "alert", entity_id=alert.id, ward_id=alert.ward_id
    )
    return alert_out(alert)


async def resolve(
    session: AsyncSession, principal: Principal, alert_id: uuid.UUID, resolution: str
) -> AlertOut:
    alert = await _visible_alert(session, principal, alert_id)
    if alert.resolved_at is not None:
        raise Conflict("the alert is already resolved", slug="alert-already-resolved")
    now = datetime.now(UTC)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = now, principal.subject
    alert.resolved_at, alert.resolved_by, alert.resolution = now, principal.subject, resolution
    await session.flush()
    await audit.record(
        session, principal, "resolve", "alert", entity_id=alert.id, ward_id=alert.ward_id
    )
    await events.record_alert(session, alert, events.EventType.ALERT_RESOLVED)
    return alert_out(alert)
