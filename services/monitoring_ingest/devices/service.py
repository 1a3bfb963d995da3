"""Binding devices to admissions at admission and ending the binding at discharge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.devices.models import Binding, Device
from services.monitoring_ingest.domain.normalise import IngestPolicy
from services.monitoring_ingest.vendors import service as vendors
from shared.auth import Principal
from shared.problems import Conflict, NotFound, Unprocessable

# The clock skew tolerated between ward_api and this service, as for readings' times.
UNBIND_MAX_FUTURE_SKEW = IngestPolicy().max_future_skew


async def bind(
    session: AsyncSession,
    *,
    vendor_id: uuid.UUID,
    device_id: str,
    admission_id: uuid.UUID,
    ward_id: uuid.UUID,
    expected_interval_minutes: int,
    bound_at: datetime,
) -> tuple[Binding, bool]:
    """Open a binding; (binding, created). Same admission again is the same binding."""
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
        expected_interval_minutes=expected_interval_minutes,
        bound_at=bound_at,
    )
    session.add(binding)
    await session.flush()
    return binding, True


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
    exceeds `expected` however chatty the device is.
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
                    coalesce(sum(floor(extract(epoch FROM ended_at - bound_at)
                                       / extract(epoch FROM step)))::int, 0),
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
    expected = int(row[0] or 0)
    return expected, min(int(row[1] or 0), expected)


async def admission_ward(session: AsyncSession, *, admission_id: uuid.UUID) -> uuid.UUID:
    """The ward an admission is monitored on (its latest binding); 404 if never bound."""
    ward = await session.scalar(
        select(Binding.ward_id)
        .where(Binding.admission_id == admission_id)
        .order_by(Binding.bound_at.desc())
        .limit(1)
    )
    if ward is None:
        raise NotFound(
            f"admission {admission_id} has no monitoring binding",
            slug="admission-not-found",
            admission_id=str(admission_id),
        )
    return ward


async def require_admission_ward(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> uuid.UUID:
    """The admission's ward, after checking the caller may act for it (403 `wrong-ward`)."""
    ward = await admission_ward(session, admission_id=admission_id)
    principal.require_ward(str(ward))
    return ward


async def list_bindings(session: AsyncSession, *, admission_id: uuid.UUID) -> list[Binding]:
    query = select(Binding).where(Binding.admission_id == admission_id).order_by(Binding.bound_at)
    return list((await session.scalars(query)).all())
