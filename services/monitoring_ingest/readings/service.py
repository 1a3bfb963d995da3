"""Ingest by vendors and clinicians, quarantine review, and clinicians' reading queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import orjson
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.monitoring_ingest.devices import service as devices
from services.monitoring_ingest.domain.adapters import fhir, get_adapter, native
from services.monitoring_ingest.domain.canonical import CanonicalReading, Provenance
from services.monitoring_ingest.domain.outcomes import (
    ItemOutcome,
    MalformedPayload,
    Refusal,
    RefusalReason,
    TooManyItems,
    check_item_count,
)
from services.monitoring_ingest.domain.stored import Attribution
from services.monitoring_ingest.readings import fhir_response, pipeline
from services.monitoring_ingest.readings.models import QuarantinedReading, Reading
from services.monitoring_ingest.settings import IngestSettings
from shared.auth import ALL, Principal, Role, require_ward_scope
from shared.database import driver_connection
from shared.problems import BadRequest, Conflict, NotFound, PayloadTooLarge


def too_many_items(exc: TooManyItems) -> PayloadTooLarge:
    """413, like an oversized body: the request is well formed but more than we take at once."""
    return PayloadTooLarge(
        f"{exc}; split the batch and send the parts",
        slug="too-many-items",
        title="Too many items",
        max_items=exc.limit,
    )


def parse(format_name: str, payload: object, *, max_items: int | None = None) -> list[ItemOutcome]:
    """Run the format's adapter; unreadable as a whole is 400, over the item cap 413."""
    try:
        return get_adapter(format_name)(payload, max_items=max_items)
    except MalformedPayload as exc:
        raise BadRequest(str(exc), slug="malformed-payload", format=format_name) from exc
    except TooManyItems as exc:
        raise too_many_items(exc) from exc


async def ingest_from_vendor(
    session: AsyncSession,
    *,
    vendor_id: uuid.UUID,
    format_name: str,
    payload: bytes,
    settings: IngestSettings,
) -> pipeline.IngestReport:
    outcomes = parse(format_name, payload, max_items=settings.max_items_per_request)
    conn = await driver_connection(session)
    return await pipeline.ingest(conn, outcomes, settings=settings, vendor_id=vendor_id)


class _TransactionFailed(Exception):
    """Raised inside a transaction Bundle's savepoint to undo everything it stored."""

    def __init__(self, failed: list[dict[str, object]]) -> None:
        self.failed = failed


async def ingest_fhir_from_vendor(
    session: AsyncSession, *, vendor_id: uuid.UUID, payload: bytes, settings: IngestSettings
) -> pipeline.IngestReport | fhir_response.FhirAnswer:
    """FHIR ingest: a batch or transaction Bundle gets a FHIR answer, the rest a report.

    A transaction is applied in a savepoint and undone whole if any entry is refused or
    conflicts (FHIR: all or nothing); a batch keeps each entry's own outcome.
    """
    try:
        parsed = fhir.parse_bundle(payload, max_items=settings.max_items_per_request)
    except MalformedPayload as exc:
        raise BadRequest(str(exc), slug="malformed-payload", format="fhir") from exc
    except TooManyItems as exc:
        raise too_many_items(exc) from exc
    conn = await driver_connection(session)
    if parsed.bundle_type == "transaction":
        refused = [
            {"index": position, "status": pipeline.REFUSED, "item": o.item, "pointer": o.pointer,
             "reason": str(o.reason), "detail": o.detail}
            for position, o in enumerate(parsed.outcomes)
            if isinstance(o, Refusal)
        ]  # fmt: skip
        if refused:  # nothing is written: say why, entry by entry
            return fhir_response.transaction_failure(refused)
        try:
            async with conn.transaction():  # a savepoint in the request's transaction
                report = await pipeline.ingest(
                    conn, parsed.outcomes, settings=settings, vendor_id=vendor_id
                )
                failed = fhir_response.failed_entries(parsed, report.items)
                if failed:
                    raise _TransactionFailed(failed)
        except _TransactionFailed as exc:
            return fhir_response.transaction_failure(exc.failed)
        return fhir_response.batch_response(parsed, report.items, transaction=True)
    report = await pipeline.ingest(conn, parsed.outcomes, settings=settings, vendor_id=vendor_id)
    if parsed.bundle_type == "batch":
        return fhir_response.batch_response(parsed, report.items, transaction=False)
    return report


async def ingest_from_clinician(
    session: AsyncSession,
    *,
    principal: Principal,
    admission_id: uuid.UUID,
    payload: object,
    settings: IngestSettings,
) -> pipeline.IngestReport:
    """Readings a clinician enters for an admission on their ward (provenance clinician_entered).

    The body is the native format without device; an item may name `supersedes` (the key
    of an earlier reading of this admission it corrects).
    """
    ward_id = await devices.require_admission_ward(
        session, principal=principal, admission_id=admission_id
    )
    if not isinstance(payload, dict) or not isinstance(payload.get("readings"), list):
        raise BadRequest("body needs a 'readings' array", slug="malformed-payload")
    try:
        check_item_count(len(payload["readings"]), settings.max_items_per_request)
    except TooManyItems as exc:
        raise too_many_items(exc) from exc
    items = []
    corrections: dict[int, str] = {}
    for index, raw in enumerate(payload["readings"]):
        if isinstance(raw, dict):
            raw = {k: v for k, v in raw.items() if k not in ("device_id", "provenance")}
            if raw.get("supersedes") is not None:
                corrections[index] = raw["supersedes"]
        items.append(raw)
    batch = {
        "device_id": f"admission:{admission_id}",
        "provenance": str(Provenance.CLINICIAN_ENTERED),
        "readings": items,
    }
    outcomes = parse("native", batch)
    conn = await driver_connection(session)
    supersedes = await _check_corrections(conn, admission_id, corrections, outcomes)
    return await pipeline.ingest(
        conn,
        outcomes,
        settings=settings,
        attribution=Attribution(admission_id, ward_id),
        entered_by=principal.subject,
        supersedes=supersedes,
    )


async def _check_corrections(
    conn: asyncpg.Connection,
    admission_id: uuid.UUID,
    corrections: dict[int, str],
    outcomes: list[ItemOutcome],
) -> dict[int, bytes]:
    """Validated `supersedes` keys by position; unknown ones turn the item into a refusal."""
    wanted: dict[int, bytes] = {}
    for index, key in corrections.items():
        try:
            wanted[index] = bytes.fromhex(key) if isinstance(key, str) else b""
        except ValueError:
            wanted[index] = b""
    found = {
        row[0]
        for row in await conn.fetch(
            "SELECT reading_key FROM monitoring.readings "
            "WHERE admission_id = $1 AND reading_key = ANY($2::bytea[])",
            admission_id,
            [k for k in wanted.values() if k],
        )
    }
    valid: dict[int, bytes] = {}
    for index, wanted_key in wanted.items():
        if wanted_key in found:
            valid[index] = wanted_key
        elif isinstance(outcomes[index], CanonicalReading):
            outcomes[index] = Refusal(
                index,
                f"/readings/{index}/supersedes",
                RefusalReason.INVALID_VALUE,
                "supersedes names no reading of this admission",
            )
    return valid


async def list_quarantine(
    session: AsyncSession, *, principal: Principal, include_resolved: bool = False, limit: int = 500
) -> list[QuarantinedReading]:
    """Quarantined readings a caller may review: their wards' devices, and unknown devices."""
    query = select(QuarantinedReading).order_by(QuarantinedReading.received_at).limit(limit)
    if not include_resolved:
        query = query.where(QuarantinedReading.resolved_at.is_(None))
    if principal.role == Role.clinician and ALL not in principal.wards:
        wards = [uuid.UUID(w) for w in principal.wards if _is_uuid(w)]
        query = query.where(
            QuarantinedReading.ward_hint.is_(None) | QuarantinedReading.ward_hint.in_(wards)
        )
    return list((await session.scalars(query)).all())


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def attribute_quarantined(
    session: AsyncSession,
    *,
    principal: Principal,
    quarantine_id: uuid.UUID,
    admission_id: uuid.UUID,
    settings: IngestSettings,
) -> tuple[QuarantinedReading, pipeline.IngestReport | None]:
    """Enter a quarantined reading into an admission's record, exactly once."""
    entry = await session.get(QuarantinedReading, quarantine_id, with_for_update=True)
    if entry is None:
        raise NotFound(f"no quarantined reading {quarantine_id}", slug="quarantine-not-found")
    if entry.resolved_at is not None:
        if entry.resolved_admission_id == admission_id:
            return entry, None
        raise Conflict(
            "this reading was already attributed to another admission",
            slug="quarantine-resolved",
        )
    if principal.role == Role.clinician and entry.ward_hint is not None:
        require_ward_scope(principal, entry.ward_hint)
    ward_id = await devices.require_admission_ward(
        session, principal=principal, admission_id=admission_id
    )
    reading = CanonicalReading(
        entry.device_id,
        entry.code,
        entry.value,
        entry.unit,
        entry.observed_at,
        Provenance(entry.provenance),
        entry.vendor_reading_id,
        entry.code_value,
    )
    conn = await driver_connection(session)
    report = await pipeline.ingest(
        conn,
        [reading],
        settings=settings,
        vendor_id=entry.vendor_id,
        attribution=Attribution(admission_id, ward_id),
        entered_by=principal.subject,
        keys={0: entry.reading_key},
    )
    entry.resolved_at = datetime.now(UTC)
    entry.resolved_admission_id = admission_id
    entry.resolved_by = principal.subject
    await session.flush()
    return entry, report


async def readings_for(
    session: AsyncSession,
    *,
    principal: Principal,
    admission_id: uuid.UUID,
    start: datetime | None,
    end: datetime | None,
    code: str | None,
    limit: int,
) -> list[Reading]:
    """An admission's readings in [start, end), oldest first; partitions pruned by time."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    query = select(Reading).where(Reading.admission_id == admission_id)
    if start is not None:
        query = query.where(Reading.observed_at >= start)
    if end is not None:
        query = query.where(Reading.observed_at < end)
    if code is not None:
        query = query.where(Reading.code == native.CODE_BY_NAME.get(code, code))
    query = query.order_by(Reading.observed_at, Reading.reading_key).limit(limit)
    return list((await session.scalars(query)).all())


async def latest_by_code(
    session: AsyncSession, *, principal: Principal, admission_id: uuid.UUID
) -> list[Reading]:
    """The newest reading of each code for the admission, ignoring superseded and withdrawn
    readings (a withdrawal supersedes what it withdraws, and is never a vital sign itself)."""
    await devices.require_admission_ward(session, principal=principal, admission_id=admission_id)
    result = await session.execute(
        select(Reading)
        .from_statement(
            text(
                "SELECT DISTINCT ON (r.code) r.* FROM monitoring.readings r "
                "WHERE r.admission_id = :a AND NOT r.withdrawn "
                "AND NOT EXISTS (SELECT 1 FROM monitoring.readings c "
                "  WHERE c.admission_id = :a AND c.supersedes = r.reading_key) "
                "ORDER BY r.code, r.observed_at DESC"
            )
        )
        .params(a=admission_id)
    )
    return list(result.scalars().all())


def report_body(report: pipeline.IngestReport) -> bytes:
    return orjson.dumps(report.as_dict())
