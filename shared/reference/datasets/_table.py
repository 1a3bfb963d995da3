"""Reading a CSV reference file: recognise its layout by header, parse rows, build a report.

Every loader in this package goes through ``read_table``, so they all reject rows the same
way: a wrong field count, a value that does not parse, a duplicate key, an unknown area.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from shared.reference import CellError, Cells

from .descriptors import DatasetDescriptor
from .report import ImportReport, LoadedDataset, Rejection

K = TypeVar("K")
T = TypeVar("T")

_MAX_REJECTIONS = 10_000  # a wholly wrong file should not produce a 30,000-line report


@dataclass(frozen=True, slots=True)
class Column:
    """A field and the header that carries it; ``prefix`` tolerates truncated or dated names."""

    field: str
    header: str
    prefix: bool = False
    required: bool = True


@dataclass(frozen=True, slots=True)
class Layout(Generic[T]):
    """One published file layout: its columns and how a row of their values becomes a T.

    ``parse`` receives the values in ``columns`` order, ``None`` for absent optional columns.
    """

    name: str
    descriptor: DatasetDescriptor
    columns: tuple[Column, ...]
    parse: Callable[[Sequence[str | None]], T]

    def match(self, header: Sequence[str]) -> list[int | None] | None:
        """Column positions for this layout, or None when the header is not this layout."""
        names = [_normalise(h) for h in header]
        positions: list[int | None] = []
        for column in self.columns:
            wanted = _normalise(column.header)
            found = next(
                (
                    i
                    for i, name in enumerate(names)
                    if name == wanted or (column.prefix and name.startswith(wanted))
                ),
                None,
            )
            if found is None and column.required:
                return None
            positions.append(found)
        return positions

    @property
    def headers(self) -> tuple[str, ...]:
        """The headers this layout writes (used by the synthetic generator)."""
        return tuple(c.header for c in self.columns)


def from_cells(
    columns: Sequence[str], read: Callable[[Cells], T | None]
) -> Callable[[Sequence[str | None]], T]:
    """A ``Layout.parse`` from a ``shared.reference`` row reader over cells named ``columns``.

    Every bad cell of the row goes into the one rejection, as ``column: reason``.
    """

    def parse(values: Sequence[str | None]) -> T:
        cells = Cells(dict(zip(columns, values, strict=True)), line=0)
        row = read(cells)
        if row is None or cells.errors:
            raise CellError("; ".join(error.reason for error in cells.errors))
        return row

    return parse


def _normalise(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def read_table(
    path: Path,
    layouts: Sequence[Layout[T]],
    *,
    key: Callable[[T], K],
    area: Callable[[T], str],
    known_areas: Collection[str] | None = None,
    known_areas_name: str = "the reference area list",
    in_scope: Callable[[T], bool] | None = None,
    consistent: Callable[[T, int], str | None] | None = None,
    descriptor: DatasetDescriptor | None = None,
) -> LoadedDataset[K, T]:
    """Load a file in whichever of ``layouts`` its header matches; bad rows go to the report.

    ``in_scope`` rows that fail are skipped, not rejected (Welsh LSOAs in an England and
    Wales file). ``consistent`` sees each row that passed every other check, with its line
    number, and returns a reason to reject it for disagreeing with earlier rows.

    A file that is not UTF-8 text, or that no CSV reader can split (a field longer than
    ``csv.field_size_limit()``), is refused whole: no layout, one rejection saying where.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        reason = (
            f"the file is not UTF-8 text (byte {error.start}): save it as CSV UTF-8 and"
            " import it again"
        )
        return _refused(path, layouts, descriptor, Rejection(line, reason))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        for layout in layouts:
            positions = layout.match(header)
            if positions is not None:
                break
        else:
            expected = " or ".join(repr(layout.name) for layout in layouts)
            rejection = Rejection(1, f"header does not match {expected}")
            return _refused(path, layouts, descriptor, rejection)
        rows, rejected, skipped = _parse_rows(
            reader,
            width=len(header),
            layout=layout,
            positions=positions,
            key=key,
            area=area,
            known_areas=known_areas,
            known_areas_name=known_areas_name,
            in_scope=in_scope,
            consistent=consistent,
        )
    except csv.Error as error:
        reason = f"the file is not a readable CSV file: {error}"
        return _refused(path, layouts, descriptor, Rejection(max(reader.line_num, 1), reason))
    chosen = descriptor or layout.descriptor
    report = ImportReport(
        dataset=chosen.name,
        file_name=path.name,
        layout=layout.name,
        accepted=len(rows),
        rejected=tuple(rejected),
        skipped=skipped,
    )
    return LoadedDataset(chosen, rows, report)


def _refused(
    path: Path,
    layouts: Sequence[Layout[T]],
    descriptor: DatasetDescriptor | None,
    rejection: Rejection,
) -> LoadedDataset[K, T]:
    """A whole file refused before any row was accepted: no layout, one rejection."""
    chosen = descriptor or layouts[0].descriptor
    report = ImportReport(
        dataset=chosen.name, file_name=path.name, layout=None, accepted=0, rejected=(rejection,)
    )
    return LoadedDataset(chosen, {}, report)


def _parse_rows(
    reader: Iterator[list[str]],
    *,
    width: int,
    layout: Layout[T],
    positions: Sequence[int | None],
    key: Callable[[T], K],
    area: Callable[[T], str],
    known_areas: Collection[str] | None,
    known_areas_name: str,
    in_scope: Callable[[T], bool] | None,
    consistent: Callable[[T, int], str | None] | None,
) -> tuple[dict[K, T], list[Rejection], int]:
    rows: dict[K, T] = {}
    first_seen: dict[K, int] = {}
    rejected: list[Rejection] = []
    skipped = 0
    parse = layout.parse
    line = 1
    for record in reader:
        line = getattr(reader, "line_num", line + 1)
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(rejected) >= _MAX_REJECTIONS:
            rejected.append(Rejection(line, "too many rejected rows; stopped reading"))
            break
        if len(record) != width:
            rejected.append(
                Rejection(line, f"expected {width} fields, found {len(record)}", record[0] or None)
            )
            continue
        try:
            row = parse([record[p] if p is not None else None for p in positions])
        except CellError as error:
            rejected.append(Rejection(line, str(error), record[positions[0] or 0].strip() or None))
            continue
        if in_scope is not None and not in_scope(row):
            skipped += 1
            continue
        code = area(row)
        if known_areas is not None and code not in known_areas:
            rejected.append(
                Rejection(line, f"unknown area {code}: not in {known_areas_name}", code)
            )
            continue
        row_key = key(row)
        if row_key in rows:
            rejected.append(
                Rejection(line, f"duplicate of row {first_seen[row_key]} ({row_key})", code)
            )
            continue
        if consistent is not None and (reason := consistent(row, line)) is not None:
            rejected.append(Rejection(line, reason, code))
            continue
        rows[row_key] = row
        first_seen[row_key] = line
    return rows, rejected, skipped
