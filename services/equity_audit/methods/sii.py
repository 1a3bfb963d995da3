"""Slope and Relative Index of Inequality, as PHEindicatormethods' phe_sii / calculate_sii.

Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities.
J Public Health 2004;26:388-95. Quantiles are ranked by label (1 = most deprived) and placed
at the mid-point of their share of the cumulative population, so x runs from 0 (most deprived
end) to 1 (least deprived end). A population-weighted regression of y on x gives the fitted
line a + b x, with SII = fitted(1) - fitted(0) and RII = fitted(1) / fitted(0), the package's
conventions, and the intercept fitted(0).

`transform` means what it means in the package. Off, y is the value itself: SII = b,
RII = (a + b) / a, intercept = a. On (rates and proportions only; the package recommends it
for both), y is f(value) with f = log for rates and logit for proportions, and the fit is
back-transformed: SII = f^-1(a + b) - f^-1(a), RII = f^-1(a + b) / f^-1(a) (e^b for rates),
intercept = f^-1(a) x |multiplier|.

Limits come from simulating each quantile's value from a normal distribution with its
standard error, and taking order statistics. Whatever `transform`, a rate is simulated on the
log scale and a proportion on the logit scale (the package's `value_type`), and a normal
value as it is. Transform off, each draw is back-transformed and fitted on the natural scale.
Transform on, the draws are fitted on the transformed scale and each simulated slope s is
turned into f^-1(m + s/2) - f^-1(m - s/2) (and the ratio of the two) about the fitted
mid-point m = a + b/2, as the package does; both are increasing in s, so they map the
slope's order statistics to the SII's and RII's.

RII direction: with quantile 1 the most deprived, the package's RII is the *least* deprived
end over the *most* deprived end (a value below 1 means higher values where deprivation is
higher). Many readers expect the opposite ("most over least"), so the result also carries
`rii_most_over_least_deprived` = fitted(0) / fitted(1), its reciprocal, with limits taken
from the same simulations (equal to the package's RII with a negative multiplier). It does
not depend on the multiplier's sign, which only flips the package-convention `rii`.

An RII is only a ratio of two levels when both ends of the fitted line are on the same side
of zero: where it, or a simulated limit, is zero, negative, infinite or undefined (a line
fitted to rates on the natural scale can cross zero), it is None with `rii_reason`. The
package prints such a number; we do not. Transformed rates and proportions always have one.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.intervals import ConfidenceLimits, z_value

ValueType = Literal["normal", "rate", "proportion"]

DEFAULT_SEED = 20_240_401
MIN_QUANTILES, MAX_QUANTILES = 5, 100
MIN_REPETITIONS = 1000
# Simulations fitted per matrix product: few enough that OpenBLAS multiplies on one thread.
# Its threads cost more than the product (tens of ms for 100,000 x 5 by 5 x 2 on a busy
# machine, against under one) and every row's fit is the same however the rows are split.
BLOCK_ROWS = 8192
UNDEFINED_RII = "a fitted end of the line is zero or not finite, so their ratio is undefined"
CROSSES_ZERO = "the fitted line crosses zero between its ends, so their ratio is meaningless"
LIMITS_CROSS_ZERO = (
    "simulated lines cross zero between their ends, so the RII's limits are meaningless"
)


@dataclass(frozen=True, slots=True)
class QuantileValue:
    """One quantile's value with its 95% limits, or its SE on the simulation scale.

    As in the package, a supplied SE is used as given: on the log scale for rates and the
    logit scale for proportions; limits are transformed before the SE is derived from them.
    """

    quantile: int
    population: float
    value: float
    se: float | None = None
    lower_95: float | None = None
    upper_95: float | None = None


@dataclass(frozen=True, slots=True)
class SiiResult:
    """SII (times `multiplier`), RII both ways round and the intercept, with simulated limits.

    `rii` is the package's fitted(1) / fitted(0) (least over most deprived; inverted by a
    negative multiplier); `rii_most_over_least_deprived` is fitted(0) / fitted(1) whatever
    the multiplier. Either is None, with `rii_reason`, when it is not a positive finite ratio.
    `intercept` is fitted(0) as the package returns it: in the values' units without
    transform, times |multiplier| with it.
    """

    sii: float
    sii_limits: tuple[ConfidenceLimits, ...]
    rii: float | None
    rii_limits: tuple[ConfidenceLimits, ...]
    rii_most_over_least_deprived: float | None
    rii_most_over_least_deprived_limits: tuple[ConfidenceLimits, ...]
    value_type: ValueType
    multiplier: float
    repetitions: int
    seed: int
    intercept: float
    transform: bool
    rii_reason: str | None


def slope_index_of_inequality(
    quantiles: Sequence[QuantileValue],
    *,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1,
    confidence: Sequence[float] = (0.95,),
    repetitions: int = 100_000,
    seed: int = DEFAULT_SEED,
) -> SiiResult:
    """SII, RII and intercept across quantiles; a negative multiplier flips SII and inverts RII."""
    rows = sorted(_validated(quantiles, value_type), key=lambda q: q.quantile)
    levels = _checks.confidence_levels(confidence)
    scale = _checks.finite(multiplier, "multiplier")
    _check_options(value_type, transform, scale, repetitions)

    # Overflow (huge values, SEs or multipliers) yields inf or NaN, refused below, not a warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        fit = _fit(rows, value_type, transform, scale, repetitions, seed)
        sii, intercept, sim_sii = fit.sii, fit.intercept, fit.sim_sii
        forward = _ratio(fit.high_end, fit.low_end)
        reverse = _ratio(fit.low_end, fit.high_end)
        sim_forward = fit.sim_high / fit.sim_low
        sim_reverse = fit.sim_low / fit.sim_high
    sii_limits = _percentile_limits(sim_sii, levels)
    _checks.finite_results(
        "quantiles",
        "values, standard errors or multiplier too large: the SII or its limits would not be"
        " finite",
        sii,
        intercept,
        *(x for lim in sii_limits for x in (lim.lower, lim.upper)),
    )
    forward, forward_limits, forward_reason = _meaningful_rii(forward, sim_forward, levels)
    reverse, reverse_limits, reverse_reason = _meaningful_rii(reverse, sim_reverse, levels)
    if scale < 0:
        rii, rii_limits, rii_reason = reverse, reverse_limits, reverse_reason
    else:
        rii, rii_limits, rii_reason = forward, forward_limits, forward_reason

    return SiiResult(
        sii=sii,
        sii_limits=sii_limits,
        rii=rii,
        rii_limits=rii_limits,
        rii_most_over_least_deprived=reverse,
        rii_most_over_least_deprived_limits=reverse_limits,
        value_type=value_type,
        multiplier=scale,
        repetitions=repetitions,
        seed=seed,
        intercept=intercept,
        transform=transform,
        rii_reason=rii_reason or reverse_reason,
    )


def _check_options(
    value_type: ValueType, transform: object, scale: float, repetitions: object
) -> None:
    """Refuse a transform, multiplier or repetition count the method cannot use."""
    if not isinstance(transform, bool):
        raise MethodInputError(None, "transform", "must be true or false")
    if transform and value_type == "normal":
        raise MethodInputError(None, "transform", "only rates and proportions can be transformed")
    if scale == 0:
        raise MethodInputError(None, "multiplier", "must not be zero")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int):
        raise MethodInputError(None, "repetitions", "must be a whole number")
    if repetitions < MIN_REPETITIONS:
        raise MethodInputError(None, "repetitions", f"must be at least {MIN_REPETITIONS}")


@dataclass(frozen=True, slots=True)
class _Fit:
    """The fitted line's ends, intercept and SII, and their simulated counterparts."""

    intercept: float
    sii: float
    low_end: float
    high_end: float
    sim_sii: NDArray[np.float64]
    sim_low: NDArray[np.float64]
    sim_high: NDArray[np.float64]


def _fit(
    rows: list[QuantileValue],
    value_type: ValueType,
    transform: bool,
    scale: float,
    repetitions: int,
    seed: int,
) -> _Fit:
    """Fit the line through the quantiles by their mid-rank, and simulate it."""
    population = np.array([q.population for q in rows])
    total = population.sum()
    if not np.isfinite(total):
        raise MethodInputError(None, "population", "the quantiles' total is too large")
    values = np.array([q.value for q in rows])
    share = population / total
    rank = np.cumsum(share) - share / 2
    sqrt_share = np.sqrt(share)
    design = np.column_stack([sqrt_share, rank * sqrt_share])
    # Rows of `solve` map sqrt(share)-weighted values to (intercept, slope) by least squares.
    solve = np.linalg.solve(design.T @ design, design.T)

    centre, se = _sampling_scale(rows, values, value_type)
    rng = np.random.default_rng(seed)
    draws = centre + se * rng.standard_normal((repetitions, len(rows)))
    if transform:
        return _fit_transformed(solve, sqrt_share, centre, draws, value_type, scale)
    return _fit_direct(solve, sqrt_share, values, draws, value_type, scale)


def _fit_transformed(
    solve: NDArray[np.float64],
    sqrt_share: NDArray[np.float64],
    centre: NDArray[np.float64],
    draws: NDArray[np.float64],
    value_type: ValueType,
    scale: float,
) -> _Fit:
    """Fit and simulate on the log / logit scale; back-transform the fitted ends."""
    a, b = solve @ (centre * sqrt_share)
    low_end, high_end = _back_transform(np.array([a, a + b]), value_type)
    sim_slope = _fit_rows(draws * sqrt_share, solve.T)[:, 1]
    middle = a + b / 2
    sim_low = _back_transform(middle - sim_slope / 2, value_type)
    sim_high = _back_transform(middle + sim_slope / 2, value_type)
    return _Fit(
        intercept=float(low_end * abs(scale)),
        sii=float(scale * (high_end - low_end)),
        low_end=low_end,
        high_end=high_end,
        sim_sii=scale * (sim_high - sim_low),
        sim_low=sim_low,
        sim_high=sim_high,
    )


def _fit_direct(
    solve: NDArray[np.float64],
    sqrt_share: NDArray[np.float64],
    values: NDArray[np.float64],
    draws: NDArray[np.float64],
    value_type: ValueType,
    scale: float,
) -> _Fit:
    """Fit the values themselves; simulate on their own scale."""
    a, b = solve @ (values * sqrt_share)
    params = _fit_rows(_back_transform(draws, value_type) * sqrt_share, solve.T)
    return _Fit(
        intercept=float(a),
        sii=float(scale * b),
        low_end=a,
        high_end=a + b,
        sim_sii=scale * params[:, 1],
        sim_low=params[:, 0],
        sim_high=params[:, 0] + params[:, 1],
    )


def _fit_rows(weighted: NDArray[np.float64], solve_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """`weighted @ solve_t`, BLOCK_ROWS rows at a time (single-threaded BLAS, same result)."""
    params = np.empty((weighted.shape[0], solve_t.shape[1]))
    for start in range(0, weighted.shape[0], BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        np.matmul(weighted[rows], solve_t, out=params[rows])
    return params


def _ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when the denominator is 0."""
    if denominator == 0:
        return None
    return float(numerator / denominator)


def _meaningful_rii(
    rii: float | None, simulated: NDArray[np.float64], levels: tuple[float, ...]
) -> tuple[float | None, tuple[ConfidenceLimits, ...], str | None]:
    """The RII and its limits, or (None, (), reason) when any is not a positive finite ratio."""
    if rii is None or not math.isfinite(rii) or rii == 0:
        return None, (), UNDEFINED_RII
    if rii < 0:
        return None, (), CROSSES_ZERO
    limits = _percentile_limits(simulated, levels)
    bounds = [x for lim in limits for x in (lim.lower, lim.upper)]
    if not all(math.isfinite(x) and x > 0 for x in bounds):
        return None, (), LIMITS_CROSS_ZERO
    return rii, limits, None


def _validated(quantiles: Sequence[QuantileValue], value_type: ValueType) -> list[QuantileValue]:
    if value_type not in ("normal", "rate", "proportion"):
        raise MethodInputError(None, "value_type", "must be normal, rate or proportion")
    if not MIN_QUANTILES <= len(quantiles) <= MAX_QUANTILES:
        raise MethodInputError(
            None, "quantiles", f"between {MIN_QUANTILES} and {MAX_QUANTILES} are required"
        )
    seen: set[int] = set()
    for i, q in enumerate(quantiles):
        if q.quantile in seen:
            raise MethodInputError(i, "quantile", f"quantile {q.quantile} appears twice")
        seen.add(q.quantile)
        _checks.positive(q.population, "population", i)
        value = _checks.finite(q.value, "value", i)
        if q.se is not None:
            _checks.count(q.se, "se", i)
        elif q.lower_95 is None or q.upper_95 is None:
            raise MethodInputError(i, "se", "either se or both 95% limits are required")
        else:
            lower = _checks.finite(q.lower_95, "lower_95", i)
            upper = _checks.finite(q.upper_95, "upper_95", i)
            if lower > upper:
                raise MethodInputError(i, "lower_95", "must not exceed upper_95")
            _check_scale([("lower_95", lower), ("upper_95", upper)], value_type, i)
        _check_scale([("value", value)], value_type, i)
    return list(quantiles)


def _check_scale(fields: list[tuple[str, float]], value_type: ValueType, item: int) -> None:
    for field, number in fields:
        if value_type == "rate" and number <= 0:
            raise MethodInputError(item, field, "must be greater than zero for a rate")
        if value_type == "proportion" and not 0 < number < 1:
            raise MethodInputError(item, field, "must be between 0 and 1 for a proportion")


def _transform(x: NDArray[np.float64], value_type: ValueType) -> NDArray[np.float64]:
    if value_type == "rate":
        return np.log(x)
    if value_type == "proportion":
        return np.log(x / (1 - x))
    return x


def _back_transform(y: NDArray[np.float64], value_type: ValueType) -> NDArray[np.float64]:
    if value_type == "rate":
        return np.exp(y)
    if value_type == "proportion":
        return 1 / (1 + np.exp(-y))
    return y


def _sampling_scale(
    rows: list[QuantileValue], values: NDArray[np.float64], value_type: ValueType
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Centre and SE of each quantile on the scale its value is simulated on."""
    centre = _transform(values, value_type)
    z = z_value(0.95)
    se = np.empty(len(rows))
    for i, q in enumerate(rows):
        if q.se is not None:
            se[i] = q.se
        else:
            limits = _transform(np.array([q.lower_95, q.upper_95], dtype=float), value_type)
            se[i] = (limits[1] - limits[0]) / z / 2
    return centre, se


def _percentile_limits(
    simulated: NDArray[np.float64], levels: tuple[float, ...]
) -> tuple[ConfidenceLimits, ...]:
    """Order statistics at round(n * tail) and round(n * (1 - tail)), as the package takes."""
    n = simulated.size
    positions = {}
    for level in levels:
        upper_point = level + (1 - level) / 2
        # Python's round() is half-to-even like R's; positions are 1-based.
        lower_pos = min(max(round(n * (1 - upper_point)), 1), n) - 1
        upper_pos = min(max(round(n * upper_point), 1), n) - 1
        positions[level] = (lower_pos, upper_pos)
    wanted = sorted({p for pair in positions.values() for p in pair})
    ordered = np.partition(simulated, wanted)
    return tuple(
        ConfidenceLimits(level, float(ordered[low]), float(ordered[high]))
        for level, (low, high) in positions.items()
    )
