"""Rate ratios between two groups."""

import math

import pytest

from services.equity_audit.methods import rate_ratio


def test_exact_conditional_matches_r_poisson_test_example() -> None:
    # Lung cancer in Fredericia vs three other Danish cities (Andersen 1977), the two-sample
    # example in R's ?poisson.test: rate ratio 1.971488, 95% CI 0.8584264 to 4.2772659.
    result = rate_ratio(11, 800, 6 + 8 + 7, 1083 + 1050 + 878, confidence=(0.95,), method="exact")
    assert result.method == "Exact conditional"
    assert result.estimate == pytest.approx(1.971488, abs=1e-6)
    assert result.at(0.95).lower == pytest.approx(0.8584264, abs=1e-7)
    assert result.at(0.95).upper == pytest.approx(4.2772659, abs=1e-7)


def test_large_counts_use_log_normal_limits() -> None:
    result = rate_ratio(400, 100_000, 200, 100_000, confidence=(0.95,))
    assert result.method == "Log-normal"
    half_width = 1.959963984540054 * math.sqrt(1 / 400 + 1 / 200)
    assert result.estimate == pytest.approx(2.0)
    assert result.at(0.95).lower == pytest.approx(2 * math.exp(-half_width))
    assert result.at(0.95).upper == pytest.approx(2 * math.exp(half_width))


def test_small_count_switches_to_exact_automatically() -> None:
    assert rate_ratio(9, 1000, 40, 1000).method == "Exact conditional"
    assert rate_ratio(10, 1000, 40, 1000).method == "Log-normal"


def test_zero_index_count_has_zero_ratio_with_an_upper_limit() -> None:
    result = rate_ratio(0, 1000, 12, 1000)
    assert result.estimate == 0
    assert result.at(0.95).lower == 0
    assert 0 < result.at(0.95).upper < math.inf


def test_zero_comparator_count_is_not_reported() -> None:
    result = rate_ratio(5, 1000, 0, 1000)
    assert result.estimate is None
    assert result.reason == "comparator count is zero"
