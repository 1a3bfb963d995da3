"""Proportions with Wilson score limits."""

import pytest

from services.equity_audit.methods import MethodInputError, proportion


# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
# methods. Stat Med 1998;17:857-72, Table I, method 3 (Wilson score, no continuity correction).
@pytest.mark.parametrize(
    ("numerator", "denominator", "lower", "upper"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(
    numerator: int, denominator: int, lower: float, upper: float
) -> None:
    limits = proportion(numerator, denominator, confidence=(0.95,)).at(0.95)
    assert limits.lower == pytest.approx(lower, abs=5e-5)
    assert limits.upper == pytest.approx(upper, abs=5e-5)


def test_percentage_scale_and_default_levels() -> None:
    result = proportion(65, 100, multiplier=100)
    assert result.estimate == pytest.approx(65.0)
    assert result.method == "Wilson"
    assert [limit.level for limit in result.limits] == [0.95, 0.998]
    assert result.at(0.998).lower < result.at(0.95).lower < 65 < result.at(0.95).upper
    assert result.at(0.95).upper < result.at(0.998).upper < 100


def test_all_cases_gives_an_upper_limit_of_one() -> None:
    assert proportion(20, 20).at(0.95).upper == pytest.approx(1.0)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("numerator", "denominator"),
    [(4.49e307, 7.75e307), (1.7e308, 1.7976931348623157e308), (0, 5e-324), (5e-324, 5e-324)],
)
def test_extreme_counts_give_finite_limits_without_warnings(
    numerator: float, denominator: float
) -> None:
    result = proportion(numerator, denominator)
    for limit in result.limits:
        assert 0 <= limit.lower <= result.estimate <= limit.upper <= 1


def test_a_level_too_close_to_one_is_refused() -> None:
    with pytest.raises(MethodInputError) as error:
        proportion(1, 2, confidence=(0.95, 0.9999999999999999))
    assert (error.value.item_index, error.value.field) == (1, "confidence")
