"""Statistical disclosure control for every table that leaves the equity audit service.

Convention followed (NHS Digital, "Disclosure control methodology for HES and ECDS",
September 2018, since adopted for other NHS Digital sub-national outputs such as SRHAD):

* a count of 0 is shown as 0 (``DisclosurePolicy.show_zero``; set it to ``False`` for the
  stricter practice of hiding zeros, where "nobody in this group" is itself disclosive);
* a count from 1 to 7 inclusive is suppressed and published as ``*``;
* every other count is rounded to the nearest 5 (halves round up);
* a rate or proportion is computed from the *published* (rounded) numerator and
  denominator, and is suppressed when either of them is.

NHS Digital adopted rounding so that secondary suppression could be dropped. We keep
secondary suppression as well, because audit tables are joined with totals published
elsewhere (unrounded ICB populations, sitrep counts), so rounding alone is not a guarantee.
A line is a set of entries that add up to a total shown alongside them (a series and its
total; a row and its row total; a column and its column total; the margins and the grand
total). Secondary suppression repeats two rules until neither fires:

1. no line may contain exactly one hidden entry: the smallest visible entry of that line is
   hidden too, preferring body cells to totals and non-zero cells to zeros (hiding a zero
   next to a small count tells the reader the pair's sum *is* the small count);
2. no hidden entry may be a linear combination of the visible ones (checked exactly with a
   null-space test), which catches patterns rule 1 misses, such as two blocks of hidden
   cells joined by a single hidden cell.

Each hidden value records why it was hidden (primary, secondary or derived) for review,
but ``render`` publishes one symbol for all three: distinct markers would tell a reader
which hidden cells lie in 1..7, narrowing what the others can be.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DEFAULT_POLICY",
    "DisclosureError",
    "DisclosurePolicy",
    "ProtectedSeries",
    "ProtectedTable",
    "ProtectedValue",
    "SuppressionReason",
    "derive_rate",
    "find_recoverable",
    "protect_count",
    "protect_series",
    "protect_table",
]

_NULL_SPACE_TOLERANCE = 1e-9


class DisclosureError(ValueError):
    """A table or policy cannot be protected as given (negative count, bad policy)."""


class SuppressionReason(enum.StrEnum):
    """Why a published value was hidden."""

    PRIMARY = "primary"  # the count itself is small
    SECONDARY = "secondary"  # hidden so that another hidden count cannot be found from totals
    DERIVED = "derived"  # a rate or proportion computed from a hidden count


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """Thresholds for small-number suppression and rounding; defaults follow NHS Digital.

    ``threshold``: counts 1..threshold are suppressed. ``rounding_base``: other counts are
    rounded to a multiple of it (1 disables rounding). ``show_zero``: whether 0 is shown.
    ``symbol``: what a hidden value is published as.
    """

    threshold: int = 7
    rounding_base: int = 5
    show_zero: bool = True
    symbol: str = "*"

    def __post_init__(self) -> None:
        if self.threshold < 0:
            raise DisclosureError("threshold must be 0 or more")
        if self.rounding_base < 1:
            raise DisclosureError("rounding_base must be 1 or more")
        if 2 * (self.threshold + 1) < self.rounding_base:
            # The smallest visible count would round to 0 and look like "nobody".
            raise DisclosureError(
                "rounding_base is too large for threshold: counts would round to 0"
            )
        if not self.symbol:
            raise DisclosureError("symbol must not be empty")

    def is_small(self, count: int) -> bool:
        """Whether a count must be suppressed on its own account."""
        return 1 <= count <= self.threshold or (count == 0 and not self.show_zero)

    def round_count(self, count: int) -> int:
        """Round a count to the nearest multiple of the base, halves upwards."""
        base = self.rounding_base
        return (2 * count + base) // (2 * base) * base


DEFAULT_POLICY = DisclosurePolicy()


@dataclass(frozen=True, slots=True)
class ProtectedValue:
    """A value ready to publish: the rounded value, or ``None`` with the reason it is hidden.

    ``value`` is also ``None`` without a reason for a rate whose denominator is 0.
    """

    value: int | float | None
    reason: SuppressionReason | None = None

    @property
    def suppressed(self) -> bool:
        """Whether the value is hidden."""
        return self.reason is not None

    def render(
        self, policy: DisclosurePolicy = DEFAULT_POLICY, *, show_reason: bool = False
    ) -> str:
        """Text for publication; ``show_reason`` adds the reason, for internal review only."""
        if self.reason is not None:
            return f"{policy.symbol}{self.reason.value}" if show_reason else policy.symbol
        return "" if self.value is None else str(self.value)


@dataclass(frozen=True, slots=True)
class ProtectedSeries:
    """A one-way table (e.g. patients by IMD quintile) and its total, if published."""

    cells: tuple[ProtectedValue, ...]
    total: ProtectedValue | None


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """A two-way table (e.g. ICB by quintile) with its margins, if published."""

    cells: tuple[tuple[ProtectedValue, ...], ...]
    row_totals: tuple[ProtectedValue, ...] | None
    column_totals: tuple[ProtectedValue, ...] | None
    grand_total: ProtectedValue | None


@dataclass(frozen=True, slots=True)
class _Line:
    """Entries (by index) whose values add up to the entry at ``total``."""

    members: tuple[int, ...]
    total: int

    @property
    def entries(self) -> tuple[int, ...]:
        return (*self.members, self.total)


def _checked(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int | np.integer):
        raise DisclosureError(f"counts must be integers, got {count!r}")
    if count < 0:
        raise DisclosureError(f"counts cannot be negative, got {count}")
    return int(count)


def protect_count(count: int, policy: DisclosurePolicy = DEFAULT_POLICY) -> ProtectedValue:
    """Protect a single count that is published without totals (primary rules only)."""
    count = _checked(count)
    if policy.is_small(count):
        return ProtectedValue(None, SuppressionReason.PRIMARY)
    return ProtectedValue(policy.round_count(count))


def protect_series(
    counts: Sequence[int],
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    with_total: bool = True,
) -> ProtectedSeries:
    """Protect a one-way table; with a total, also apply secondary suppression."""
    raw = [_checked(c) for c in counts]
    if not with_total:
        return ProtectedSeries(tuple(protect_count(c, policy) for c in raw), None)
    n = len(raw)
    raw.append(sum(raw))
    reasons = _suppress(raw, [False] * n + [True], [_Line(tuple(range(n)), n)], policy)
    values = _publish(raw, reasons, policy)
    return ProtectedSeries(tuple(values[:n]), values[n])


def protect_table(
    counts: Sequence[Sequence[int]],
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    with_totals: bool = True,
) -> ProtectedTable:
    """Protect a two-way table; with margins, also apply secondary suppression."""
    body = [[_checked(c) for c in row] for row in counts]
    n_rows = len(body)
    n_cols = len(body[0]) if body else 0
    if any(len(row) != n_cols for row in body):
        raise DisclosureError("every row of a table must have the same number of cells")
    if not with_totals:
        cells = tuple(tuple(protect_count(c, policy) for c in row) for row in body)
        return ProtectedTable(cells, None, None, None)

    raw, is_margin, lines = _table_layout(body)
    reasons = _suppress(raw, is_margin, lines, policy)
    values = _publish(raw, reasons, policy)
    size = n_rows * n_cols
    cells = tuple(tuple(values[r * n_cols : (r + 1) * n_cols]) for r in range(n_rows))
    row_totals = tuple(values[size : size + n_rows])
    column_totals = tuple(values[size + n_rows : size + n_rows + n_cols])
    return ProtectedTable(cells, row_totals, column_totals, values[-1])


def derive_rate(
    numerator: ProtectedValue,
    denominator: ProtectedValue,
    *,
    per: float = 100.0,
    decimals: int = 1,
) -> ProtectedValue:
    """Rate per ``per`` from published counts; hidden if either count is hidden.

    The published (rounded) counts are used, never the true ones, so that a precise rate
    cannot give away the count that rounding blurred.
    """
    if numerator.suppressed or denominator.suppressed:
        return ProtectedValue(None, SuppressionReason.DERIVED)
    if numerator.value is None or denominator.value is None or denominator.value == 0:
        return ProtectedValue(None)
    return ProtectedValue(round(numerator.value / denominator.value * per, decimals))


def find_recoverable(published: ProtectedSeries | ProtectedTable) -> tuple[str, ...]:
    """Hidden entries that could be worked out exactly from the visible entries and totals.

    Useful for reviewing a table before release; ``protect_series`` and ``protect_table``
    never produce one with a recoverable entry. Labels read ``cell[r,c]``, ``row_total[r]``,
    ``column_total[c]``, ``grand_total`` (tables) or ``cell[i]``, ``total`` (series).
    """
    if isinstance(published, ProtectedSeries):
        if published.total is None:
            return ()
        n = len(published.cells)
        hidden = [v.suppressed for v in (*published.cells, published.total)]
        labels = [f"cell[{i}]" for i in range(n)] + ["total"]
        lines = [_Line(tuple(range(n)), n)]
    else:
        if published.row_totals is None or published.column_totals is None:
            return ()
        assert published.grand_total is not None
        n_rows, n_cols = len(published.row_totals), len(published.column_totals)
        body = [[0] * n_cols for _ in range(n_rows)]
        _, _, lines = _table_layout(body)
        entries = [v for row in published.cells for v in row]
        entries += [*published.row_totals, *published.column_totals, published.grand_total]
        hidden = [v.suppressed for v in entries]
        labels = [f"cell[{r},{c}]" for r in range(n_rows) for c in range(n_cols)]
        labels += [f"row_total[{r}]" for r in range(n_rows)]
        labels += [f"column_total[{c}]" for c in range(n_cols)] + ["grand_total"]
    return tuple(labels[i] for i in _recoverable(hidden, lines))


def _table_layout(body: list[list[int]]) -> tuple[list[int], list[bool], list[_Line]]:
    """Flatten a table into entries (body, row totals, column totals, grand total) and lines."""
    n_rows = len(body)
    n_cols = len(body[0]) if body else 0
    size = n_rows * n_cols
    row_total = [size + r for r in range(n_rows)]
    col_total = [size + n_rows + c for c in range(n_cols)]
    grand = size + n_rows + n_cols

    raw = [c for row in body for c in row]
    raw += [sum(row) for row in body]
    raw += [sum(row[c] for row in body) for c in range(n_cols)]
    raw.append(sum(raw[:size]))
    is_margin = [False] * size + [True] * (n_rows + n_cols + 1)

    lines = [
        _Line(tuple(r * n_cols + c for c in range(n_cols)), row_total[r]) for r in range(n_rows)
    ]
    lines += [
        _Line(tuple(r * n_cols + c for r in range(n_rows)), col_total[c]) for c in range(n_cols)
    ]
    lines.append(_Line(tuple(col_total), grand))
    lines.append(_Line(tuple(row_total), grand))
    return raw, is_margin, lines


def _suppress(
    raw: Sequence[int],
    is_margin: Sequence[bool],
    lines: Sequence[_Line],
    policy: DisclosurePolicy,
) -> list[SuppressionReason | None]:
    """Primary suppression, then secondary suppression until nothing hidden can be recovered."""
    reasons: list[SuppressionReason | None] = [
        SuppressionReason.PRIMARY if policy.is_small(v) else None for v in raw
    ]

    def pick(candidates: Sequence[int]) -> int:
        return min(candidates, key=lambda e: (is_margin[e], raw[e] == 0, raw[e], e))

    while True:
        exposed = _line_with_one_hidden(reasons, lines)
        if exposed is not None:
            reasons[pick([e for e in exposed.entries if reasons[e] is None])] = (
                SuppressionReason.SECONDARY
            )
            continue
        recoverable = _recoverable([r is not None for r in reasons], lines)
        if not recoverable:
            return reasons
        target = recoverable[0]
        near = [e for line in lines if target in line.entries for e in line.entries]
        candidates = [e for e in near if reasons[e] is None] or [
            e for e, r in enumerate(reasons) if r is None
        ]
        if not candidates:  # pragma: no cover - everything hidden cannot be recoverable
            return reasons
        reasons[pick(candidates)] = SuppressionReason.SECONDARY


def _line_with_one_hidden(
    reasons: Sequence[SuppressionReason | None], lines: Sequence[_Line]
) -> _Line | None:
    for line in lines:
        if sum(reasons[e] is not None for e in line.entries) == 1:
            return line
    return None


def _recoverable(hidden: Sequence[bool], lines: Sequence[_Line]) -> list[int]:
    """Hidden entries fixed by the line equations once visible entries are known.

    Each line gives ``sum(members) - total = 0``; moving visible entries to the right-hand
    side leaves a linear system in the hidden ones. A hidden entry is determined exactly
    when its coordinate is zero in every vector of the system's null space.
    """
    unknowns = [i for i, h in enumerate(hidden) if h]
    if not unknowns or not lines:
        return []
    column = {entry: k for k, entry in enumerate(unknowns)}
    system = np.zeros((len(lines), len(unknowns)))
    for row, line in enumerate(lines):
        for entry in line.members:
            if entry in column:
                system[row, column[entry]] += 1.0
        if line.total in column:
            system[row, column[line.total]] -= 1.0
    _, singular, vt = np.linalg.svd(system)
    rank = int(np.sum(singular > _NULL_SPACE_TOLERANCE))
    null_space = vt[rank:]
    return [
        entry
        for k, entry in enumerate(unknowns)
        if not np.any(np.abs(null_space[:, k]) > _NULL_SPACE_TOLERANCE)
    ]


def _publish(
    raw: Sequence[int], reasons: Sequence[SuppressionReason | None], policy: DisclosurePolicy
) -> list[ProtectedValue]:
    return [
        ProtectedValue(None, reason)
        if reason is not None
        else ProtectedValue(policy.round_count(v))
        for v, reason in zip(raw, reasons, strict=True)
    ]
