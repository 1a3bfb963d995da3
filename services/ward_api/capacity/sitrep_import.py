"""Load newer sitrep months (CSV text or JSON rows), validated by domain/sitrep.py.

All or nothing: if any row fails, nothing is stored and every bad row is reported by line.
Beyond the file's own checks, every ICB must be one we know, under the same ODS code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.capacity import repository
from services.ward_api.capacity.models import SitrepImport
from services.ward_api.capacity.schemas import RowErrorOut, SitrepImportResult, SitrepJson
from services.ward_api.domain.errors import RowError
from services.ward_api.domain.sitrep import SITREP_COLUMNS, SitrepRow, parse_sitrep
from services.ward_api.geography import repository as geography
from services.ward_api.geography.models import PopulationDenominator
from services.ward_api.reference_data import SITREP_COLUMNS as DB_COLUMNS
from services.ward_api.reference_data import sitrep_records
from shared.problems import BadRequest, Unprocessable

CSV_TYPES = ("text/csv", "text/plain")
JSON_TYPE = "application/json"


class SitrepInvalid(Unprocessable):
    slug = "sitrep-invalid"
    title = "Sitrep rows failed validation"


def rows_to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """JSON rows as CSV text with the published header, so one validator serves both."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SITREP_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def body_as_csv(content_type: str, raw: bytes) -> str:
    """The request body as sitrep CSV text; 400/422 problems for anything unreadable.

    The JSON is decoded here rather than by FastAPI (the route takes either type), so every
    way json.loads can fail is the client's: bad syntax, nesting deep enough to exhaust the
    recursion limit, or an integer longer than Python will convert.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not UTF-8", slug="bad-encoding") from exc
    if content_type in CSV_TYPES:
        return text
    if content_type != JSON_TYPE:
        raise Unprocessable("send text/csv or application/json", slug="unsupported-media-type")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise BadRequest("the body is not valid JSON", slug="malformed-json") from exc
    try:
        rows = SitrepJson.model_validate(document).rows
    except ValidationError as exc:
        errors = [
            {
                "pointer": "/" + "/".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "code": e["type"],
            }
            for e in exc.errors()
        ]
        raise Unprocessable('expected {"rows": [...]}', errors=errors) from exc
    text = rows_to_csv(rows)
    try:
        text.encode("utf-8")  # a JSON escape such as \ud800 decodes to no character at all
    except UnicodeEncodeError as exc:
        raise BadRequest(
            "the JSON carries a lone surrogate escape, which is not text", slug="bad-encoding"
        ) from exc
    return text


async def _known_icbs(session: AsyncSession, rows: Iterable[SitrepRow]) -> list[RowError]:
    icbs = {i.code: i.ods_code for i in await geography.list_icbs(session)}
    errors = []
    for row in rows:
        if row.is_england:
            continue
        if row.icb_code not in icbs:
            errors.append(RowError(row.line, "icb_code", f"unknown ICB {row.icb_code}"))
        elif icbs[row.icb_code] != row.icb_ods_code:
            expected = icbs[row.icb_code]
            errors.append(RowError(row.line, "icb_ods_code", f"{row.icb_code} is {expected}"))
    return errors


async def import_sitrep(
    session: AsyncSession, text: str, *, source: str, imported_by: str
) -> SitrepImportResult:
    """Validate and upsert every row; raise SitrepInvalid listing each bad row."""
    parsed = parse_sitrep(io.StringIO(text))
    errors = [*parsed.errors, *await _known_icbs(session, parsed.rows)]
    if not parsed.rows and not errors:
        errors.append(RowError(1, "row", "no rows"))
    if errors:
        raise SitrepInvalid(
            f"{len(errors)} invalid cell(s); nothing was imported",
            errors=[
                RowErrorOut(line=e.line, column=e.column, message=e.message).model_dump()
                for e in errors[:500]
            ],
        )
    values = [dict(zip(DB_COLUMNS, r, strict=True)) for r in sitrep_records(parsed.rows)]
    inserted, updated = await repository.upsert_months(session, values)
    for row in parsed.rows:
        d = row.denominator
        await session.execute(
            insert(PopulationDenominator)
            .values(
                area_code=row.icb_code,
                area_kind="england" if row.is_england else "icb",
                basis=str(d.basis),
                effective=d.effective,
                population=d.population,
                source=d.source[:200],
            )
            .on_conflict_do_nothing()
        )
    periods = sorted({r.period for r in parsed.rows})
    record = SitrepImport(
        source=source[:200], imported_by=imported_by, rows_accepted=len(values), periods=periods
    )
    session.add(record)
    await session.flush()
    return SitrepImportResult(
        import_id=record.id,
        accepted=len(values),
        inserted=inserted,
        updated=updated,
        periods=periods,
    )
