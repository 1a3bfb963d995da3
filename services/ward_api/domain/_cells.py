"""Typed, error-collecting reads of CSV cells, shared by the data-file parsers."""

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from .errors import RowError

__all__ = ["Cells", "header_error"]


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
        if not pattern.match(value):
            self.fail(column, f"{value!r} is not {what}")
        return value

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
            number = Decimal(value)
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
