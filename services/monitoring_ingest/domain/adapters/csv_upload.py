"""CSV bulk back-fill: one reading per row, refusals located by line number.

Header row (any column order): device_id, reading_id, code, value, unit, observed_at,
provenance, and optionally status. `code` is a native short name or a canonical code;
`reading_id`, `unit` (for categorical codes), `provenance` (default device) and `status`
(default final) may be blank. `status` revises the reading of the same `reading_id` as in
the native format: amended/corrected supersede it, entered-in-error withdraws it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from services.monitoring_ingest.domain.canonical import (
    CATEGORICAL_CODES,
    REVISION_BY_STATUS,
    Provenance,
    Revision,
)
from services.monitoring_ingest.domain.normalise import Normaliser, parse_timestamp
from services.monitoring_ingest.domain.outcomes import (
    ItemOutcome,
    MalformedPayload,
    Refusal,
    RefusalReason,
    TooManyItems,
)

from .native import CODE_BY_NAME

__all__ = ["COLUMNS", "parse"]

COLUMNS = ("device_id", "reading_id", "code", "value", "unit", "observed_at", "provenance")
_PROVENANCE: dict[str, Provenance] = {p.value: p for p in Provenance}


def parse(
    payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
) -> list[ItemOutcome]:
    """Parse a CSV upload into one outcome per data row (at most `max_items` rows)."""
    if isinstance(payload, bytes | bytearray):
        try:
            payload = payload.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise MalformedPayload(f"CSV must be UTF-8: {error}") from error
    if not isinstance(payload, str):
        raise MalformedPayload("CSV payload must be text or bytes")
    reader = csv.reader(io.StringIO(payload.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise MalformedPayload("CSV is empty") from None
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise MalformedPayload(f"CSV header lacks {', '.join(missing)}")
    columns = {name: header.index(name) for name in (*COLUMNS, "status") if name in header}
    n = normaliser or Normaliser()
    outcomes: list[ItemOutcome] = []
    item = 0
    line = reader.line_num
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                line = reader.line_num
                continue
            if max_items is not None and item >= max_items:
                raise TooManyItems(item + 1, max_items)  # stop counting: it is over already
            # A quoted field may span lines: a row is located by the line it starts on.
            outcomes.append(_row(row, columns, len(header), item, f"line {line + 1}", n))
            item += 1
            line = reader.line_num
    except csv.Error as error:
        outcomes.append(Refusal(item, f"line {line + 1}", RefusalReason.MALFORMED, str(error)))
    return outcomes


def _row(
    row: list[str], columns: dict[str, int], width: int, item: int, pointer: str, n: Normaliser
) -> ItemOutcome:
    if len(row) != width:
        detail = f"expected {width} fields as in the header, got {len(row)}"
        return Refusal(item, pointer, RefusalReason.MALFORMED, detail)
    field = {name: row[index].strip() for name, index in columns.items()}
    revision = REVISION_BY_STATUS.get(field.get("status") or "final")
    if revision is None:
        detail = f"status {field['status']!r} is not one of {sorted(REVISION_BY_STATUS)}"
        return Refusal(item, pointer, RefusalReason.BAD_STATUS, detail)
    if revision is not Revision.ORIGINAL and not field["reading_id"]:
        detail = f"status {field['status']!r} needs the reading_id of the reading it revises"
        return Refusal(item, pointer, RefusalReason.MISSING_FIELD, detail)
    outcome = _judge(field, item, pointer, n)
    if revision is not Revision.ORIGINAL and not isinstance(outcome, Refusal):
        return replace(outcome, revision=revision)
    return outcome


def _judge(field: dict[str, str], item: int, pointer: str, n: Normaliser) -> ItemOutcome:
    if not field["device_id"]:
        return Refusal(item, pointer, RefusalReason.MISSING_FIELD, "device_id is required")
    code = CODE_BY_NAME.get(field["code"])
    if code is None:
        return Refusal(item, pointer, RefusalReason.UNKNOWN_CODE, f"unknown code {field['code']!r}")
    if not field["observed_at"]:
        return Refusal(item, pointer, RefusalReason.MISSING_FIELD, "observed_at is required")
    observed_at = parse_timestamp(field["observed_at"])
    if isinstance(observed_at, tuple):
        return Refusal(item, pointer, *observed_at)
    provenance = _PROVENANCE.get(field["provenance"] or "device")
    if provenance is None:
        detail = f"unknown provenance {field['provenance']!r}"
        return Refusal(item, pointer, RefusalReason.INVALID_VALUE, detail)
    if not field["value"]:
        return Refusal(item, pointer, RefusalReason.MISSING_FIELD, "value is required")
    vendor_id = field["reading_id"] or None
    if code in CATEGORICAL_CODES:
        return n.categorical(
            item,
            pointer,
            device_id=field["device_id"],
            code=code,
            value=field["value"],
            observed_at=observed_at,
            provenance=provenance,
            vendor_reading_id=vendor_id,
        )
    try:
        value = float(field["value"])
    except ValueError:
        return Refusal(
            item, pointer, RefusalReason.INVALID_VALUE, f"not a number: {field['value']!r}"
        )
    return n.quantity(
        item,
        pointer,
        device_id=field["device_id"],
        code=code,
        value=value,
        unit=field["unit"],
        observed_at=observed_at,
        provenance=provenance,
        vendor_reading_id=vendor_id,
    )
