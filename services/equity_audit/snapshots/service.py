"""Pull admission aggregates from ward_api into uptake snapshots, incrementally.

Each refresh pulls admissions from `snapshot_lookback_months` before the month of the last
pull up to tomorrow, and replaces those months: admissions of recent months change when
patients are discharged (outcome, length of stay, readings), older months are kept as pulled.
When ward_api cannot be reached the last snapshot is used and its age reported; with no
snapshot at all there is nothing to answer from (503, Retry-After).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.clients.ward_api import WardApiClient
from services.equity_audit.settings import EquitySettings
from services.equity_audit.snapshots import repository
from services.equity_audit.snapshots.models import Snapshot
from services.equity_audit.snapshots.schemas import SnapshotOut
from shared.http_client import PeerError
from shared.problems import NotFound, ServiceUnavailable

logger = logging.getLogger("vward.equity_audit.snapshots")
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True, slots=True)
class SnapshotStatus:
    """The snapshot an answer is built from, how old it is, and whether a refresh failed."""

    snapshot: Snapshot
    stale: bool
    error: str | None = None

    def out(self, now: datetime | None = None) -> SnapshotOut:
        now = now or datetime.now(UTC)
        s = self.snapshot
        return SnapshotOut(
            id=s.id,
            taken_at=s.taken_at,
            age_seconds=max(0, round((now - s.taken_at).total_seconds())),
            stale=self.stale,
            generated_at=s.generated_at,
            period_from=s.period_from,
            period_to=s.period_to,
            error=self.error,
        )

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """The snapshot as JSON, for answers (the audit) that are built as dicts."""
        return self.out(now).model_dump(mode="json")


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


async def refresh(
    session: AsyncSession,
    client: WardApiClient,
    settings: EquitySettings,
    *,
    full: bool = False,
    today: date | None = None,
) -> Snapshot:
    """Pull and store; raises PeerError when ward_api fails (nothing is written then)."""
    await repository.lock_refresh(session)
    last = await repository.latest(session)
    today = today or datetime.now(UTC).date()
    if full or last is None:
        start = settings.uptake_start
    else:
        start = max(
            settings.uptake_start,
            _month_start(last.period_to - timedelta(days=1), settings.snapshot_lookback_months),
        )
    start = _month_start(start)
    end = today + timedelta(days=1)
    answer = await client.admission_aggregates(date_from=start, date_to=end)
    snapshot = await repository.replace_from_month(
        session,
        first_month=start.strftime("%Y-%m"),
        rows=answer.rows,
        generated_at=answer.generated_at,
        period_from=start,
        period_to=end,
    )
    logger.info(
        "uptake snapshot taken",
        extra={"snapshot_id": snapshot.id, "rows": snapshot.row_count, "from": str(start)},
    )
    return snapshot


async def refresh_now(
    session: AsyncSession, client: WardApiClient, settings: EquitySettings, *, full: bool
) -> SnapshotStatus:
    """An admin's refresh: 503 naming the last snapshot (if any) when ward_api fails."""
    last = await repository.latest(session)
    try:
        snapshot = await refresh(session, client, settings, full=full)
    except PeerError as exc:
        previous = SnapshotStatus(last, stale=True).as_dict() if last else None
        raise ServiceUnavailable(
            f"ward_api could not be reached: {exc.detail}",
            slug="uptake-unavailable",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            last_snapshot=previous,
        ) from exc
    return SnapshotStatus(snapshot, stale=False)


async def latest_or_raise(session: AsyncSession) -> SnapshotStatus:
    """The latest snapshot (404 when none has been taken yet)."""
    last = await repository.latest(session)
    if last is None:
        raise NotFound("no uptake snapshot has been taken yet", slug="snapshot-not-found")
    return SnapshotStatus(last, stale=False)


async def current(
    session: AsyncSession,
    client: WardApiClient,
    settings: EquitySettings,
    *,
    force: bool = False,
) -> SnapshotStatus:
    """A fresh enough snapshot: refresh when older than the limit, else fall back to the last."""
    last = await repository.latest(session)
    now = datetime.now(UTC)
    if (
        not force
        and last is not None
        and (now - last.taken_at).total_seconds() <= settings.snapshot_max_age_seconds
    ):
        return SnapshotStatus(last, stale=False)
    try:
        async with session.begin_nested():
            snapshot = await refresh(session, client, settings)
        return SnapshotStatus(snapshot, stale=False)
    except PeerError as exc:
        logger.warning("ward_api unreachable for uptake refresh", extra={"detail": exc.detail})
        if last is None:
            raise ServiceUnavailable(
                "ward_api cannot be reached and no uptake snapshot has been taken yet",
                slug="uptake-unavailable",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                peer_error=exc.detail,
            ) from exc
        return SnapshotStatus(last, stale=True, error=f"ward_api: {exc.detail}")
