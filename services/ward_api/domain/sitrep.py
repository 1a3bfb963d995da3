"""NHS England's monthly virtual-ward sitrep per ICB: typed rows, validation, reproduction.

Findings from ``virtual_ward_sitrep_icb.csv`` (July 2023 – July 2024) that shape this module:

* Precision is set per month, not per cell: July 2023, September 2023 and February 2024 publish
  ``capacity_per_100k`` and ``occupancy_pct`` to 2 decimals, every other month to 1. The CSV
  drops trailing zeros (16.90 is written 16.9), so a cell's own decimals understate it;
  ``published_precision`` takes the most decimals seen in a month.
* Rounding is half-up (spreadsheet ROUND): three occupancies are exact ties (54.25, 31.25,
  58.25) and only half-up reproduces the published figure.
* Rows with an ``occupancy_note`` do not carry a measured occupancy, so their occupancy is
  reported as not reproducible (and, for the two "over 100%" notes, checked to be over 100%)
  rather than counted as a match. Their per-100k rate is still reproducible.
"""

import csv
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from shared.reference import ICB, ICB_ODS, header_error
from shared.reference import Cells as _Cells

from .capacity import Denominator, PopulationBasis, beds_per_100k, occupancy_pct, round_half_up
from .errors import DataFileError, RowError
from .sources import SITREP_FILE

__all__ = [
    "ENGLAND_CODE",
    "ENGLAND_ODS",
    "SITREP_COLUMNS",
    "Figure",
    "FigureCheck",
    "OccupancyNote",
    "Outcome",
    "ReproductionReport",
    "SitrepParse",
    "SitrepRow",
    "check_england_totals",
    "load_sitrep",
    "parse_sitrep",
    "published_precision",
    "reproduce_sitrep",
]

SITREP_COLUMNS = (
    "period",
    "region",
    "region_code",
    "icb_ods_code",
    "icb_code",
    "icb_name",
    "capacity",
    "capacity_per_100k",
    "population",
    "population_basis",
    "patients",
    "occupancy_pct",
    "occupancy_note",
    "published",
)
ENGLAND_ODS = "ENGLAND"
ENGLAND_CODE = "E92000001"

_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_REGION_CODE = re.compile(r"^Y[0-9]{2}$")
_BASIS = re.compile(r"^GP registered population (aged 16\+|all ages) \(([A-Z][a-z]+) ([0-9]{4})\)$")
_PUBLISHED = re.compile(r"^([0-9]{1,2})(?:st|nd|rd|th) ([A-Z][a-z]+) ([0-9]{4})$")
_BASIS_KIND = {
    "aged 16+": PopulationBasis.GP_REGISTERED_16_PLUS,
    "all ages": PopulationBasis.GP_REGISTERED_ALL_AGES,
}


class OccupancyNote(StrEnum):
    """Why a row's occupancy is not a measured value (NHS England footnotes)."""

    OVER_100PCT_SUPPRESSED = "over_100pct_suppressed"
    OVER_100PCT_SHOWN_AS_100 = "over_100pct_shown_as_100"
    NO_ACTIVITY_SUBMISSION = "no_activity_submission"
    NO_SUCCESSFUL_SUBMISSION_SHOWN_AS_ZERO = "no_successful_submission_occupancy_shown_as_zero"


_NOTE_REASON = {
    OccupancyNote.OVER_100PCT_SUPPRESSED: "published as '*': occupancy over 100% suppressed",
    OccupancyNote.OVER_100PCT_SHOWN_AS_100: "published as '100%*': occupancy over 100% capped",
    OccupancyNote.NO_ACTIVITY_SUBMISSION: "published as '**': no activity submission",
    OccupancyNote.NO_SUCCESSFUL_SUBMISSION_SHOWN_AS_ZERO: (
        "no successful submission; zero published as a placeholder"
    ),
}
_OVER_100 = {OccupancyNote.OVER_100PCT_SUPPRESSED, OccupancyNote.OVER_100PCT_SHOWN_AS_100}
_OCCUPANCY_BLANK = {OccupancyNote.OVER_100PCT_SUPPRESSED, OccupancyNote.NO_ACTIVITY_SUBMISSION}
_OCCUPANCY_PLACEHOLDER = {
    OccupancyNote.OVER_100PCT_SHOWN_AS_100: Decimal(100),
    OccupancyNote.NO_SUCCESSFUL_SUBMISSION_SHOWN_AS_ZERO: Decimal(0),
}


@dataclass(frozen=True, slots=True)
class SitrepRow:
    """One ICB (or England) in one month, as published."""

    line: int
    period: str
    region: str | None
    region_code: str | None
    icb_ods_code: str
    icb_code: str
    icb_name: str
    capacity: int
    capacity_per_100k: Decimal
    denominator: Denominator
    population_basis_label: str
    patients: int | None
    occupancy_pct: Decimal | None
    occupancy_note: OccupancyNote | None
    published: date

    @property
    def is_england(self) -> bool:
        """True for the national total row."""
        return self.icb_ods_code == ENGLAND_ODS

    @property
    def population(self) -> int:
        """The GP-registered denominator NHS England used."""
        return self.denominator.population


@dataclass(frozen=True, slots=True)
class SitrepParse:
    """Rows that passed validation and a row-numbered report of those that did not."""

    rows: tuple[SitrepRow, ...]
    errors: tuple[RowError, ...]


def _month_start(month_name: str, year: str) -> date | None:
    try:
        return datetime.strptime(f"1 {month_name} {year}", "%d %B %Y").date()
    except ValueError:
        return None


def _denominator(cells: _Cells, population: int | None) -> Denominator | None:
    label = cells.text("population_basis")
    found = _BASIS.match(label)
    effective = _month_start(found.group(2), found.group(3)) if found else None
    if found is None or effective is None:
        cells.fail("population_basis", f"{label!r} is not a known GP-registered basis")
        return None
    if population is None:
        return None
    return Denominator(population, _BASIS_KIND[found.group(1)], effective, source=label)


def _published(cells: _Cells) -> date | None:
    value = cells.text("published")
    found = _PUBLISHED.match(value)
    try:
        if found:
            return datetime.strptime(" ".join(found.group(1, 2, 3)), "%d %B %Y").date()
    except ValueError:
        pass
    cells.fail("published", f"{value!r} is not a date like '10th August 2023'")
    return None


def _note(cells: _Cells) -> OccupancyNote | None:
    value = cells.text("occupancy_note")
    if not value:
        return None
    try:
        return OccupancyNote(value)
    except ValueError:
        cells.fail("occupancy_note", f"{value!r} is not a known occupancy note")
        return None


def _check_geography(cells: _Cells) -> tuple[str, str | None, str | None]:
    ods = cells.text("icb_ods_code")
    region, region_code = cells.text("region") or None, cells.text("region_code") or None
    if ods == ENGLAND_ODS:
        if cells.text("icb_code") != ENGLAND_CODE:
            cells.fail("icb_code", f"England row must have code {ENGLAND_CODE}")
        if region or region_code:
            cells.fail("region", "England row must not have a region")
        return ods, None, None
    cells.match("icb_ods_code", ICB_ODS, "an ICB ODS code (Qxx) or ENGLAND")
    cells.match("icb_code", ICB, "an ICB code (E54…)")
    if not region:
        cells.fail("region", "an ICB row needs a region")
    cells.match("region_code", _REGION_CODE, "a region code (Yxx)")
    return ods, region, region_code


def _check_occupancy(
    cells: _Cells, note: OccupancyNote | None, patients: int | None, published: Decimal | None
) -> None:
    if published is not None and published > 100:
        cells.fail("occupancy_pct", f"{published} is over 100")
    expected_blank = note in _OCCUPANCY_BLANK
    expected_value = _OCCUPANCY_PLACEHOLDER.get(note) if note else None
    if expected_blank and published is not None:
        cells.fail("occupancy_pct", f"must be blank with note {note}")
    if not expected_blank and published is None and "occupancy_pct" not in cells.failed():
        cells.fail("occupancy_pct", "is blank but the row has no note explaining why")
    if expected_value is not None and published is not None and published != expected_value:
        cells.fail("occupancy_pct", f"must be {expected_value} with note {note}")
    no_patients = patients is None and "patients" not in cells.failed()
    if no_patients and note is not OccupancyNote.NO_ACTIVITY_SUBMISSION:
        cells.fail("patients", "is blank but the row has no no_activity_submission note")


def _parse_row(raw: Mapping[str, str | None], line: int) -> tuple[SitrepRow | None, list[RowError]]:
    cells = _Cells(raw, line)
    period = cells.match("period", _PERIOD, "a month YYYY-MM")
    ods, region, region_code = _check_geography(cells)
    name = cells.text("icb_name")
    if not name:
        cells.fail("icb_name", "is blank")
    capacity = cells.count("capacity")
    per_100k = cells.decimal("capacity_per_100k")
    population = cells.count("population", positive=True)
    denominator = _denominator(cells, population)
    patients = cells.count("patients", optional=True)
    occupancy = cells.decimal("occupancy_pct", optional=True)
    note = _note(cells)
    published = _published(cells)
    if "occupancy_note" not in cells.failed():
        _check_occupancy(cells, note, patients, occupancy)
    if cells.errors:
        return None, cells.errors
    assert capacity is not None and per_100k is not None and denominator is not None
    assert published is not None
    row = SitrepRow(
        line=line,
        period=period,
        region=region,
        region_code=region_code,
        icb_ods_code=ods,
        icb_code=cells.text("icb_code"),
        icb_name=name,
        capacity=capacity,
        capacity_per_100k=per_100k,
        denominator=denominator,
        population_basis_label=cells.text("population_basis"),
        patients=patients,
        occupancy_pct=occupancy,
        occupancy_note=note,
        published=published,
    )
    return row, []


def parse_sitrep(lines: Iterable[str]) -> SitrepParse:
    """Validate every row of the sitrep CSV text; bad rows go to ``errors`` with line numbers."""
    reader = csv.DictReader(lines)
    try:
        bad_header = header_error(reader.fieldnames, SITREP_COLUMNS)
    except csv.Error as exc:  # e.g. a cell past the csv module's 131,072-character limit
        return SitrepParse((), (RowError(max(reader.line_num, 1), "header", str(exc)),))
    if bad_header is not None:
        return SitrepParse((), (bad_header,))
    rows: list[SitrepRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str], int] = {}
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the reader cannot go on past an unreadable row
            errors.append(RowError(reader.line_num + 1, "row", str(exc)))
            break
        line = reader.line_num
        if None in raw:
            errors.append(RowError(line, "row", "has more cells than the header"))
            continue
        row, row_errors = _parse_row(raw, line)
        errors.extend(row_errors)
        if row is None:
            continue
        key = (row.period, row.icb_code)
        if key in seen:
            errors.append(RowError(line, "icb_code", f"duplicates line {seen[key]} for {key}"))
            continue
        seen[key] = line
        rows.append(row)
    return SitrepParse(tuple(rows), tuple(errors))


def load_sitrep(directory: Path) -> tuple[SitrepRow, ...]:
    """Read and validate the sitrep file in ``directory``; raise DataFileError if any row fails."""
    with (directory / SITREP_FILE).open(newline="", encoding="utf-8") as handle:
        parsed = parse_sitrep(handle)
    if parsed.errors:
        raise DataFileError(SITREP_FILE, parsed.errors)
    return parsed.rows


class Figure(StrEnum):
    """A published figure that can be recomputed from counts."""

    CAPACITY_PER_100K = "capacity_per_100k"
    OCCUPANCY_PCT = "occupancy_pct"


class Outcome(StrEnum):
    """Result of recomputing one published figure."""

    MATCHES = "matches"
    MISMATCH = "mismatch"
    NOT_REPRODUCIBLE = "not_reproducible"


@dataclass(frozen=True, slots=True)
class FigureCheck:
    """One published figure against its exact recomputation, rounded to the month's precision."""

    row: SitrepRow
    figure: Figure
    published: Decimal | None
    recomputed: Decimal | None
    places: int
    outcome: Outcome
    reason: str

    @property
    def rounded(self) -> Decimal | None:
        """The recomputed value at the published precision."""
        return None if self.recomputed is None else round_half_up(self.recomputed, self.places)


@dataclass(frozen=True, slots=True)
class ReproductionReport:
    """Every figure check plus the precision each month was judged at."""

    checks: tuple[FigureCheck, ...]
    precision: Mapping[tuple[str, Figure], int]

    def count(self, outcome: Outcome, figure: Figure | None = None) -> int:
        """How many checks had ``outcome`` (for one figure, or all)."""
        return sum(
            1
            for c in self.checks
            if c.outcome is outcome and (figure is None or c.figure is figure)
        )

    def with_outcome(self, outcome: Outcome) -> tuple[FigureCheck, ...]:
        """The checks that had ``outcome``."""
        return tuple(c for c in self.checks if c.outcome is outcome)

    def not_reproducible_by_note(self) -> Counter[OccupancyNote]:
        """Unreproducible figures counted by the note that explains them."""
        return Counter(
            c.row.occupancy_note
            for c in self.checks
            if c.outcome is Outcome.NOT_REPRODUCIBLE and c.row.occupancy_note is not None
        )


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def published_precision(rows: Iterable[SitrepRow]) -> dict[tuple[str, Figure], int]:
    """Decimals published per month and figure: the most shown by any measured value."""
    precision: dict[tuple[str, Figure], int] = {}
    for row in rows:
        key = (row.period, Figure.CAPACITY_PER_100K)
        precision[key] = max(precision.get(key, 0), _places(row.capacity_per_100k))
        if row.occupancy_note is None and row.occupancy_pct is not None:
            key = (row.period, Figure.OCCUPANCY_PCT)
            precision[key] = max(precision.get(key, 0), _places(row.occupancy_pct))
    return precision


def _compare(
    row: SitrepRow, figure: Figure, published: Decimal | None, exact: Decimal | None, places: int
) -> FigureCheck:
    if published is None or exact is None:
        return FigureCheck(row, figure, published, exact, places, Outcome.MISMATCH, "missing")
    rounded = round_half_up(exact, places)
    if rounded == published:
        return FigureCheck(row, figure, published, exact, places, Outcome.MATCHES, "")
    reason = f"recomputed {rounded} at {places} dp, published {published}"
    return FigureCheck(row, figure, published, exact, places, Outcome.MISMATCH, reason)


def _occupancy_check(row: SitrepRow, places: int) -> FigureCheck:
    exact = None if row.patients is None else occupancy_pct(row.patients, row.capacity)
    note = row.occupancy_note
    if note is None:
        return _compare(row, Figure.OCCUPANCY_PCT, row.occupancy_pct, exact, places)
    figure, published = Figure.OCCUPANCY_PCT, row.occupancy_pct
    if note in _OVER_100 and (exact is None or exact <= 100):
        reason = f"note {note} but patients ÷ capacity = {exact}%"
        return FigureCheck(row, figure, published, exact, places, Outcome.MISMATCH, reason)
    reason = _NOTE_REASON[note]
    return FigureCheck(row, figure, published, exact, places, Outcome.NOT_REPRODUCIBLE, reason)


def reproduce_sitrep(
    rows: Sequence[SitrepRow], precision: Mapping[tuple[str, Figure], int] | None = None
) -> ReproductionReport:
    """Recompute per-100k and occupancy from beds, patients and population for every row."""
    places = published_precision(rows) if precision is None else precision
    checks: list[FigureCheck] = []
    for row in rows:
        rate = beds_per_100k(row.capacity, row.population)
        rate_places = places[(row.period, Figure.CAPACITY_PER_100K)]
        checks.append(
            _compare(row, Figure.CAPACITY_PER_100K, row.capacity_per_100k, rate, rate_places)
        )
        occupancy_places = places.get((row.period, Figure.OCCUPANCY_PCT), rate_places)
        checks.append(_occupancy_check(row, occupancy_places))
    return ReproductionReport(tuple(checks), dict(places))


def check_england_totals(rows: Iterable[SitrepRow]) -> list[str]:
    """Check each month's England row sums its ICBs' beds, patients and population."""
    by_period: dict[str, list[SitrepRow]] = {}
    for row in rows:
        by_period.setdefault(row.period, []).append(row)
    problems: list[str] = []
    for period, month in sorted(by_period.items()):
        england = [r for r in month if r.is_england]
        icbs = [r for r in month if not r.is_england]
        if len(england) != 1:
            problems.append(f"{period}: {len(england)} England rows")
            continue
        total = england[0]
        sums = {
            "capacity": (total.capacity, sum(r.capacity for r in icbs)),
            "patients": (total.patients, sum(r.patients or 0 for r in icbs)),
            "population": (total.population, sum(r.population for r in icbs)),
        }
        for name, (published, summed) in sums.items():
            if published != summed:
                problems.append(f"{period}: England {name} {published} ≠ ICB sum {summed}")
    return problems
