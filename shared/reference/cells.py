"""Typed reads of CSV cells: the code and number rules every reference reader shares.

``Cells`` collects every bad cell of a row; ``parse_code``/``parse_whole``/``parse_number``
raise ``CellError`` at the first, for readers that reject a row whole.

Numbers take ASCII digits only: ``int()`` and ``Decimal()`` accept any script's digits, so
``٤`` would otherwise read as a decile of 4.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from .errors import RowError

__all__ = [
    "CellError",
    "Cells",
    "header_error",
    "out_of_bounds",
    "parse_code",
    "parse_number",
    "parse_whole",
]


def out_of_bounds(value: float, low: float | None, high: float | None) -> str:
    """Why ``value`` lies outside ``low``–``high`` (either may be open)."""
    if low is not None and high is not None:
        return f"{value:g} is outside {low:g}–{high:g}"
    if low is not None:
        return f"{value:g} is below {low:g}"
    return f"{value:g} is above {high:g}"


class CellError(ValueError):
    """A cell that does not parse; the message names the column when the caller gave one."""


def _named(column: str | None, message: str) -> CellError:
    return CellError(message if column is None else f"{column}: {message}")


# These run for every cell of 30,000-row files: the common case is kept to one call.


def parse_code(text: str, column: str | None, pattern: re.Pattern[str], meaning: str) -> str:
    """The stripped code if ``pattern`` matches it whole; CellError naming the format if not."""
    code = text.strip()
    if pattern.fullmatch(code) is None:
        raise _named(column, f"{code!r} is not {meaning}")
    return code


def parse_whole(
    text: str, column: str | None = None, *, low: int | None = None, high: int | None = None
) -> int:
    """A whole number within optional bounds ("12.0" reads as 12); CellError says why not."""
    try:
        if not text.isascii() or "_" in text:
            raise ValueError
        number = int(text)  # int() ignores surrounding white space
    except ValueError:
        number = _whole_float(text, column)
    if (low is not None and number < low) or (high is not None and number > high):
        raise _named(column, out_of_bounds(number, low, high))
    return number


def _whole_float(text: str, column: str | None) -> int:
    try:
        if not text.isascii() or "_" in text:
            raise ValueError
        as_float = float(text)
    except ValueError:
        as_float = math.nan
    if not as_float.is_integer():
        raise _named(column, f"{text.strip()!r} is not a whole number")
    return int(as_float)


def parse_number(
    text: str, column: str | None = None, *, low: float | None = None, high: float | None = None
) -> float:
    """A finite number within optional bounds; CellError says why not."""
    try:
        if not text.isascii() or "_" in text:
            raise ValueError
        number = float(text)
    except ValueError:
        raise _named(column, f"{text.strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise _named(column, f"{text.strip()!r} is not a finite number")
    if (low is not None and number < low) or (high is not None and number > high):
        raise _named(column, out_of_bounds(number, low, high))
    return number


class Cells:
    """Reads typed cells from one CSV row, collecting errors instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str | None], line: int) -> None:
        self.raw = raw
        self.line = line
        self.errors: list[RowError] = []

    def text(self, column: str) -> str:
        return (self.raw.get(column) or "").strip()

    def failed(self) -> set[str]:
        """Columns that already have an error in this row."""
        return {e.column for e in self.errors}

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))

    def match(self, column: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.text(column)
        if not pattern.fullmatch(value):
            self.fail(column, f"{value!r} is not {what}")
        return value

    def whole(self, column: str, *, low: int | None = None, high: int | None = None) -> int | None:
        """A whole number by ``parse_whole``; None (and an error) when it is not one."""
        try:
            return parse_whole(self.text(column), low=low, high=high)
        except CellError as error:
            self.fail(column, str(error))
            return None

    def number(
        self, column: str, *, low: float | None = None, high: float | None = None
    ) -> float | None:
        """A finite number by ``parse_number``; None (and an error) when it is not one."""
        try:
            return parse_number(self.text(column), low=low, high=high)
        except CellError as error:
            self.fail(column, str(error))
            return None

    def count(self, column: str, *, optional: bool = False, positive: bool = False) -> int | None:
        value = self.text(column)
        if not value and optional:
            return None
        if not (value.isascii() and value.isdigit()) or (positive and int(value) == 0):
            kind = "a positive" if positive else "a non-negative"
            self.fail(column, f"{value!r} is not {kind} whole number")
            return None
        return int(value)

    def decimal(self, column: str, *, optional: bool = False) -> Decimal | None:
        value = self.text(column)
        if not value and optional:
            return None
        try:
            number = Decimal(value) if value.isascii() else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or number < 0:
            self.fail(column, f"{value!r} is not a non-negative number")
            return None
        return number


def header_error(fieldnames: Sequence[str] | None, expected: Sequence[str]) -> RowError | None:
    """An error on line 1 unless the header is exactly ``expected``."""
    header = tuple(fieldnames or ())
    if header == tuple(expected):
        return None
    missing = [c for c in expected if c not in header]
    message = f"header must be {','.join(expected)}; missing {missing or 'none'}"
    return RowError(1, "header", message)
