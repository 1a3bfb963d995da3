"""Input checks shared by the methods; each raises MethodInputError naming the item and field."""

import math
from collections.abc import Sequence

from services.equity_audit.methods.errors import MethodInputError


def finite(value: float | None, field: str, item: int | None = None) -> float:
    """Return value as a float, refusing missing, non-numeric and non-finite input."""
    if value is None:
        raise MethodInputError(item, field, "is missing")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MethodInputError(item, field, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise MethodInputError(item, field, "must be finite")
    return number


def count(value: float | None, field: str, item: int | None = None) -> float:
    """A count of events: finite and not negative."""
    number = finite(value, field, item)
    if number < 0:
        raise MethodInputError(item, field, "must not be negative")
    return number


def positive(value: float | None, field: str, item: int | None = None) -> float:
    """A denominator, population or standard error scale: finite and greater than zero."""
    number = finite(value, field, item)
    if number <= 0:
        raise MethodInputError(item, field, "must be greater than zero")
    return number


def confidence_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Confidence levels as fractions strictly between 0 and 1 (0.95, not 95)."""
    if isinstance(levels, int | float):
        levels = (levels,)
    if len(levels) == 0:
        raise MethodInputError(None, "confidence", "at least one level is required")
    checked = []
    for index, level in enumerate(levels):
        number = finite(level, "confidence", index)
        if not 0 < number < 1:
            raise MethodInputError(index, "confidence", "must be between 0 and 1 exclusive")
        if number + (1 - number) / 2 >= 1:
            raise MethodInputError(index, "confidence", "is too close to 1 to have finite limits")
        checked.append(number)
    return tuple(checked)


def multiplier(value: float) -> float:
    """A scaling factor such as 100,000: finite and greater than zero."""
    return positive(value, "multiplier")


def finite_results(field: str, reason: str, *numbers: float, item: int | None = None) -> None:
    """Refuse input whose estimate or limits overflow: a method never answers inf or NaN."""
    if not all(math.isfinite(n) for n in numbers):
        raise MethodInputError(item, field, reason)
