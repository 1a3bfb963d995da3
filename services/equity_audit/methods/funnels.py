"""Funnel plot control limits and outlier classification, as PHEindicatormethods' funnels.

Limits are drawn around a baseline (by default the pooled value of the units compared):
- proportions: baseline +/- z * sqrt(baseline * (1 - baseline) / n), clipped to [0, 1]; this
  is the closed form of the package's sigma_adjustment (the inverted Wilson score interval);
- rates and ratios: exact Poisson limits, treating the control count as continuous. For rates
  n is the population (person-years); for ratios (observed / expected, e.g. an indirectly
  standardised ratio) n is the expected count and the baseline is 1 times the multiplier.
A unit is classed by where it sits against these limits (proportions), or by whether its own
interval (exact below 10 events, Byars from 10) excludes the baseline (rates and ratios),
as the package's assign_funnel_significance does.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
from scipy.special import gdtrib

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.intervals import ConfidenceLimits, poisson_limits, z_value

Statistic = Literal["proportion", "rate", "ratio"]
FUNNEL_LEVELS = (0.95, 0.998)


class FunnelSignificance(StrEnum):
    """Where a unit falls; "above_95" is outside the 95% but inside the 99.8% limit."""

    WITHIN = "within"
    ABOVE_95 = "above_95"
    ABOVE_99_8 = "above_99_8"
    BELOW_95 = "below_95"
    BELOW_99_8 = "below_99_8"


@dataclass(frozen=True, slots=True)
class FunnelLimit:
    """Control limits at one denominator, on the multiplier scale."""

    denominator: float
    baseline: float
    limits: tuple[ConfidenceLimits, ...]

    def at(self, level: float) -> ConfidenceLimits:
        """The limits at one of the requested confidence levels."""
        return next(limit for limit in self.limits if limit.level == level)


@dataclass(frozen=True, slots=True)
class FunnelUnit:
    """A unit to place on the funnel: events (or cases) over population (or expected)."""

    numerator: float
    denominator: float


@dataclass(frozen=True, slots=True)
class FunnelPoint:
    """A unit's value on the multiplier scale and its classification against the baseline."""

    numerator: float
    denominator: float
    value: float
    significance: FunnelSignificance


def funnel_limits(
    baseline: float,
    denominators: Sequence[float],
    *,
    statistic: Statistic,
    multiplier: float,
    confidence: Sequence[float] = FUNNEL_LEVELS,
) -> tuple[FunnelLimit, ...]:
    """Limits around `baseline` (on the multiplier scale) at each denominator."""
    scale = _checks.multiplier(multiplier)
    levels = _checks.confidence_levels(confidence)
    p = _baseline_fraction(baseline, statistic, scale)
    n = np.array([_checks.positive(d, "denominator", i) for i, d in enumerate(denominators)])
    per_level = []
    for level in levels:
        tail = (1 - level) / 2
        if statistic == "proportion":
            half_width = z_value(level) * np.sqrt(p * (1 - p) / n)
            lower, upper = np.clip(p - half_width, 0, 1), np.clip(p + half_width, 0, 1)
        else:
            expected = p * n
            # Counts whose exact upper (lower) limit equals the expected count: the control
            # limits, by the inverse of the regularised incomplete gamma in its shape.
            lower = np.maximum(gdtrib(1, 1 - tail, expected) - 1, 0) / n
            upper = gdtrib(1, tail, expected) / n
        per_level.append((level, lower * scale, upper * scale))
    points = []
    for i in range(n.size):
        limits = tuple(ConfidenceLimits(lv, float(lo[i]), float(hi[i])) for lv, lo, hi in per_level)
        points.append(FunnelLimit(denominator=float(n[i]), baseline=p * scale, limits=limits))
    return tuple(points)


def classify_units(
    units: Sequence[FunnelUnit],
    *,
    statistic: Statistic,
    multiplier: float,
    baseline: float | None = None,
) -> tuple[FunnelPoint, ...]:
    """Class each unit against `baseline` (default: pooled numerators over denominators)."""
    scale = _checks.multiplier(multiplier)
    if not units:
        raise MethodInputError(None, "units", "at least one unit is required")
    for i, unit in enumerate(units):
        _checks.count(unit.numerator, "numerator", i)
        _checks.positive(unit.denominator, "denominator", i)
        if statistic == "proportion" and unit.numerator > unit.denominator:
            raise MethodInputError(i, "numerator", "must not exceed the denominator")
    if baseline is None:
        pooled = sum(u.numerator for u in units) / sum(u.denominator for u in units)
        p = _baseline_fraction(pooled * scale, statistic, scale)
    else:
        p = _baseline_fraction(baseline, statistic, scale)
    classify = _classify_proportion if statistic == "proportion" else _classify_poisson
    return tuple(
        FunnelPoint(
            numerator=float(u.numerator),
            denominator=float(u.denominator),
            value=u.numerator / u.denominator * scale,
            significance=classify(float(u.numerator), float(u.denominator), p),
        )
        for u in units
    )


def _baseline_fraction(baseline: float, statistic: Statistic, scale: float) -> float:
    if statistic not in ("proportion", "rate", "ratio"):
        raise MethodInputError(None, "statistic", "must be proportion, rate or ratio")
    p = _checks.finite(baseline, "baseline") / scale
    if statistic == "proportion" and not 0 < p < 1:
        raise MethodInputError(None, "baseline", "must lie strictly between 0 and the multiplier")
    if statistic != "proportion" and p <= 0:
        raise MethodInputError(None, "baseline", "must be greater than zero")
    return p


def _classify_proportion(numerator: float, denominator: float, p: float) -> FunnelSignificance:
    value = numerator / denominator
    width_95, width_998 = (z_value(lv) * np.sqrt(p * (1 - p) / denominator) for lv in FUNNEL_LEVELS)
    if value < p - width_998:
        return FunnelSignificance.BELOW_99_8
    if value < p - width_95:
        return FunnelSignificance.BELOW_95
    if value > p + width_998:
        return FunnelSignificance.ABOVE_99_8
    if value > p + width_95:
        return FunnelSignificance.ABOVE_95
    return FunnelSignificance.WITHIN


def _classify_poisson(numerator: float, denominator: float, p: float) -> FunnelSignificance:
    lower_95, upper_95 = poisson_limits(numerator, 0.95)
    lower_998, upper_998 = poisson_limits(numerator, 0.998)
    if p * denominator < lower_998:
        return FunnelSignificance.ABOVE_99_8
    if p * denominator < lower_95:
        return FunnelSignificance.ABOVE_95
    if p * denominator > upper_998:
        return FunnelSignificance.BELOW_99_8
    if p * denominator > upper_95:
        return FunnelSignificance.BELOW_95
    return FunnelSignificance.WITHIN
