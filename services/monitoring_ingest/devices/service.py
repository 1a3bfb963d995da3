"""Binding devices to admissions at admission and ending the binding at discharge."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.devices.models import Binding, Device
from services.monitoring_ingest.domain.normalise import IngestPolicy
from services.monitoring_ingest.vendors import service as vendors
from shared.auth import Principal, require_ward_scope
from shared.http_client import PeerError, PeerUnavailable
from shared.problems import Conflict, NotFound, ServiceUnavailable, Unprocessable

# The clock skew tolerated between ward_api and this service, as for readings' times.
UNBIND_MAX_FUTURE_SKEW = IngestPolicy().max_future_skew
BIND_MAX_FUTURE_SKEW = UNBIND_MAX_FUTURE_SKEW
# No virtual-ward stay, nor an outbox delivered late after an outage, is older than this.
BIND_MAX_AGE = timedelta(days=366)
# Counts are reported as 32-bit integers by ward_api; no real stay comes near this.
MAX_READINGS_EXPECTED = 2**31 - 1


def check_bound_at(
    bound_at: datetime, *, now: datetime | None = None, stay_start: datetime | None = None
) -> None:
    """422 unless `bound_at` is not in the future nor before the stay (or a year, if unknown)."""
    now = now or datetime.now(UTC)
    latest = now + BIND_MAX_FUTURE_SKEW
    if bound_at > latest:
        raise Unprocessable(
            "bound_at is in the future; a device is bound at or before the call",
            slug="bound-at-in-future",
            bound_at=bound_at.isoformat(),
            latest=latest.isoformat(),
        )
    earliest = now - BIND_MAX_AGE
    if stay_start is not None:
        earliest = max(earliest, stay_start)
    if bound_at < earliest:
        raise Unprocessable(
            "bound_at is before the admission began (or more than a year ago)",
            slug="bound-at-outside-stay",
            bound_at=bound_at.isoformat(),
            earliest=earliest.isoformat(),
        )


async def bind(
    session: AsyncSession,
    *,
    vendor_id: uuid.UUID,
    device_id: str,
    admission_id: uuid.UUID,
    ward_id: uuid.UUID,
    expected_interval_minutes: int,
    bound_at: datetime,
    icb_codes: Sequence[str] = (),
    now: datetime | None = None,
) -> tuple[Binding, bool]:
    """Open a binding; (binding, created). Same admission again is the same binding.

    The ward (and its ICB codes) must come from ward_api, the admission's owner: callers
    pass what ward_api said, never a ward from a clinician's body. `bound_at` may not lie in
    the future beyond the clock skew readings are allowed (422 `bound-at-in-future`).
    """
    check_bound_at(bound_at, now=now)
    await vendors.get_or_raise(session, vendor_id=vendor_id)
    await session.execute(
        pg_insert(Device).values(vendor_id=vendor_id, device_id=device_id).on_conflict_do_nothing()
    )
    # Serialise binds of one device so the open-binding check and insert cannot interleave.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"bind:{vendor_id}:{device_id}"},
    )
    open_binding = await session.scalar(
        select(Binding).where(
            Binding.vendor_id == vendor_id,
            Binding.device_id == device_id,
            Binding.unbound_at.is_(None),
        )
    )
    if open_binding is not None:
        if open_binding.admission_id == admission_id:
            return open_binding, False
        raise Conflict(
            f"device {device_id} is bound to another open admission",
            slug="device-already-bound",
            binding_id=str(open_binding.id),
        )
    binding = Binding(
        id=uuid.uuid4(),
        vendor_id=vendor_id,
        device_id=device_id,
        admission_id=admission_id,
        ward_id=ward_id,
        icb_codes=sorted({code for code in icb_codes if code}),
        expected_interval_minutes=expected_interval_minutes,
        bound_at=bound_at,
    )
    session.add(binding)
    await session.flush()
    return binding, True


async def bind_for_clinician(
    session: AsyncSession,
    ward_api: WardApiClient,
    *,
    principal: Principal,
    vendor_id: uuid.UUID,
    device_id: str,
    admission_id: uuid.UUID,
    ward_id: uuid.UUID | None,
    expected_interval_minutes: int,
    bound_at: datetime,
) -> tuple[Binding, bool]:
    """Bind a device a clinician names to an admission ward_api says is open on their ward.

    The ward, its ICB and the stay are ward_api's facts, read from it: 404 if it knows no
    such admission, 403 `wrong-ward` outside the caller's scope, 409 `admission-discharged`,
    422 `binding-ward-mismatch` when the body names another ward, and 422 for a `bound_at`
    before the admission or in the future.
    """
    try:
        stay = await ward_api.admission_stay(admission_id)
    except PeerUnavailable as exc:
        raise ServiceUnavailable(
            f"ward_api could not be asked about the admission: {exc.detail}",
            slug="ward-api-unavailable",
        ) from exc
    except PeerError as exc:
        if exc.status == 404:
            raise NotFound(
                f"ward_api knows no admission {admission_id}",
                slug="admission-not-found",
                admission_id=str(admission_id),
            ) from exc
        raise ServiceUnavailable(
            f"ward_api could not be asked about the admission: {exc.status} {exc.detail}",
            slug="ward-api-unavailable",
        ) from exc
    require_ward_scope(principal, stay.ward_id, stay.icb_codes)
    if stay.discharged_at is not None:
        raise Conflict(
            f"admission {admission_id} was discharged; only an open admission is bound",
            slug="admission-discharged",
            discharged_at=stay.discharged_at.isoformat(),
        )
    if ward_id is not None and ward_id != stay.ward_id:
        raise Unprocessable(
            "ward_id is not the admission's ward (the ward comes from ward_api)",
            slug="binding-ward-mismatch",
            ward_id=str(ward_id),
        )
    check_bound_at(bound_at, stay_start=stay.admitted_at)
    return await bind(
        session,
        vendor_id=vendor_id,
        device_id=device_id,
        admission_id=admission_id,
        ward_id=stay.ward_id,
        icb_codes=stay.icb_codes,
        expected_interval_minutes=expected_interval_minutes,
        bound_at=bound_at,
    )


async def unbind(
    session: AsyncSession,
    *,
    vendor_id: uuid.UUID,
    device_id: str,
    admission_id: uuid.UUID,
    unbound_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Binding, int, int]:
    """End the admission's binding of the device at `unbound_at` (default now); idempotent.

    Returns (binding, expected, received). The first ending wins: a repeat answers with the
    binding as it was ended, whatever `unbound_at` it carries, so a retried discharge
    delivery always gets the same answer. A new ending time must be timezone-aware, not
    before `bound_at` and not in the future beyond the clock skew readings are allowed.
    """
    now = now or datetime.now(UTC)
    if unbound_at is not None and unbound_at.utcoffset() is None:
        raise Unprocessable(
            "unbound_at needs a UTC offset, or the instant of discharge is unknown",
            slug="unbound-at-naive",
            unbound_at=unbound_at.isoformat(),
        )
    binding = await session.scalar(
        select(Binding)
        .where(
            Binding.vendor_id == vendor_id,
            Binding.device_id == device_id,
            Binding.admission_id == admission_id,
        )
        .order_by(Binding.bound_at.desc())
        .limit(1)
        .with_for_update()
    )
    if binding is None:
        raise NotFound(
            f"device {device_id} of vendor {vendor_id} was never bound to that admission",
            slug="binding-not-found",
        )
    if binding.unbound_at is None:
        binding.unbound_at = _ending(binding, unbound_at, now)
        await session.flush()
    expected, received = await completeness(session, admission_id=admission_id)
    return binding, expected, received


def _ending(binding: Binding, unbound_at: datetime | None, now: datetime) -> datetime:
    """When a binding ends: the given discharge time, checked, or now (never before bound)."""
    if unbound_at is None:
        return max(now, binding.bound_at)
    if unbound_at < binding.bound_at:
        raise Unprocessable(
            "unbound_at is before the device was bound",
            slug="unbound-before-bound",
            unbound_at=unbound_at.isoformat(),
            bound_at=binding.bound_at.isoformat(),
        )
    latest = now + UNBIND_MAX_FUTURE_SKEW
    if unbound_at > latest:
        raise Unprocessable(
            "unbound_at is in the future; a binding ends at or before the discharge call",
            slug="unbound-in-future",
            unbound_at=unbound_at.isoformat(),
            latest=latest.isoformat(),
        )
    return unbound_at


async def completeness(session: AsyncSession, *, admission_id: uuid.UUID) -> tuple[int, int]:
    """Expected readings (one per interval over each binding) and intervals that had any.

    `received` counts expected intervals holding at least one reading, so it never
    exceeds `expected` however chatty the device is. Each binding counts from zero (one
    not yet begun counts nothing) and the sum is taken in bigint and capped, so no binding
    can make the count negative or overflow it.
    """
    row = (
        await session.execute(
            text(
                """
                WITH b AS (
                    SELECT id, bound_at, coalesce(unbound_at, now()) AS ended_at,
                           make_interval(mins => expected_interval_minutes) AS step
                    FROM monitoring.bindings WHERE admission_id = :a
                )
                SELECT
                    coalesce(sum(greatest(0, floor(extract(epoch FROM ended_at - bound_at)
                                                   / extract(epoch FROM step)))::bigint), 0),
                    (SELECT count(DISTINCT (b.id, floor(
                                extract(epoch FROM r.observed_at - b.bound_at)
                                / extract(epoch FROM b.step))))
                     FROM b JOIN monitoring.readings r
                       ON r.admission_id = :a
                      AND r.observed_at >= b.bound_at AND r.observed_at < b.ended_at)
                FROM b
                """
            ),
            {"a": admission_id},
        )
    ).one()
    expected = min(max(int(row[0] or 0), 0), MAX_READINGS_EXPECTED)
    return expected, min(int(row[1] or 0), expected)


async def admission_ward(session: AsyncSession, *, admission_id: uuid.UUID) -> Binding:
    """The binding that places an admission on its ward (its latest); 404 if never bound."""
    binding = await session.scalar(
        select(Binding)
        .where(Binding.admission_id == admission_id)
        .order_by(Binding.bound_at.desc())
        .limit(1)
    )
    if binding is None:
        raise NotFound(
            f"admission {admission_id} has no monitoring binding",
            slug="admission-not-found",
            admission_id=str(admission_id),
        )
    return binding


async def require_admission_ward(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> uuid.UUID:
    """The admission's ward, after checking the caller may act for it (403 `wrong-ward`).

    The same rule as ward_api's (`shared.auth.require_ward_scope`): the ward, or for a
    clinician its ICB under either code, as ward_api gave them with the binding.
    """
    binding = await admission_ward(session, admission_id=admission_id)
    require_ward_scope(principal, binding.ward_id, binding.icb_codes)
    return binding.ward_id


async def list_bindings(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> list[Binding]:
    """Every binding of an admission in the caller's scope, oldest first."""
    await require_admission_ward(session, principal=principal, admission_id=admission_id)
    query = select(Binding).where(Binding.admission_id == admission_id).order_by(Binding.bound_at)
    return list((await session.scalars(query)).all())
