"""Uptake snapshots: refresh from ward_api on request, and show the current one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.equity_audit.deps import SettingsDep, WardApiDep
from services.equity_audit.snapshots import responses as problems
from services.equity_audit.snapshots import service
from services.equity_audit.snapshots.schemas import SnapshotAnswer
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1", tags=["uptake snapshots"])


@router.post(
    "/admin/snapshots/refresh",
    summary="Pull admission aggregates from ward_api now (incremental unless full=true)",
    responses=problems.REFRESH,
)
async def refresh(
    session: SessionDep,
    ward_api: WardApiDep,
    settings: SettingsDep,
    _: Annotated[Principal, Depends(allow(Role.admin, Role.service))],
    full: Annotated[bool, Query(description="Pull everything since uptake_start.")] = False,
) -> SnapshotAnswer:
    status = await service.refresh_now(session, ward_api, settings, full=full)
    return SnapshotAnswer(snapshot=status.out())


@router.get(
    "/snapshots/latest",
    summary="The latest uptake snapshot and its age",
    responses=problems.LATEST,
)
async def latest(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin, Role.service))],
) -> SnapshotAnswer:
    status = await service.latest_or_raise(session)
    return SnapshotAnswer(snapshot=status.out())
