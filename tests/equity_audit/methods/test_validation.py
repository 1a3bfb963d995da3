"""Every input check raises MethodInputError naming the item and field."""

import math
from collections.abc import Callable
from typing import Any

import pytest

from services.equity_audit.methods import (
    FunnelUnit,
    MethodInputError,
    QuantileValue,
    classify_units,
    core20_share,
    core20_share_by_decile,
    directly_standardised_rate,
    funnel_limits,
    is_core20,
    proportion,
    rate,
    rate_ratio,
    slope_index_of_inequality,
)


def quintiles(**change: Any) -> list[QuantileValue]:
    """Five valid quintiles, the third one altered by `change`."""
    rows = [QuantileValue(q, 1000.0, 0.1 * q, se=0.01) for q in range(1, 6)]
    rows[2] = QuantileValue(
        **{**{"quantile": 3, "population": 1000.0, "value": 0.3, "se": 0.01}, **change}
    )
    return rows


def core20(**change: float) -> Any:
    """core20_share with valid arguments, some replaced."""
    args = {
        "core20_admissions": 30,
        "total_admissions": 100,
        "core20_population": 20,
        "total_population": 100,
    }
    return core20_share(**{**args, **change})


CASES: list[tuple[str, Callable[[], Any], int | None, str]] = [
    ("rate missing count", lambda: rate(None, 100), None, "count"),  # type: ignore[arg-type]
    ("rate text count", lambda: rate("5", 100), None, "count"),  # type: ignore[arg-type]
    ("rate boolean count", lambda: rate(True, 100), None, "count"),
    ("rate negative count", lambda: rate(-1, 100), None, "count"),
    ("rate nan count", lambda: rate(math.nan, 100), None, "count"),
    ("rate infinite denominator", lambda: rate(5, math.inf), None, "denominator"),
    ("rate zero denominator", lambda: rate(5, 0), None, "denominator"),
    ("rate negative denominator", lambda: rate(5, -10), None, "denominator"),
    ("rate zero multiplier", lambda: rate(5, 100, multiplier=0), None, "multiplier"),
    ("rate confidence 95", lambda: rate(5, 100, confidence=(0.95, 95)), 1, "confidence"),
    ("rate confidence 1", lambda: rate(5, 100, confidence=(1.0,)), 0, "confidence"),
    ("rate confidence 0", lambda: rate(5, 100, confidence=(0.0,)), 0, "confidence"),
    ("rate no confidence", lambda: rate(5, 100, confidence=()), None, "confidence"),
    ("proportion over one", lambda: proportion(11, 10), None, "numerator"),
    ("proportion zero denominator", lambda: proportion(0, 0), None, "denominator"),
    ("proportion negative", lambda: proportion(-1, 10), None, "numerator"),
    ("dsr lengths", lambda: directly_standardised_rate([1, 2], [10, 20]), None, "counts"),
    (
        "dsr negative count",
        lambda: directly_standardised_rate([5, -1, 5], [10, 10, 10], standard_population=[1, 1, 1]),
        1,
        "count",
    ),
    (
        "dsr zero population",
        lambda: directly_standardised_rate([5, 5, 5], [10, 10, 0], standard_population=[1, 1, 1]),
        2,
        "population",
    ),
    (
        "dsr bad standard population",
        lambda: directly_standardised_rate([5, 5, 5], [10, 10, 10], standard_population=[1, 0, 1]),
        1,
        "standard_population",
    ),
    ("ratio negative index", lambda: rate_ratio(-1, 10, 5, 10), None, "index_count"),
    (
        "ratio zero comparator denominator",
        lambda: rate_ratio(1, 10, 5, 0),
        None,
        "comparator_denominator",
    ),
    ("ratio unknown method", lambda: rate_ratio(1, 10, 5, 10, method="wald"), None, "method"),  # type: ignore[arg-type]
    (
        "sii too few quantiles",
        lambda: slope_index_of_inequality(quintiles()[:4]),
        None,
        "quantiles",
    ),
    (
        "sii duplicate quantile",
        lambda: slope_index_of_inequality(quintiles(quantile=2)),
        2,
        "quantile",
    ),
    (
        "sii zero population",
        lambda: slope_index_of_inequality(quintiles(population=0)),
        2,
        "population",
    ),
    ("sii nan value", lambda: slope_index_of_inequality(quintiles(value=math.nan)), 2, "value"),
    ("sii negative se", lambda: slope_index_of_inequality(quintiles(se=-1.0)), 2, "se"),
    ("sii no se or limits", lambda: slope_index_of_inequality(quintiles(se=None)), 2, "se"),
    (
        "sii limits reversed",
        lambda: slope_index_of_inequality(quintiles(se=None, lower_95=0.35, upper_95=0.25)),
        2,
        "lower_95",
    ),
    (
        "sii rate not positive",
        lambda: slope_index_of_inequality(quintiles(value=-2.0), value_type="rate"),
        2,
        "value",
    ),
    (
        "sii proportion over one",
        lambda: slope_index_of_inequality(quintiles(value=1.2), value_type="proportion"),
        2,
        "value",
    ),
    (
        "sii unknown type",
        lambda: slope_index_of_inequality(quintiles(), value_type="odds"),
        None,
        "value_type",
    ),  # type: ignore[arg-type]
    (
        "sii few repetitions",
        lambda: slope_index_of_inequality(quintiles(), repetitions=999),
        None,
        "repetitions",
    ),
    (
        "sii fractional repetitions",
        lambda: slope_index_of_inequality(quintiles(), repetitions=1e5),
        None,
        "repetitions",
    ),  # type: ignore[arg-type]
    (
        "sii zero multiplier",
        lambda: slope_index_of_inequality(quintiles(), multiplier=0),
        None,
        "multiplier",
    ),
    (
        "sii confidence",
        lambda: slope_index_of_inequality(quintiles(), confidence=(1.5,)),
        0,
        "confidence",
    ),
    (
        "funnel zero denominator",
        lambda: funnel_limits(50, [10, 0], statistic="proportion", multiplier=100),
        1,
        "denominator",
    ),
    (
        "funnel proportion baseline",
        lambda: funnel_limits(120, [10], statistic="proportion", multiplier=100),
        None,
        "baseline",
    ),
    (
        "funnel rate baseline",
        lambda: funnel_limits(0, [10], statistic="rate", multiplier=1),
        None,
        "baseline",
    ),
    (
        "funnel statistic",
        lambda: funnel_limits(1, [10], statistic="mean", multiplier=1),
        None,
        "statistic",
    ),  # type: ignore[arg-type]
    ("funnel no units", lambda: classify_units([], statistic="rate", multiplier=1), None, "units"),
    (
        "funnel unit over denominator",
        lambda: classify_units(
            [FunnelUnit(1, 2), FunnelUnit(3, 2)], statistic="proportion", multiplier=1
        ),
        1,
        "numerator",
    ),
    (
        "funnel unit negative",
        lambda: classify_units([FunnelUnit(-1, 2)], statistic="rate", multiplier=1),
        0,
        "numerator",
    ),
    (
        "core20 admissions over total",
        lambda: core20(core20_admissions=101),
        None,
        "core20_admissions",
    ),
    (
        "core20 zero total admissions",
        lambda: core20(core20_admissions=0, total_admissions=0),
        None,
        "total_admissions",
    ),
    (
        "core20 population over total",
        lambda: core20(core20_population=101),
        None,
        "core20_population",
    ),
    ("core20 zero population", lambda: core20(core20_population=0), None, "core20_population"),
    ("core20 zero total population", lambda: core20(total_population=0), None, "total_population"),
    ("core20 deciles", lambda: core20_share_by_decile([1] * 9, [1] * 10), None, "admissions"),
    (
        "core20 decile negative",
        lambda: core20_share_by_decile([1] * 10, [1] * 9 + [-1]),
        9,
        "populations",
    ),
    ("imd decile", lambda: is_core20(11), None, "imd_decile"),
]


@pytest.mark.parametrize(
    ("call", "item_index", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_names_item_and_field(
    call: Callable[[], Any], item_index: int | None, field: str
) -> None:
    with pytest.raises(MethodInputError) as raised:
        call()
    assert (raised.value.item_index, raised.value.field) == (item_index, field)
    assert raised.value.reason
    assert isinstance(raised.value, ValueError)


def test_message_says_which_item_and_why() -> None:
    error = MethodInputError(3, "denominator", "must be greater than zero")
    assert str(error) == "item 3, denominator: must be greater than zero"
    assert str(MethodInputError(None, "count", "is missing")) == "count: is missing"
