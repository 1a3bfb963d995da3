"""Load newer sitrep months (CSV text or JSON rows), validated by domain/sitrep.py.

All or nothing: if any row fails, nothing is stored and every bad row is reported by line.
Beyond the file's own checks, every ICB must be one we know, under the same ODS code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.ward_api.capacity import repository
from services.ward_api.capacity.models import SitrepImport
from services.ward_api.capacity.schemas import RowErrorOut, SitrepImportResult
from services.ward_api.domain.errors import RowError
from services.ward_api.domain.sitrep import SITREP_COLUMNS, SitrepRow, parse_sitrep
from services.ward_api.geography import repository as geography
from services.ward_api.geography.models import PopulationDenominator
from services.ward_api.reference_data import SITREP_COLUMNS as DB_COLUMNS
from services.ward_api.reference_data import sitrep_records
from shared.problems import Unprocessable


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
