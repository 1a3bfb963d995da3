"""Reference dataset register and the admin importer (`POST /v1/admin/datasets/{kind}`)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.equity_audit.datasets import repository
from services.equity_audit.datasets.service import Kind, import_file
from shared.auth import Principal, Role, allow
from shared.database import SessionDep, driver_connection
from shared.problems import Conflict, Unprocessable

router = APIRouter(prefix="/v1", tags=["reference data"])


@router.get("/datasets", summary="Reference datasets: source, vintage, licence, attribution")
async def list_datasets(
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.commissioner, Role.admin, Role.service))],
    history: Annotated[bool, Query(description="Include retired datasets.")] = False,
) -> dict[str, Any]:
    conn = await driver_connection(session)
    rows = await repository.list_datasets(conn, active_only=not history)
    for row in rows:
        row["loaded_at"] = row["loaded_at"].isoformat()
    return {"datasets": rows, "synthetic": any(r["synthetic"] and r["active"] for r in rows)}


@router.post(
    "/admin/datasets/{kind}",
    summary="Import a reference CSV (body) as the new active dataset of its kind",
    status_code=201,
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
    responses={
        200: {"description": "The same file (checksum) is already the active dataset."},
        409: {"description": "`reference-missing`: load the imd dataset first."},
        422: {"description": "`dataset-rejected`: rows rejected or areas missing; see report."},
    },
)
async def import_dataset(
    kind: Kind,
    request: Request,
    session: SessionDep,
    _: Annotated[Principal, Depends(allow(Role.admin))],
) -> JSONResponse:
    body = await request.body()
    if not body.strip():
        raise Unprocessable("the request body must be a CSV file", slug="dataset-rejected")
    conn = await driver_connection(session)
    if kind != "imd" and not await repository.known_lsoas(conn):
        raise Conflict(
            "no LSOAs are loaded yet: import the imd dataset first", slug="reference-missing"
        )
    with tempfile.TemporaryDirectory(prefix="vward-import-") as tmp:
        path = Path(tmp) / f"{kind}.csv"
        await asyncio.to_thread(path.write_bytes, body)
        outcome = await import_file(conn, kind, path)
    body_json = outcome.as_dict()
    if outcome.status == "rejected":
        raise Unprocessable(
            "; ".join(outcome.problems), slug="dataset-rejected", report=body_json["report"]
        )
    return JSONResponse(body_json, status_code=201 if outcome.status == "loaded" else 200)
