"""Disclosure control: primary and secondary suppression, rounding, derived rates, attacks."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pytest
from scipy.optimize import linprog

from services.equity_audit.domain.disclosure import (
    DEFAULT_POLICY,
    DisclosureError,
    DisclosurePolicy,
    ProtectedSeries,
    ProtectedTable,
    ProtectedValue,
    SuppressionReason,
    derive_rate,
    find_recoverable,
    protect_count,
    protect_series,
    protect_table,
)

PRIMARY = SuppressionReason.PRIMARY
SECONDARY = SuppressionReason.SECONDARY
EXACT = DisclosurePolicy(rounding_base=1)  # no rounding: the attacker sees true values


def shown(value: int) -> ProtectedValue:
    return ProtectedValue(value)


def hidden(reason: SuppressionReason = PRIMARY) -> ProtectedValue:
    return ProtectedValue(None, reason)


# --- policy -------------------------------------------------------------------------------


def test_default_policy_is_the_nhs_digital_convention() -> None:
    expected = DisclosurePolicy(threshold=7, rounding_base=5, show_zero=True, symbol="*")
    assert expected == DEFAULT_POLICY


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": -1},
        {"rounding_base": 0},
        {"threshold": 7, "rounding_base": 17},  # 8 would round to 0
        {"threshold": 0, "rounding_base": 5},  # 1 would round to 0
        {"symbol": ""},
    ],
)
def test_policy_rejects_unsafe_or_meaningless_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(DisclosureError):
        DisclosurePolicy(**kwargs)  # type: ignore[arg-type]


def test_policy_allows_the_largest_base_that_cannot_round_a_visible_count_to_zero() -> None:
    policy = DisclosurePolicy(threshold=7, rounding_base=16)
    assert policy.round_count(8) == 16


# --- single counts --------------------------------------------------------------------------


@pytest.mark.parametrize("count", range(0, 301))
def test_every_count_up_to_300_follows_the_primary_rules(count: int) -> None:
    result = protect_count(count)
    if count == 0:
        assert result == ProtectedValue(0)
    elif count <= 7:
        assert result == ProtectedValue(None, PRIMARY)
    else:
        assert isinstance(result.value, int)
        assert result.value % 5 == 0
        assert abs(result.value - count) <= 2
        assert result.value >= 10
        assert not result.suppressed


@pytest.mark.parametrize(
    ("count", "expected"),
    [(8, 10), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (102, 100), (1003, 1005)],
)
def test_counts_round_to_the_nearest_five(count: int, expected: int) -> None:
    assert protect_count(count).value == expected


@pytest.mark.parametrize(("count", "expected"), [(14, 10), (15, 20), (25, 30), (95, 100)])
def test_halves_round_up(count: int, expected: int) -> None:
    assert DisclosurePolicy(rounding_base=10).round_count(count) == expected


def test_rounding_base_one_leaves_counts_alone() -> None:
    assert [EXACT.round_count(c) for c in range(50)] == list(range(50))


def test_zero_is_shown_by_default_and_hidden_when_the_policy_says_so() -> None:
    assert protect_count(0) == ProtectedValue(0)
    assert protect_count(0, DisclosurePolicy(show_zero=False)) == ProtectedValue(None, PRIMARY)


def test_threshold_is_configurable() -> None:
    policy = DisclosurePolicy(threshold=9, rounding_base=10)
    assert protect_count(9, policy).suppressed
    assert protect_count(10, policy) == ProtectedValue(10)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "3", None])
def test_non_counts_are_refused(bad: object) -> None:
    with pytest.raises(DisclosureError):
        protect_count(bad)  # type: ignore[arg-type]


def test_numpy_integers_are_counts() -> None:
    assert protect_count(np.int64(12)) == ProtectedValue(10)


# --- rendering ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(SuppressionReason))
def test_every_hidden_value_is_published_with_the_same_symbol(reason: SuppressionReason) -> None:
    assert hidden(reason).render() == "*"
    assert hidden(reason).render(show_reason=True) == f"*{reason.value}"


def test_render_uses_the_policy_symbol_and_shows_values() -> None:
    assert hidden().render(DisclosurePolicy(symbol="[c]")) == "[c]"
    assert shown(15).render() == "15"
    assert ProtectedValue(2.5).render() == "2.5"
    assert ProtectedValue(None).render() == ""  # undefined rate


# --- one-way tables -------------------------------------------------------------------------


def values(series: ProtectedSeries) -> list[int | float | None]:
    return [v.value for v in series.cells]


def reasons(series: ProtectedSeries) -> list[SuppressionReason | None]:
    return [v.reason for v in series.cells]


def test_series_without_small_counts_is_only_rounded() -> None:
    series = protect_series([52, 31, 18])
    assert values(series) == [50, 30, 20]
    assert series.total == ProtectedValue(100)


def test_one_hidden_cell_takes_the_next_smallest_cell_with_it() -> None:
    series = protect_series([3, 50, 12, 40])
    assert reasons(series) == [PRIMARY, None, SECONDARY, None]
    assert values(series) == [None, 50, None, 40]
    assert series.total == ProtectedValue(105)


def test_two_small_cells_protect_each_other() -> None:
    series = protect_series([3, 5, 50])
    assert reasons(series) == [PRIMARY, PRIMARY, None]


def test_a_shown_zero_is_not_used_as_the_second_hidden_cell() -> None:
    # Hiding the 0 would tell the reader the pair adds up to 3, i.e. the small count is 3.
    series = protect_series([3, 0, 0, 60, 50])
    assert reasons(series) == [PRIMARY, None, None, None, SECONDARY]


def test_a_zero_is_hidden_when_nothing_else_can_be() -> None:
    series = protect_series([3, 0, 0])
    assert series.total == ProtectedValue(None, PRIMARY)  # total 3 is small itself
    assert reasons(series) == [PRIMARY, None, None]


def test_hidden_zeros_count_as_hidden_cells() -> None:
    series = protect_series([4, 0, 30], DisclosurePolicy(show_zero=False))
    assert reasons(series) == [PRIMARY, PRIMARY, None]


def test_ties_are_broken_by_position() -> None:
    assert reasons(protect_series([3, 20, 20])) == [PRIMARY, SECONDARY, None]


def test_a_small_total_is_hidden() -> None:
    series = protect_series([2, 0, 3])
    assert series.total == ProtectedValue(None, PRIMARY)


def test_without_a_total_only_primary_rules_apply() -> None:
    series = protect_series([3, 50, 12], with_total=False)
    assert series.total is None
    assert reasons(series) == [PRIMARY, None, None]


def test_empty_series() -> None:
    assert protect_series([]) == ProtectedSeries((), ProtectedValue(0))


def test_hidden_series_cell_cannot_be_recovered_from_the_total() -> None:
    truth = [3, 50, 12, 40]
    series = protect_series(truth, EXACT)
    assert find_recoverable(series) == ()
    low, high = _series_range(series, 0)
    assert low < high  # many values fit: the 3 is not recovered
    assert low <= truth[0] <= high


def test_primary_suppression_alone_would_give_the_cell_away() -> None:
    naive = ProtectedSeries((hidden(), shown(50), shown(12), shown(40)), shown(105))
    assert find_recoverable(naive) == ("cell[0]",)
    assert _series_range(naive, 0) == pytest.approx((3.0, 3.0))


# --- two-way tables -------------------------------------------------------------------------


def grid(table: ProtectedTable) -> list[list[str]]:
    return [[v.render(show_reason=True) for v in row] for row in table.cells]


def test_table_without_small_counts_is_only_rounded() -> None:
    table = protect_table([[12, 23], [48, 101]])
    assert grid(table) == [["10", "25"], ["50", "100"]]
    assert table.row_totals == (shown(35), shown(150))
    assert table.column_totals == (shown(60), shown(125))
    assert table.grand_total == shown(185)


def test_one_small_cell_hides_a_rectangle() -> None:
    table = protect_table([[3, 10], [20, 30]])
    assert grid(table) == [["*primary", "*secondary"], ["*secondary", "*secondary"]]
    assert table.row_totals == (shown(15), shown(50))
    assert table.column_totals == (shown(25), shown(40))
    assert find_recoverable(table) == ()


def test_secondary_suppression_spreads_only_as_far_as_needed() -> None:
    table = protect_table([[3, 40, 50, 60], [20, 30, 45, 55], [70, 80, 90, 100]])
    hidden_cells = {
        (r, c) for r, row in enumerate(table.cells) for c, v in enumerate(row) if v.suppressed
    }
    assert hidden_cells == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert not any(v.suppressed for v in (*table.row_totals, *table.column_totals))  # type: ignore[misc]


def test_small_margins_are_hidden_and_protected() -> None:
    table = protect_table([[1, 2], [40, 50]])
    assert table.row_totals[0].reason is PRIMARY  # type: ignore[index]
    _assert_safe([[1, 2], [40, 50]], table, DEFAULT_POLICY)


def test_without_margins_only_primary_rules_apply() -> None:
    table = protect_table([[3, 10], [20, 30]], with_totals=False)
    assert grid(table) == [["*primary", "10"], ["20", "30"]]
    assert table.row_totals is None and table.column_totals is None and table.grand_total is None
    assert find_recoverable(table) == ()


def test_ragged_tables_are_refused() -> None:
    with pytest.raises(DisclosureError):
        protect_table([[1, 2], [3]])


def test_empty_table() -> None:
    table = protect_table([])
    assert table.cells == () and table.grand_total == shown(0)


def test_audit_finds_a_cell_that_line_rules_miss() -> None:
    # Two blocks of four hidden cells joined by one hidden cell (0, 2): every row and column
    # holds 0 or at least 2 hidden cells, yet (0, 2) equals rows 0–1 minus columns 0–1.
    hide = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    cells = tuple(
        tuple(hidden() if (r, c) in hide else shown(10) for c in range(4)) for r in range(4)
    )
    table = ProtectedTable(cells, (shown(40),) * 4, (shown(40),) * 4, shown(160))
    assert find_recoverable(table) == ("cell[0,2]",)


def test_hidden_cell_cannot_be_recovered_from_margins() -> None:
    truth = [[3, 40, 50], [20, 30, 45], [70, 80, 90]]
    table = protect_table(truth, EXACT)
    assert find_recoverable(table) == ()
    for r, c in _hidden_body(table):
        low, high = _table_range(table, r, c)
        assert low <= truth[r][c] <= high
        assert high - low >= 1, f"cell ({r},{c}) pinned to {low}"


def test_primary_suppression_alone_lets_the_attack_succeed() -> None:
    truth = [[3, 40, 50], [20, 30, 45], [70, 80, 90]]
    exact = protect_table(truth, EXACT)
    naive = ProtectedTable(
        tuple(tuple(hidden() if v <= 7 else shown(v) for v in row) for row in truth),
        exact.row_totals,
        exact.column_totals,
        exact.grand_total,
    )
    assert find_recoverable(naive) == ("cell[0,0]",)
    assert _table_range(naive, 0, 0) == pytest.approx((3.0, 3.0))


@pytest.mark.parametrize("seed", range(120))
def test_random_tables_are_always_safe(seed: int) -> None:
    rng = random.Random(seed)
    rows, cols = rng.randint(1, 6), rng.randint(1, 6)
    body = [[_random_count(rng) for _ in range(cols)] for _ in range(rows)]
    policy = rng.choice([DEFAULT_POLICY, EXACT, DisclosurePolicy(show_zero=False)])
    table = protect_table(body, policy)
    _assert_safe(body, table, policy)
    if policy is EXACT:
        for r, c in _hidden_body(table):
            low, high = _table_range(table, r, c)
            assert low < high, f"seed {seed}: cell ({r},{c}) recovered as {low}"


@pytest.mark.parametrize("seed", range(60))
def test_random_series_are_always_safe(seed: int) -> None:
    rng = random.Random(seed)
    counts = [_random_count(rng) for _ in range(rng.randint(1, 8))]
    series = protect_series(counts)
    published = [*series.cells, series.total]
    truth = [*counts, sum(counts)]
    for value, true in zip(published, truth, strict=True):
        assert value.suppressed or value.value == DEFAULT_POLICY.round_count(true)  # type: ignore[union-attr]
        if 1 <= true <= 7:
            assert value.reason is PRIMARY  # type: ignore[union-attr]
    assert sum(v.suppressed for v in published) != 1  # type: ignore[union-attr]
    assert find_recoverable(series) == ()


# --- derived rates --------------------------------------------------------------------------


def test_rates_come_from_published_counts_not_true_ones() -> None:
    numerator, denominator = protect_count(12), protect_count(1003)
    rate = derive_rate(numerator, denominator)
    assert rate == ProtectedValue(round(10 / 1005 * 100, 1))  # not 12 / 1003
    assert derive_rate(numerator, denominator, per=100_000, decimals=0).value == 995.0


@pytest.mark.parametrize(
    ("numerator", "denominator"),
    [(hidden(), shown(100)), (shown(10), hidden()), (hidden(SECONDARY), hidden())],
)
def test_a_rate_from_a_hidden_count_is_hidden(
    numerator: ProtectedValue, denominator: ProtectedValue
) -> None:
    assert derive_rate(numerator, denominator) == ProtectedValue(None, SuppressionReason.DERIVED)


def test_a_rate_over_zero_is_undefined_not_suppressed() -> None:
    rate = derive_rate(shown(0), shown(0))
    assert rate == ProtectedValue(None) and not rate.suppressed


def test_rates_across_a_protected_series() -> None:
    uptake = protect_series([3, 50, 12, 40])
    population = protect_series([1000, 2000, 1500, 1800])
    rates = [derive_rate(n, d) for n, d in zip(uptake.cells, population.cells, strict=True)]
    assert [r.reason for r in rates] == [
        SuppressionReason.DERIVED,
        None,
        SuppressionReason.DERIVED,
        None,
    ]
    assert rates[1].value == 2.5


# --- helpers --------------------------------------------------------------------------------


def _random_count(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.15:
        return 0
    if roll < 0.45:
        return rng.randint(1, 7)
    return rng.randint(8, 400)


def _hidden_body(table: ProtectedTable) -> list[tuple[int, int]]:
    return [(r, c) for r, row in enumerate(table.cells) for c, v in enumerate(row) if v.suppressed]


def _assert_safe(
    body: Sequence[Sequence[int]], table: ProtectedTable, policy: DisclosurePolicy
) -> None:
    assert table.row_totals is not None and table.column_totals is not None
    assert table.grand_total is not None
    truth_rows = [sum(row) for row in body]
    truth_cols = [sum(col) for col in zip(*body, strict=True)] if body else []
    published: list[tuple[ProtectedValue, int]] = [
        (v, body[r][c]) for r, row in enumerate(table.cells) for c, v in enumerate(row)
    ]
    published += list(zip(table.row_totals, truth_rows, strict=True))
    published += list(zip(table.column_totals, truth_cols, strict=True))
    published.append((table.grand_total, sum(truth_rows)))
    for value, true in published:
        if policy.is_small(true):
            assert value.reason is PRIMARY
        elif value.suppressed:
            assert value.reason is SECONDARY
        else:
            assert value.value == policy.round_count(true)
    lines = [[*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)]
    lines += [
        [row[c] for row in table.cells] + [table.column_totals[c]]
        for c in range(len(table.column_totals))
    ]
    lines.append([*table.column_totals, table.grand_total])
    lines.append([*table.row_totals, table.grand_total])
    for line in lines:
        assert sum(v.suppressed for v in line) != 1
    assert find_recoverable(table) == ()


def _feasible_range(
    n_unknowns: int, equations: list[tuple[list[tuple[int, float]], float]], target: int
) -> tuple[float, float]:
    """Smallest and largest value ``target`` can take given the equations and x >= 0."""
    a_eq = np.zeros((max(len(equations), 1), n_unknowns))
    b_eq = np.zeros(max(len(equations), 1))
    for row, (terms, rhs) in enumerate(equations):
        for column, coefficient in terms:
            a_eq[row, column] += coefficient
        b_eq[row] = rhs
    objective = np.zeros(n_unknowns)
    objective[target] = 1.0
    bounds = [(0, None)] * n_unknowns
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == 0 and high.status in (0, 3)  # 3: unbounded above
    return float(low.fun), float("inf") if high.status == 3 else float(-high.fun)


def _line_equations(
    lines: list[tuple[list[ProtectedValue], ProtectedValue]], index: dict[int, int]
) -> list[tuple[list[tuple[int, float]], float]]:
    equations = []
    for members, total in lines:
        terms: list[tuple[int, float]] = []
        rhs = 0.0
        for value, sign in [(m, 1.0) for m in members] + [(total, -1.0)]:
            if value.suppressed:
                terms.append((index[id(value)], sign))
            else:
                rhs -= sign * float(value.value or 0)
        equations.append((terms, rhs))
    return equations


def _series_range(series: ProtectedSeries, cell: int) -> tuple[float, float]:
    assert series.total is not None
    entries = [*series.cells, series.total]
    unknown = [e for e in entries if e.suppressed]
    index = {id(e): k for k, e in enumerate(unknown)}
    equations = _line_equations([(list(series.cells), series.total)], index)
    return _feasible_range(len(unknown), equations, index[id(series.cells[cell])])


def _table_range(table: ProtectedTable, r: int, c: int) -> tuple[float, float]:
    assert table.row_totals is not None and table.column_totals is not None
    assert table.grand_total is not None
    # Fresh objects so identical hidden values stay distinct unknowns.
    cells = [[ProtectedValue(v.value, v.reason) for v in row] for row in table.cells]
    rows = [ProtectedValue(v.value, v.reason) for v in table.row_totals]
    cols = [ProtectedValue(v.value, v.reason) for v in table.column_totals]
    grand = ProtectedValue(table.grand_total.value, table.grand_total.reason)
    entries = [v for row in cells for v in row] + rows + cols + [grand]
    unknown = [e for e in entries if e.suppressed]
    index = {id(e): k for k, e in enumerate(unknown)}
    lines = [(row, total) for row, total in zip(cells, rows, strict=True)]
    lines += [([row[j] for row in cells], cols[j]) for j in range(len(cols))]
    lines += [(cols, grand), (rows, grand)]
    equations = _line_equations(lines, index)
    return _feasible_range(len(unknown), equations, index[id(cells[r][c])])
