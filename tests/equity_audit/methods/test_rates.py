"""Crude rates: exact Poisson limits below 10 events, Byars from 10."""

import numpy as np
import pytest

from services.equity_audit.methods import MethodInputError, rate
from services.equity_audit.methods.intervals import (
    byars_lower,
    byars_upper,
    exact_lower,
    exact_upper,
)

# PHEindicatormethods tests/testthat/testdata_funnel_ratio_outputs.csv (commit 8ac28e54),
# rows Observed_events 1-10. Its exact Poisson limits for a count: lower_2s_exp_events is the
# 95% upper limit, upper_2s_exp_events the 95% lower limit; 3s columns are the 99.8% ones.
# Columns: observed, 95% lower, 95% upper, 99.8% lower, 99.8% upper.
PUBLISHED_EXACT = [
    (1, 0.025317898, 5.571644585, 0.001000547, 9.233410143),
    (2, 0.242209467, 7.224687515, 0.04540199, 11.22886836),
    (3, 0.618671905, 8.767273828, 0.190533306, 13.06224507),
    (4, 1.089865762, 10.24158653, 0.42855244, 14.79414916),
    (5, 1.623486324, 11.6683331, 0.739371928, 16.45474478),
    (6, 2.201894435, 13.0594765, 1.107104434, 18.0616374),
    (7, 2.814363736, 14.42267712, 1.520336178, 19.62617867),
    (8, 3.453831154, 15.76318696, 1.970813969, 21.15619716),
    (9, 4.11537405, 17.08479966, 2.452425215, 22.65737951),
]


@pytest.mark.parametrize(("observed", "lo95", "hi95", "lo998", "hi998"), PUBLISHED_EXACT)
def test_small_counts_use_exact_limits_matching_published_rows(
    observed: int, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    result = rate(observed, 1, multiplier=1)
    assert result.method == "Exact"
    # The package finds these by bisection stopping at a step of 1e-7, so they are good to
    # about 3e-7 relative; tiny limits are compared absolutely.
    for limit, expected in ((result.at(0.95), (lo95, hi95)), (result.at(0.998), (lo998, hi998))):
        assert limit.lower == pytest.approx(expected[0], rel=1e-6, abs=1e-6)
        assert limit.upper == pytest.approx(expected[1], rel=1e-6, abs=1e-6)


def test_ten_or_more_events_use_byars() -> None:
    result = rate(65, 100_000)
    assert result.method == "Byars"
    assert result.estimate == pytest.approx(65.0)
    assert result.at(0.95).lower == pytest.approx(float(byars_lower(65, 0.95)))
    assert result.at(0.998).upper == pytest.approx(float(byars_upper(65, 0.998)))


def test_byars_formula_at_one_hundred_events() -> None:
    # O(1 - 1/9O - z/3sqrt(O))^3 and (O+1)(1 - 1/9(O+1) + z/3sqrt(O+1))^3, z = 1.959964.
    z = 1.959963984540054
    assert float(byars_lower(100, 0.95)) == pytest.approx(100 * (1 - 1 / 900 - z / 30) ** 3)
    assert float(byars_upper(100, 0.95)) == pytest.approx(
        101 * (1 - 1 / 909 + z / (3 * np.sqrt(101))) ** 3
    )


def test_byars_is_within_two_tenths_of_a_percent_of_exact_from_ten_events() -> None:
    # PHE Technical Guide "Confidence Intervals" (2018), appendix 1: Byars' 95% limits are
    # within 0.2% of the exact values for numerators of 10 or more (Breslow & Day 1987).
    observed = np.arange(10, 5001)
    assert np.all(np.abs(byars_lower(observed, 0.95) / exact_lower(observed, 0.95) - 1) < 0.002)
    assert np.all(np.abs(byars_upper(observed, 0.95) / exact_upper(observed, 0.95) - 1) < 0.002)


def test_zero_events_has_a_zero_lower_limit() -> None:
    result = rate(0, 5000)
    assert result.estimate == 0
    assert result.at(0.95).lower == 0
    assert result.at(0.95).upper == pytest.approx(3.688879454 / 5000 * 100_000)


def test_multiplier_and_any_confidence_levels() -> None:
    result = rate(8, 200, multiplier=100, confidence=(0.9, 0.95, 0.99))
    assert [limit.level for limit in result.limits] == [0.9, 0.95, 0.99]
    assert result.estimate == pytest.approx(4.0)
    widths = [limit.upper - limit.lower for limit in result.limits]
    assert widths == sorted(widths)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("count", "denominator", "field"),
    [(0, 5e-324, "denominator"), (5, 1e-304, "denominator"), (1e308, 1, "count")],
)
def test_a_rate_that_would_not_be_finite_is_refused(
    count: float, denominator: float, field: str
) -> None:
    with pytest.raises(MethodInputError) as error:
        rate(count, denominator)
    assert error.value.field == field


@pytest.mark.filterwarnings("error")
def test_byars_at_the_top_of_the_float_range_does_not_overflow() -> None:
    largest = np.finfo(float).max
    assert float(byars_lower(largest, 0.95)) == pytest.approx(largest)
    assert float(byars_upper(largest, 0.95)) == pytest.approx(largest)
