"""ONS and ODS code formats used by the reference files, and parsers that explain failures."""

from __future__ import annotations

import math
import re

__all__ = [
    "ICB",
    "ICB_ODS",
    "LAD",
    "LSOA",
    "SUB_ICB",
    "SUB_ICB_ODS",
    "RowError",
    "is_english_lsoa",
    "is_welsh_lsoa",
    "parse_code",
    "parse_float",
    "parse_int",
]

# LSOA 2011 and LSOA 2021 codes share one format (E01 England, W01 Wales); the file says
# which vintage it is, the code cannot.
LSOA = re.compile(r"E01[0-9]{6}")
ICB = re.compile(r"E54[0-9]{6}")
SUB_ICB = re.compile(r"E38[0-9]{6}")
LAD = re.compile(r"E0[6-9][0-9]{6}")
ICB_ODS = re.compile(r"Q[0-9A-Z]{2}")
SUB_ICB_ODS = re.compile(r"[0-9A-Z]{3}|[0-9A-Z]{5}")

_WELSH_LSOA = re.compile(r"W01[0-9]{6}")


class RowError(ValueError):
    """One row failed validation; the message becomes the rejection reason."""


def is_english_lsoa(code: str) -> bool:
    """Whether a code is an English LSOA (2011 or 2021)."""
    return LSOA.fullmatch(code) is not None


def is_welsh_lsoa(code: str) -> bool:
    """Whether a code is a Welsh LSOA, which an England-only audit skips."""
    return _WELSH_LSOA.fullmatch(code) is not None


def parse_code(text: str, field: str, pattern: re.Pattern[str], meaning: str) -> str:
    """Return the stripped code, or raise RowError naming the expected format."""
    code = text.strip()
    if pattern.fullmatch(code) is None:
        raise RowError(f"{field}: {code!r} is not {meaning}")
    return code


def parse_int(text: str, field: str, *, low: int | None = None, high: int | None = None) -> int:
    """Parse a whole number within optional bounds ("12.0" is accepted as 12)."""
    try:
        value = int(text)  # int() ignores surrounding whitespace
    except ValueError:
        value = _whole_float(text, field)
    if (low is not None and value < low) or (high is not None and value > high):
        raise RowError(_out_of_bounds(value, field, low, high))
    return value


def parse_float(
    text: str, field: str, *, low: float | None = None, high: float | None = None
) -> float:
    """Parse a finite number within optional bounds."""
    try:
        value = float(text)
    except ValueError:
        raise RowError(f"{field}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise RowError(f"{field}: {text.strip()!r} is not a finite number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise RowError(_out_of_bounds(value, field, low, high))
    return value


def _whole_float(text: str, field: str) -> int:
    try:
        as_float = float(text)
    except ValueError:
        raise RowError(f"{field}: {text.strip()!r} is not a whole number") from None
    if not as_float.is_integer():
        raise RowError(f"{field}: {text.strip()!r} is not a whole number")
    return int(as_float)


def _out_of_bounds(value: float, field: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{field}: {value:g} is outside {low:g}–{high:g}"
    if low is not None:
        return f"{field}: {value:g} is below {low:g}"
    return f"{field}: {value:g} is above {high:g}"
