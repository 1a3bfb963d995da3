"""Slope and Relative Index of Inequality."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.equity_audit.methods import (
    MethodInputError,
    QuantileValue,
    slope_index_of_inequality,
)
from services.equity_audit.methods.intervals import z_value

# Area1 of the phe_sii documentation example, PHEindicatormethods R/SII_function.R
# (commit 0031e305): deciles 1-10 with population, value, lowerCL, upperCL, StandardError.
AREA1 = [
    (7291, 75.9, 72.7, 79.1, 1.64),
    (7997, 78.3, 75.3, 81.4, 1.58),
    (6105, 83.8, 80.9, 86.8, 1.51),
    (7666, 83.6, 80.2, 87.1, 1.78),
    (5790, 80.5, 77.1, 83.8, 1.7),
    (6934, 81.1, 78.0, 84.2, 1.56),
    (5918, 81.7, 79.0, 84.4, 1.37),
    (5974, 84.2, 81.4, 86.9, 1.4),
    (7147, 80.6, 75.8, 85.4, 2.43),
    (7534, 86.3, 83.2, 89.4, 1.57),
]

# PHEindicatormethods tests/testthat/DSR_testdata.csv (commit 1dbbdc08), rows 2-6:
# period 2010, quintiles 1-5 with total_pop, value (a DSR), lowercl, uppercl.
DSR_2010 = [
    (1, 1434002, 150.2200205, 147.3194185, 153.1498241),
    (2, 1450590, 131.0221747, 128.3676972, 133.7051129),
    (3, 1453827, 127.4954973, 125.0421198, 129.975513),
    (4, 1440980, 130.494241, 128.2469515, 132.7657553),
    (5, 1457780, 135.4664241, 133.2469515, 137.8657553),
]


def area1(*, with_se: bool) -> list[QuantileValue]:
    """The documentation example as quantiles, with SEs or with 95% limits."""
    return [
        QuantileValue(i + 1, pop, value, se=se)
        if with_se
        else QuantileValue(i + 1, pop, value, lower_95=lo, upper_95=hi)
        for i, (pop, value, lo, hi, se) in enumerate(AREA1)
    ]


def weighted_fit(population: list[float], values: list[float]) -> tuple[float, float]:
    """Intercept and slope by numpy's weighted polyfit on population mid-point ranks."""
    share = np.asarray(population) / np.sum(population)
    rank = np.cumsum(share) - share / 2
    slope, intercept = np.polyfit(rank, values, 1, w=np.sqrt(share))
    return float(intercept), float(slope)


def test_sii_and_rii_match_a_weighted_regression() -> None:
    result = slope_index_of_inequality(area1(with_se=True), repetitions=1000)
    intercept, slope = weighted_fit([r[0] for r in AREA1], [r[1] for r in AREA1])
    assert result.sii == pytest.approx(slope, rel=1e-9)
    assert result.rii == pytest.approx((intercept + slope) / intercept, rel=1e-9)


def test_published_quintile_rates_regress_in_quantile_order() -> None:
    shuffled = [QuantileValue(q, p, v, lower_95=lo, upper_95=hi) for q, p, v, lo, hi in DSR_2010]
    shuffled.reverse()
    result = slope_index_of_inequality(shuffled, value_type="rate", repetitions=1000)
    intercept, slope = weighted_fit([r[1] for r in DSR_2010], [r[2] for r in DSR_2010])
    assert result.sii == pytest.approx(slope, rel=1e-9)
    assert result.sii < 0  # rates fall from the most deprived quintile (x = 0)
    assert result.rii == pytest.approx((intercept + slope) / intercept, rel=1e-9)


def test_simulated_limits_agree_with_the_analytic_interval() -> None:
    # For normal values the SII is linear in them, so its SE is exact: sqrt(sum(c_i^2 se_i^2)).
    quantiles = area1(with_se=True)
    result = slope_index_of_inequality(quantiles, confidence=(0.95, 0.998))
    share = np.array([r[0] for r in AREA1]) / sum(r[0] for r in AREA1)
    rank = np.cumsum(share) - share / 2
    design = np.column_stack([np.sqrt(share), rank * np.sqrt(share)])
    slope_row = np.linalg.pinv(design)[1] * np.sqrt(share)
    se = float(np.sqrt(np.sum((slope_row * np.array([r[4] for r in AREA1])) ** 2)))
    for limits in result.sii_limits:
        half_width = z_value(limits.level) * se
        assert limits.lower == pytest.approx(result.sii - half_width, abs=0.03 * half_width)
        assert limits.upper == pytest.approx(result.sii + half_width, abs=0.03 * half_width)


def test_limits_from_confidence_limits_agree_with_limits_from_se() -> None:
    from_se = slope_index_of_inequality(area1(with_se=True))
    from_limits = slope_index_of_inequality(area1(with_se=False))
    assert from_limits.sii == from_se.sii
    a, b = from_se.sii_limits[0], from_limits.sii_limits[0]
    assert a.lower == pytest.approx(b.lower, rel=0.03)
    assert a.upper == pytest.approx(b.upper, rel=0.03)


def test_fixed_seed_is_reproducible() -> None:
    first = slope_index_of_inequality(area1(with_se=True), repetitions=5000, seed=7)
    again = slope_index_of_inequality(area1(with_se=True), repetitions=5000, seed=7)
    other = slope_index_of_inequality(area1(with_se=True), repetitions=5000, seed=8)
    assert first == again
    assert first.sii_limits != other.sii_limits


def test_negative_multiplier_flips_sii_and_inverts_rii() -> None:
    plain = slope_index_of_inequality(area1(with_se=True), repetitions=1000)
    flipped = slope_index_of_inequality(area1(with_se=True), repetitions=1000, multiplier=-100)
    assert flipped.sii == pytest.approx(-100 * plain.sii)
    assert plain.rii is not None and flipped.rii is not None
    assert flipped.rii == pytest.approx(1 / plain.rii)
    assert flipped.sii_limits[0].lower < flipped.sii < flipped.sii_limits[0].upper


def test_proportions_are_simulated_on_the_logit_scale() -> None:
    quantiles = [
        QuantileValue(q, 1000, p, lower_95=p - 0.03, upper_95=p + 0.03)
        for q, p in enumerate([0.30, 0.34, 0.38, 0.40, 0.45], start=1)
    ]
    result = slope_index_of_inequality(quantiles, value_type="proportion", repetitions=20_000)
    assert result.sii > 0
    assert result.sii_limits[0].lower < result.sii < result.sii_limits[0].upper
    assert result.rii_limits[0].lower < result.rii < result.rii_limits[0].upper


def test_the_default_is_100000_repetitions() -> None:
    """How long such a call takes is measured by bench/pure.py, not here."""
    quantiles = area1(with_se=False)
    result = slope_index_of_inequality(quantiles, value_type="rate", confidence=(0.95, 0.998))
    assert result.repetitions == 100_000


def test_rii_is_reported_both_ways_round() -> None:
    """`rii` is fitted(1)/fitted(0) (least over most deprived), the other its reciprocal."""
    result = slope_index_of_inequality(area1(with_se=True), repetitions=20_000)
    intercept, slope = weighted_fit([r[0] for r in AREA1], [r[1] for r in AREA1])
    # Life expectancy rises away from the most deprived decile: least/most above 1.
    assert result.rii == pytest.approx((intercept + slope) / intercept, rel=1e-9)
    assert result.rii > 1
    assert result.rii_most_over_least_deprived == pytest.approx(
        intercept / (intercept + slope), rel=1e-9
    )
    assert result.rii_most_over_least_deprived == pytest.approx(1 / result.rii, rel=1e-12)
    (reverse,) = result.rii_most_over_least_deprived_limits
    (forward,) = result.rii_limits
    assert reverse.lower < result.rii_most_over_least_deprived < reverse.upper
    # Same draws, so the limits are the reciprocals swapped (up to one order statistic).
    assert reverse.lower == pytest.approx(1 / forward.upper, rel=1e-4)
    assert reverse.upper == pytest.approx(1 / forward.lower, rel=1e-4)


def test_most_over_least_does_not_depend_on_the_multiplier_sign() -> None:
    plain = slope_index_of_inequality(area1(with_se=True), repetitions=1000)
    flipped = slope_index_of_inequality(area1(with_se=True), repetitions=1000, multiplier=-1)
    assert flipped.rii == pytest.approx(plain.rii_most_over_least_deprived)
    assert flipped.rii_most_over_least_deprived == plain.rii_most_over_least_deprived
    assert flipped.rii_limits == plain.rii_most_over_least_deprived_limits


def _flat(**changes: float) -> list[QuantileValue]:
    base: dict = {"population": 100.0, "value": 1.0, "se": 0.1} | changes
    return [QuantileValue(quantile=q, **base) for q in range(1, 6)]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("quantiles", "kwargs", "field"),
    [
        (_flat(se=1e308), {}, "quantiles"),
        (_flat(), {"multiplier": 1e308, "value_type": "normal"}, "quantiles"),
        (_flat(value=5.0, se=1000.0), {"value_type": "rate"}, "quantiles"),
        (_flat(population=1e308), {}, "population"),
    ],
)
def test_overflow_is_refused_not_warned(quantiles, kwargs, field) -> None:
    kwargs = {"repetitions": 1000, **kwargs}
    if "multiplier" in kwargs:
        quantiles = [QuantileValue(q.quantile, q.population, q.value * q.quantile, se=1e300)
                     for q in quantiles]  # fmt: skip
    with pytest.raises(MethodInputError) as error:
        slope_index_of_inequality(quantiles, **kwargs)
    assert error.value.field == field


@pytest.mark.filterwarnings("error")
def test_an_rii_that_is_not_finite_is_none_with_no_limits() -> None:
    # Values of +/-1e300 around zero: fitted(0) is tiny, so the ratio overflows.
    values = [-2e300, -1e300, 0.0, 1e300, 2e300]
    quantiles = [QuantileValue(q, 100.0, v + 1e-300, se=1.0) for q, v in enumerate(values, 1)]
    result = slope_index_of_inequality(quantiles, repetitions=1000)
    assert np.isfinite(result.sii)
    assert result.rii is None or np.isfinite(result.rii)
    for limit in (*result.rii_limits, *result.rii_most_over_least_deprived_limits):
        assert np.isfinite(limit.lower) and np.isfinite(limit.upper)


# --- transform, as phe_sii means it --------------------------------------------------------

_positive_quantiles = st.lists(
    st.tuples(st.floats(100, 1e6), st.floats(0.5, 5000.0), st.floats(0.01, 0.3)),
    min_size=5,
    max_size=12,
)


def _rate_quantiles(rows: list[tuple[float, float, float]]) -> list[QuantileValue]:
    """Rates with 95% limits a log-scale SE either side (the package's log-normal shape)."""
    z = z_value(0.95)
    return [
        QuantileValue(q, pop, v, lower_95=v * np.exp(-z * se), upper_95=v * np.exp(z * se))
        for q, (pop, v, se) in enumerate(rows, start=1)
    ]


@settings(max_examples=60, deadline=None)
@given(rows=_positive_quantiles, multiplier=st.sampled_from([1.0, 1000.0, -1.0, -100.0]))
def test_transformed_rates_fit_the_log_and_back_transform(rows, multiplier) -> None:
    quantiles = _rate_quantiles(rows)
    result = slope_index_of_inequality(
        quantiles, value_type="rate", transform=True, multiplier=multiplier, repetitions=1000
    )
    a, b = weighted_fit([r[0] for r in rows], list(np.log([r[1] for r in rows])))
    level = abs(multiplier) * np.exp(a)  # cancellation leaves rounding error of this size
    assert result.sii == pytest.approx(
        multiplier * (np.exp(a + b) - np.exp(a)), rel=1e-7, abs=1e-9 * level
    )
    assert result.rii == pytest.approx(np.exp(b if multiplier > 0 else -b), rel=1e-7)
    assert result.rii_most_over_least_deprived == pytest.approx(np.exp(-b), rel=1e-7)
    assert result.intercept == pytest.approx(np.exp(a) * abs(multiplier), rel=1e-7)
    (sii_limits,), (rii_limits,) = result.sii_limits, result.rii_limits
    assert sii_limits.lower <= sii_limits.upper
    assert 0 < rii_limits.lower <= rii_limits.upper
    assert result.rii_reason is None


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(100, 1e6), st.floats(0.01, 0.99), st.floats(0.01, 0.3)),
        min_size=5,
        max_size=12,
    )
)
def test_transformed_proportions_fit_the_logit_and_back_transform(rows) -> None:
    quantiles = [QuantileValue(q, pop, p, se=se) for q, (pop, p, se) in enumerate(rows, 1)]
    result = slope_index_of_inequality(
        quantiles, value_type="proportion", transform=True, repetitions=1000
    )
    logits = [np.log(p / (1 - p)) for _, p, _ in rows]
    a, b = weighted_fit([r[0] for r in rows], logits)

    def expit(v: float) -> float:
        return float(1 / (1 + np.exp(-v)))

    assert result.sii == pytest.approx(expit(a + b) - expit(a), rel=1e-6, abs=1e-9)
    assert result.rii == pytest.approx(expit(a + b) / expit(a), rel=1e-7)
    assert result.intercept == pytest.approx(expit(a), rel=1e-7)


def test_transform_is_refused_for_normal_values() -> None:
    with pytest.raises(MethodInputError) as error:
        slope_index_of_inequality(area1(with_se=True), transform=True, repetitions=1000)
    assert error.value.field == "transform"


def test_phe_log_transform_example_is_not_the_raw_fit() -> None:
    # Issue #13: on PHE's rate example the raw-value fit gives SII -3.275, RII 0.406; the
    # log-transform fit PHE publishes is SII -3.156, RII 0.442 (testdata_SII.xlsx row 306).
    from tests.equity_audit.methods.test_sii_phe_testdata import CASES
    from tests.equity_audit.methods.test_sii_phe_testdata import quantiles as phe

    case = next(c for c in CASES if c["name"] == "rate, log transform, intercept - area1")
    raw = slope_index_of_inequality(phe(case), value_type="rate", repetitions=1000)
    logged = slope_index_of_inequality(
        phe(case), value_type="rate", transform=True, repetitions=1000
    )
    assert (round(raw.sii, 3), round(raw.rii, 3)) == (-3.275, 0.406)
    assert (round(logged.sii, 3), round(logged.rii, 3)) == (-3.156, 0.442)


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.floats(-100, 100), min_size=5, max_size=10),
    se=st.floats(0.01, 50),
)
def test_an_rii_is_a_positive_ratio_or_none_with_a_reason(values, se) -> None:
    quantiles = [QuantileValue(q, 1000.0, v, se=se) for q, v in enumerate(values, start=1)]
    result = slope_index_of_inequality(quantiles, repetitions=1000)
    for rii, limits in (
        (result.rii, result.rii_limits),
        (result.rii_most_over_least_deprived, result.rii_most_over_least_deprived_limits),
    ):
        if rii is None:
            assert result.rii_reason and limits == ()
        else:
            assert rii > 0
            assert all(0 < lim.lower <= lim.upper for lim in limits)
