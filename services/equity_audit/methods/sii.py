"""Slope and Relative Index of Inequality, as PHEindicatormethods' phe_sii / calculate_sii.

Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities.
J Public Health 2004;26:388-95. Quantiles are ranked by label (1 = most deprived) and placed
at the mid-point of their share of the cumulative population, so x runs from 0 (most deprived
end) to 1 (least deprived end). A population-weighted regression of value on x gives
SII = fitted(1) - fitted(0) and RII = fitted(1) / fitted(0), the package's conventions.

RII direction: with quantile 1 the most deprived, the package's RII is the *least* deprived
end over the *most* deprived end (a value below 1 means higher values where deprivation is
higher). Many readers expect the opposite ("most over least"), so the result also carries
`rii_most_over_least_deprived` = fitted(0) / fitted(1), its reciprocal, with limits taken
from the same simulations (equal to the package's RII with a negative multiplier). It does
not depend on the multiplier's sign, which only flips the package-convention `rii`.

Limits come from simulating each quantile's value from a normal distribution with its
standard error: on the log scale for rates and the logit scale for proportions.
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
    """SII (times `multiplier`) and RII both ways round, with simulated limits.

    `rii` is the package's fitted(1) / fitted(0) (least over most deprived; inverted by a
    negative multiplier); `rii_most_over_least_deprived` is fitted(0) / fitted(1) whatever
    the multiplier. Either is None when the fitted value it divides by is 0.
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


def slope_index_of_inequality(
    quantiles: Sequence[QuantileValue],
    *,
    value_type: ValueType = "normal",
    multiplier: float = 1,
    confidence: Sequence[float] = (0.95,),
    repetitions: int = 100_000,
    seed: int = DEFAULT_SEED,
) -> SiiResult:
    """SII and RII across quantiles; a negative multiplier flips SII and inverts RII."""
    rows = sorted(_validated(quantiles, value_type), key=lambda q: q.quantile)
    levels = _checks.confidence_levels(confidence)
    scale = _checks.finite(multiplier, "multiplier")
    if scale == 0:
        raise MethodInputError(None, "multiplier", "must not be zero")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int):
        raise MethodInputError(None, "repetitions", "must be a whole number")
    if repetitions < MIN_REPETITIONS:
        raise MethodInputError(None, "repetitions", f"must be at least {MIN_REPETITIONS}")

    # Overflow (huge values, SEs or multipliers) yields inf or NaN, refused below, not a warning.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
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

        intercept, slope = solve @ (values * sqrt_share)
        rii = _rii(intercept, slope, scale)
        reverse = _rii(intercept, slope, -1.0)

        centre, se = _sampling_scale(rows, values, value_type)
        rng = np.random.default_rng(seed)
        draws = centre + se * rng.standard_normal((repetitions, len(rows)))
        draws = _back_transform(draws, value_type)
        params = _fit_rows(draws * sqrt_share, solve.T)
        sim_intercept, sim_slope = params[:, 0], params[:, 1]
        sim_sii = scale * sim_slope
        sim_rii = (sim_intercept + sim_slope) / sim_intercept
        sim_reverse = sim_intercept / (sim_intercept + sim_slope)
        sii = float(scale * slope)
    if scale < 0:
        sim_rii = sim_reverse
    sii_limits = _percentile_limits(sim_sii, levels)
    _checks.finite_results(
        "quantiles",
        "values, standard errors or multiplier too large: the SII or its limits would not be"
        " finite",
        sii,
        *(x for lim in sii_limits for x in (lim.lower, lim.upper)),
    )
    rii, rii_limits = _finite_rii(rii, sim_rii, levels)
    reverse, reverse_limits = _finite_rii(reverse, sim_reverse, levels)

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
    )


def _fit_rows(weighted: NDArray[np.float64], solve_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """`weighted @ solve_t`, BLOCK_ROWS rows at a time (single-threaded BLAS, same result)."""
    params = np.empty((weighted.shape[0], solve_t.shape[1]))
    for start in range(0, weighted.shape[0], BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        np.matmul(weighted[rows], solve_t, out=params[rows])
    return params


def _finite_rii(
    rii: float | None, simulated: NDArray[np.float64], levels: tuple[float, ...]
) -> tuple[float | None, tuple[ConfidenceLimits, ...]]:
    """The RII and its limits, or (None, ()) when it or any limit is not a finite number."""
    if rii is None or not math.isfinite(rii):
        return None, ()
    limits = _percentile_limits(simulated, levels)
    if not all(math.isfinite(x) for lim in limits for x in (lim.lower, lim.upper)):
        return None, ()
    return rii, limits


def _rii(intercept: float, slope: float, scale: float) -> float | None:
    """fitted(1) / fitted(0), or its reciprocal when `scale` is negative."""
    if intercept == 0 or intercept + slope == 0:
        return None
    ratio = float((intercept + slope) / intercept)
    return 1 / ratio if scale < 0 else ratio


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
