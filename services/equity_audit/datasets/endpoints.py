"""Reference dataset register and the admin importer (`POST /v1/admin/datasets/{kind}`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from services.equity_audit.datasets import responses as problems
from services.equity_audit.datasets import service
from services.equity_audit.datasets.schemas import DatasetList, ImportResult
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1", tags=["reference data"])


@router.get("/datasets", summary="Reference datasets: source, vintage, licence, attribution")
async def list_datasets(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin, Role.service))],
    history: Annotated[bool, Query(description="Include retired datasets.")] = False,
) -> DatasetList:
    return await service.list_datasets(session, history=history)


@router.post(
    "/admin/datasets/{kind}",
    summary="Import a reference CSV (body) as the new active dataset of its kind",
    status_code=201,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
    responses={
        200: {
            "description": "The same file (checksum) is already the active dataset.",
            "model": ImportResult,
        },
        **problems.IMPORT,
    },
)
async def import_dataset(
    kind: service.Kind,
    request: Request,
    response: Response,
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.admin))],
) -> ImportResult:
    outcome = await service.import_upload(session, kind, await request.body())
    response.status_code = 201 if outcome.status == "loaded" else 200
    return outcome.out()
