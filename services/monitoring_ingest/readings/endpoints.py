"""Ingest endpoints (one per format), clinician entry, quarantine review and reading queries.

Status codes: a payload readable as a whole answers 200 with one outcome per item
(`stored`, `duplicate`, `conflict` (an id re-used for a different reading), `quarantined`,
`withdrawn`, `refused` with reason and pointer) and counts; valid items are stored even when
others are refused. FHIR `batch` Bundles are answered by a `batch-response` Bundle (each
entry's own HTTP status); a `transaction` Bundle is all-or-nothing: a `transaction-response`
Bundle, or an OperationOutcome (422, or 409 for conflicts only) with nothing stored. A
payload unreadable as a whole is 400 `malformed-payload`; credentials 401
(`signature-invalid`, `signature-expired`, `request-replayed`, `api-key-invalid`, ...); a
device registered to another vendor 403 `wrong-vendor` (nothing stored); CSV sent as
anything but text/csv 415.

Size: a body over `INGEST_MAX_BODY_BYTES` is 413 `payload-too-large`; a payload of more than
`INGEST_MAX_ITEMS_PER_REQUEST` items (default 10,000 native or clinician readings, Bundle
entries, Open mHealth data points or CSV data rows) is 413 `too-many-items`, refused before
any item is judged or stored, with the cap in `max_items`. 413 rather than 422: nothing in
the payload is invalid, it is only more than one request may carry; send it in parts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request, Response

from services.monitoring_ingest.deps import SettingsDep, VendorDep
from services.monitoring_ingest.readings import fhir_response, pipeline, service
from services.monitoring_ingest.readings import responses as problems
from services.monitoring_ingest.readings.schemas import (
    AttributeIn,
    AttributeOut,
    IngestReportOut,
    QuarantineOut,
    ReadingOut,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.edge import judges_text_per_item
from shared.problems import ProblemError

ingest = APIRouter(prefix="/v1/readings", tags=["ingest"])
router = APIRouter(prefix="/v1", tags=["readings"])
Clinician = Annotated[Principal, Depends(allow(Role.clinician))]

_SIGNED = (
    "Vendor-signed: headers X-Vendor-Id, X-Api-Key, X-Timestamp (Unix seconds) and "
    "X-Signature = hex(HMAC-SHA256(signing_secret, f'{timestamp}.{METHOD}.{path}.' + body)). "
    "At most INGEST_MAX_ITEMS_PER_REQUEST items (default 10,000) per request: more is 413 "
    "`too-many-items`, nothing stored."
)
_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"model": IngestReportOut, "description": "Per-item outcomes."}
}


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


def _json_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": description,
        }
    }


async def _vendor_ingest(
    format_name: str, request: Request, session: SessionDep, settings: SettingsDep, vendor: Any
) -> Response:
    report = await service.ingest_from_vendor(
        session,
        vendor_id=vendor.vendor_id,
        format_name=format_name,
        payload=await request.body(),
        settings=settings,
    )
    return Response(service.report_body(report), media_type="application/json")


@ingest.post(
    "/native",
    summary="Native JSON batch (the hot path)",
    description=_SIGNED,
    responses={**_REPORT, **problems.VENDOR_INGEST},
    openapi_extra=_json_body("{device_id, provenance?, readings: [{id?, code, value, unit, at}]}"),
)
async def post_native(
    request: Request, session: SessionDep, settings: SettingsDep, vendor: VendorDep
) -> Response:
    return await _vendor_ingest("native", request, session, settings, vendor)


_FHIR_RESOURCE = {"application/fhir+json": {"schema": {"type": "object"}}}
_FHIR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": IngestReportOut,
        "description": "Per-item outcomes; for a batch or transaction Bundle, a "
        "batch-response or transaction-response Bundle.",
        "content": _FHIR_RESOURCE,
    },
    409: {
        "description": "Transaction not applied: an entry conflicts (OperationOutcome).",
        "content": _FHIR_RESOURCE,
    },
    422: {
        "description": "Transaction not applied: an entry is refused (OperationOutcome).",
        "content": _FHIR_RESOURCE,
    },
}


@ingest.post(
    "/fhir",
    summary="FHIR R4 Observation or Bundle of Observations",
    description=_SIGNED,
    responses={**_FHIR_RESPONSES, **problems.VENDOR_INGEST},
    openapi_extra=_json_body(
        "A FHIR Observation, or a batch/transaction/collection Bundle of them. Batch and "
        "transaction Bundles are answered with a batch-response/transaction-response Bundle "
        "(application/fhir+json); a failed transaction with an OperationOutcome."
    ),
)
async def post_fhir(
    request: Request, session: SessionDep, settings: SettingsDep, vendor: VendorDep
) -> Response:
    answer = await service.ingest_fhir_from_vendor(
        session, vendor_id=vendor.vendor_id, payload=await request.body(), settings=settings
    )
    if isinstance(answer, pipeline.IngestReport):
        return Response(service.report_body(answer), media_type="application/json")
    return Response(
        orjson.dumps(answer.body), status_code=answer.status, media_type=fhir_response.MEDIA_TYPE
    )


@ingest.post(
    "/openmhealth",
    summary="Open mHealth data point(s)",
    description=_SIGNED,
    responses={**_REPORT, **problems.VENDOR_INGEST},
    openapi_extra=_json_body("An Open mHealth data point, or an array of them."),
)
async def post_openmhealth(
    request: Request, session: SessionDep, settings: SettingsDep, vendor: VendorDep
) -> Response:
    return await _vendor_ingest("openmhealth", request, session, settings, vendor)


@ingest.post(
    "/csv",
    summary="CSV back-fill (text/csv)",
    description=_SIGNED,
    responses={**_REPORT, **problems.VENDOR_CSV},
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def post_csv(
    request: Request, session: SessionDep, settings: SettingsDep, vendor: VendorDep
) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/csv":
        raise UnsupportedMediaType(f"send text/csv, not {media_type or 'nothing'}")
    return await _vendor_ingest("csv", request, session, settings, vendor)


@router.post(
    "/admissions/{admission_id}/readings",
    summary="Enter readings for a patient (clinician_entered)",
    description="At most INGEST_MAX_ITEMS_PER_REQUEST readings (default 10,000) per request: "
    "more is 413 `too-many-items`, nothing stored.",
    responses={**_REPORT, **problems.CLINICIAN_INGEST},
)
@judges_text_per_item
async def enter_readings(
    admission_id: uuid.UUID,
    body: Annotated[dict[str, Any], Body(description="{readings: [{code, value, unit, at}]}")],
    session: SessionDep,
    settings: SettingsDep,
    principal: Clinician,
) -> Response:
    report = await service.ingest_from_clinician(
        session, principal=principal, admission_id=admission_id, payload=body, settings=settings
    )
    return Response(service.report_body(report), media_type="application/json")


@router.get(
    "/admissions/{admission_id}/readings",
    summary="An admission's readings in a range",
    responses=problems.ADMISSION_SCOPED,
)
async def list_readings(
    admission_id: uuid.UUID,
    session: SessionDep,
    principal: Clinician,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    code: str | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[ReadingOut]:
    readings = await service.readings_for(
        session,
        principal=principal,
        admission_id=admission_id,
        start=start,
        end=end,
        code=code,
        limit=limit,
    )
    return [ReadingOut.of(r) for r in readings]


@router.get(
    "/admissions/{admission_id}/latest-vitals",
    summary="Newest reading of each code",
    responses=problems.ADMISSION_SCOPED,
)
async def latest_vitals(
    admission_id: uuid.UUID, session: SessionDep, principal: Clinician
) -> list[ReadingOut]:
    return [
        ReadingOut.of(r)
        for r in await service.latest_by_code(
            session, principal=principal, admission_id=admission_id
        )
    ]


@router.get("/quarantine", summary="Readings that could not be attributed")
async def list_quarantine(
    session: SessionDep,
    principal: Clinician,
    include_resolved: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[QuarantineOut]:
    entries = await service.list_quarantine(
        session, principal=principal, include_resolved=include_resolved, limit=limit
    )
    return [QuarantineOut.of(e) for e in entries]


@router.post(
    "/quarantine/{quarantine_id}/attribute",
    summary="Attribute a quarantined reading to an admission on the caller's ward",
    responses=problems.ATTRIBUTE,
)
async def attribute(
    quarantine_id: uuid.UUID,
    body: AttributeIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Clinician,
) -> AttributeOut:
    entry, report = await service.attribute_quarantined(
        session,
        principal=principal,
        quarantine_id=quarantine_id,
        admission_id=body.admission_id,
        settings=settings,
    )
    outcome = "already_attributed" if report is None else str(report.items[0]["status"])
    return AttributeOut(quarantine=QuarantineOut.of(entry), outcome=outcome)
