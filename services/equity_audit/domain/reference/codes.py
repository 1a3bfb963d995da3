"""Cell parsers for equity_audit's reference files, raising ``RowRejected`` for ``read_table``.

The code formats (``LSOA``, ``ICB``, …) and number rules are ``shared.reference``'s, the ones
every service reads reference data by; these only name the field in the rejection reason.
"""

from __future__ import annotations

import re

from shared.reference import parse_number, parse_whole

__all__ = ["RowRejected", "parse_code", "parse_float", "parse_int"]


class RowRejected(ValueError):
    """One row failed validation; the message becomes the rejection reason."""


def parse_code(text: str, field: str, pattern: re.Pattern[str], meaning: str) -> str:
    """Return the stripped code, or raise RowRejected naming the expected format."""
    code = text.strip()
    if pattern.fullmatch(code) is None:
        raise RowRejected(f"{field}: {code!r} is not {meaning}")
    return code


def parse_int(text: str, field: str, *, low: int | None = None, high: int | None = None) -> int:
    """Parse a whole number within optional bounds ("12.0" is accepted as 12)."""
    try:
        return parse_whole(text, low=low, high=high)
    except ValueError as error:
        raise RowRejected(f"{field}: {error}") from None


def parse_float(
    text: str, field: str, *, low: float | None = None, high: float | None = None
) -> float:
    """Parse a finite number within optional bounds."""
    try:
        return parse_number(text, low=low, high=high)
    except ValueError as error:
        raise RowRejected(f"{field}: {error}") from None
