"""Uptake snapshots: refresh from ward_api on request, and show the current one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.equity_audit.snapshots import repository, service
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.http_client import PeerError
from shared.problems import NotFound, ServiceUnavailable

router = APIRouter(prefix="/v1", tags=["uptake snapshots"])


@router.post(
    "/admin/snapshots/refresh",
    summary="Pull admission aggregates from ward_api now (incremental unless full=true)",
    responses={503: {"description": "`uptake-unavailable`: ward_api unreachable."}},
)
async def refresh(
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.admin, Role.service))],
    full: Annotated[bool, Query(description="Pull everything since uptake_start.")] = False,
) -> dict[str, Any]:
    state = request.app.state
    last = await repository.latest(session)
    try:
        snapshot = await service.refresh(session, state.ward_api, state.settings, full=full)
    except PeerError as exc:
        previous = service.SnapshotStatus(last, stale=True).as_dict() if last else None
        raise ServiceUnavailable(
            f"ward_api could not be reached: {exc.detail}",
            slug="uptake-unavailable",
            headers={"Retry-After": str(service.RETRY_AFTER_SECONDS)},
            last_snapshot=previous,
        ) from exc
    return {"snapshot": service.SnapshotStatus(snapshot, stale=False).as_dict()}


@router.get("/snapshots/latest", summary="The latest uptake snapshot and its age")
async def latest(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin, Role.service))],
) -> dict[str, Any]:
    last = await repository.latest(session)
    if last is None:
        raise NotFound("no uptake snapshot has been taken yet", slug="snapshot-not-found")
    return {"snapshot": service.SnapshotStatus(last, stale=False).as_dict()}
