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

``protect_linked`` applies the same rules to many linked tables at once (one entry per
population, one line per known sum; see audit/release.py), may hold entries fixed from a
lower level, and adds a third rule:

3. **protection interval**: for every count hidden as small (1..threshold), an attacker
   who knows every line and, for each visible entry, the counts that round to it (v - 2 ..
   v + 2, and never 1..threshold), must still find every value of the band feasible: the
   LP minimum is at most 1 (0 when zeros are hidden) and the maximum at least the
   threshold. Otherwise one more entry near it is hidden, and rules 1-3 run again. The LP
   (scipy HiGHS) runs over the reals, so it is a sound over-approximation of an integer
   attacker; one capped LP certifies most entries at once, the rest are tried singly.

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
    "protect_linked",
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


def protect_linked(
    counts: Sequence[int],
    lines: Sequence[tuple[Sequence[int], int]],
    policy: DisclosurePolicy = DEFAULT_POLICY,
    *,
    fixed: Sequence[ProtectedValue | None] | None = None,
    unpublished: Sequence[bool] | None = None,
    margins: Sequence[bool] | None = None,
    known: Sequence[bool] | None = None,
) -> list[ProtectedValue]:
    """Protect a set of linked tables at once: one entry per population, however many
    tables show it, and one line per known sum (``(members, total)`` as entry indices).

    ``fixed`` entries were protected at a lower level and keep their published value (or
    hiding) here; secondary suppression then only hides entries that are not fixed.
    ``unpublished`` entries appear in sums but in no table (e.g. admissions with no ICB):
    they count as hidden. ``margins`` marks totals, which are hidden after body cells.
    ``known`` hidden entries are assumed known to the attacker of rule 3 (a small one to lie
    in the band, any other exactly): use it for fixed entries that tables outside this set
    may pin down.
    """
    raw = [_checked(c) for c in counts]
    n = len(raw)
    frozen = [False] * n if fixed is None else [f is not None for f in fixed]
    never = [False] * n if unpublished is None else list(unpublished)
    reasons: list[SuppressionReason | None] = [
        SuppressionReason.PRIMARY if policy.is_small(v) else None for v in raw
    ]
    for i in range(n):
        if fixed is not None and fixed[i] is not None:
            reasons[i] = fixed[i].reason  # type: ignore[union-attr]
        elif never[i] and reasons[i] is None:
            reasons[i] = SuppressionReason.SECONDARY
    line_objects = [_Line(tuple(members), total) for members, total in lines]
    is_margin = [False] * n if margins is None else list(margins)
    # An entry no table shows needs no partner unless it is small itself.
    exempt = [never[i] and not policy.is_small(raw[i]) for i in range(n)]
    while True:
        reasons = _suppress_reasons(raw, reasons, is_margin, line_objects, frozen, exempt)
        narrowed = _narrowed(raw, reasons, line_objects, policy, known)
        added = _complement(raw, reasons, is_margin, line_objects, frozen, narrowed)
        if not added:
            break
    values = _publish(raw, reasons, policy)
    if fixed is not None:
        values = [f if f is not None else v for f, v in zip(fixed, values, strict=True)]
    return values


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
    return _suppress_reasons(raw, reasons, is_margin, lines, [False] * len(raw))


def _suppress_reasons(
    raw: Sequence[int],
    reasons: list[SuppressionReason | None],
    is_margin: Sequence[bool],
    lines: Sequence[_Line],
    frozen: Sequence[bool],
    exempt: Sequence[bool] | None = None,
) -> list[SuppressionReason | None]:
    """Secondary suppression (rules 1 and 2 above) over entries not ``frozen``.

    ``exempt`` hidden entries (unpublished, not small) may be worked out: they only add
    unknowns to the lines they are in.
    """
    exempt = exempt or [False] * len(raw)

    def pick(candidates: Sequence[int]) -> int:
        return min(candidates, key=lambda e: (is_margin[e], raw[e] == 0, raw[e], e))

    def open_(entries: Sequence[int]) -> list[int]:
        return [e for e in entries if reasons[e] is None and not frozen[e]]

    settled: set[int] = set()  # lines with one hidden entry that nothing may join
    while True:
        # Rule 1, one pass over every line (a line fixed earlier in the pass is re-counted).
        changed = False
        for line in lines:
            if id(line) in settled:
                continue
            hidden = [e for e in line.entries if reasons[e] is not None]
            if len(hidden) != 1 or exempt[hidden[0]]:
                continue
            candidates = open_(line.entries)
            if candidates:
                reasons[pick(candidates)] = SuppressionReason.SECONDARY
                changed = True
            else:  # every other entry is fixed: rule 2 looks further afield
                settled.add(id(line))
        if changed:
            continue
        guarded = [r is not None and not exempt[e] for e, r in enumerate(reasons)]
        if not any(guarded):
            return reasons  # nothing hidden that needs protecting
        recoverable = [
            e for e in _recoverable([r is not None for r in reasons], lines) if not exempt[e]
        ]
        if not recoverable:
            return reasons
        # Rule 2: one more hidden entry next to each recoverable one, then check again.
        added = False
        for target in recoverable:
            near = [e for line in lines if target in line.entries for e in line.entries]
            candidates = open_(near) or open_(range(len(reasons)))
            if candidates:
                reasons[pick(candidates)] = SuppressionReason.SECONDARY
                added = True
        if not added:  # pragma: no cover - everything hidden cannot be recoverable
            return reasons


def _line_with_one_hidden(
    reasons: Sequence[SuppressionReason | None],
    lines: Sequence[_Line],
    settled: set[int] | None = None,
    exempt: Sequence[bool] | None = None,
) -> _Line | None:
    for line in lines:
        if settled and id(line) in settled:
            continue
        hidden = [e for e in line.entries if reasons[e] is not None]
        if len(hidden) == 1 and not (exempt and exempt[hidden[0]]):
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
    system = system[np.any(system != 0, axis=1)]  # lines with no hidden entry say nothing
    if system.shape[0] == 0:
        return []
    # e_k is fixed by the lines iff it lies in their row space: its projection there has
    # norm 1 (the reduced SVD is enough, and much cheaper than the full null space).
    _, singular, vt = np.linalg.svd(system, full_matrices=False)
    rank = int(np.sum(singular > _NULL_SPACE_TOLERANCE))
    projection = np.sum(vt[:rank] ** 2, axis=0)
    return [entry for k, entry in enumerate(unknowns) if projection[k] > 1 - 1e-9]


def _published_interval(value: int, policy: DisclosurePolicy) -> tuple[float, float]:
    """The true counts a published (visible) count can stand for: it rounds to it, not small."""
    if value == 0:
        return 0.0, 0.0
    half = policy.rounding_base // 2
    low = max(value - half, policy.threshold + 1)  # smaller counts are never shown
    return float(low), float(value + half)


def _narrowed(
    raw: Sequence[int],
    reasons: Sequence[SuppressionReason | None],
    lines: Sequence[_Line],
    policy: DisclosurePolicy,
    known: Sequence[bool] | None = None,
) -> list[int]:
    """Rule 3: small hidden entries an interval attack pins inside the suppression band.

    The attacker knows every line and, for each visible entry, the counts that round to it;
    a small hidden entry is safe when the attack still allows every value of the band
    (``band_low`` .. threshold). One capped LP certifies most entries at once (maximise
    the sum of min(entry, threshold), then minimise the sum of max(entry - band_low, 0));
    the rest are tried one by one.
    """
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack

    n = len(raw)
    targets = [
        e
        for e in range(n)
        if reasons[e] is SuppressionReason.PRIMARY and not (known is not None and known[e])
    ]
    if not targets or not lines:
        return []
    band_low = 1.0 if policy.show_zero else 0.0
    band_high = float(policy.threshold)

    def bound(e: int) -> tuple[float, float | None]:
        if reasons[e] is None:
            return _published_interval(policy.round_count(raw[e]), policy)
        if known is not None and known[e]:
            small = reasons[e] is SuppressionReason.PRIMARY
            return (band_low, band_high) if small else (float(raw[e]), float(raw[e]))
        return 0.0, None

    bounds = [bound(e) for e in range(n)]

    rows, cols, data = [], [], []
    for r, line in enumerate(lines):
        for m in line.members:
            rows.append(r), cols.append(m), data.append(1.0)
        rows.append(r), cols.append(line.total), data.append(-1.0)
    a_lines = coo_matrix((data, (rows, cols)), shape=(len(lines), n))
    m = len(targets)
    pick = coo_matrix(([1.0] * m, (range(m), targets)), shape=(m, n))
    eye = coo_matrix(([1.0] * m, (range(m), range(m))), shape=(m, m))
    a_eq = hstack([a_lines, coo_matrix((len(lines), m))]).tocsr()
    b_eq = np.zeros(len(lines))

    def solve(maximise: bool, open_: list[int]) -> np.ndarray | None:
        # maximise: y <= x, y <= band_high, max sum y; else: z >= x - band_low, min sum z.
        # Only the entries in `open_` carry weight, so earlier certificates are not traded.
        sign = 1.0 if maximise else -1.0
        a_ub = hstack([-sign * pick, sign * eye]).tocsr()
        b_ub = np.full(m, 0.0 if maximise else band_low)
        weight = np.zeros(m)
        weight[[position[e] for e in open_]] = 1.0
        cost = np.concatenate([np.zeros(n), -weight if maximise else weight])
        extra = [(None, band_high)] * m if maximise else [(0.0, None)] * m
        result = linprog(
            cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds + extra,
            method="highs",
        )  # fmt: skip
        return result.x[:n] if result.status == 0 else None

    position = {e: k for k, e in enumerate(targets)}
    unsafe: set[int] = set()
    for maximise in (True, False):
        remaining = list(targets)
        while remaining:
            x = solve(maximise, remaining)
            if x is None:  # pragma: no cover - the true counts are always feasible
                return targets
            left = [
                e
                for e in remaining
                if not ((x[e] >= band_high - 1e-6) if maximise else (x[e] <= band_low + 1e-6))
            ]
            if len(left) == len(remaining):
                break
            remaining = left
        for e in remaining:
            x = solve(maximise, [e]) if len(remaining) > 1 else None
            if x is not None and (
                (x[e] >= band_high - 1e-6) if maximise else (x[e] <= band_low + 1e-6)
            ):
                continue
            unsafe.add(e)
    return sorted(unsafe)


def _complement(
    raw: Sequence[int],
    reasons: list[SuppressionReason | None],
    is_margin: Sequence[bool],
    lines: Sequence[_Line],
    frozen: Sequence[bool],
    narrowed: Sequence[int],
) -> bool:
    """Hide one more entry near each narrowed one (its lines, then theirs); False if none."""
    added = False
    for target in narrowed:
        reach = {target}
        for _ in range(4):
            near = {e for line in lines if reach & set(line.entries) for e in line.entries}
            candidates = [e for e in near if reasons[e] is None and not frozen[e]]
            if candidates:
                best = min(candidates, key=lambda e: (is_margin[e], raw[e] == 0, raw[e], e))
                reasons[best] = SuppressionReason.SECONDARY
                added = True
                break
            reach = near
    return added


def _publish(
    raw: Sequence[int], reasons: Sequence[SuppressionReason | None], policy: DisclosurePolicy
) -> list[ProtectedValue]:
    return [
        ProtectedValue(None, reason)
        if reason is not None
        else ProtectedValue(policy.round_count(v))
        for v, reason in zip(raw, reasons, strict=True)
    ]
