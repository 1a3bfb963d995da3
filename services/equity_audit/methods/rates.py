"""Crude rates with Poisson limits, as PHEindicatormethods' phe_rate / calculate_rate."""

from collections.abc import Sequence
from dataclasses import dataclass

from services.equity_audit.methods import _checks
from services.equity_audit.methods.intervals import (
    ConfidenceLimits,
    poisson_limits,
    poisson_method,
)

DEFAULT_LEVELS = (0.95, 0.998)


@dataclass(frozen=True, slots=True)
class RateResult:
    """A rate per `multiplier` with its limits; method is "Exact" (count < 10) or "Byars"."""

    count: float
    denominator: float
    multiplier: float
    estimate: float
    limits: tuple[ConfidenceLimits, ...]
    method: str

    def at(self, level: float) -> ConfidenceLimits:
        """The limits at one of the requested confidence levels."""
        return next(limit for limit in self.limits if limit.level == level)


def rate(
    count: float,
    denominator: float,
    *,
    multiplier: float = 100_000,
    confidence: Sequence[float] = DEFAULT_LEVELS,
) -> RateResult:
    """Rate of `count` events in `denominator` (population or person-years) per `multiplier`."""
    observed = _checks.count(count, "count")
    population = _checks.positive(denominator, "denominator")
    scale = _checks.multiplier(multiplier) / population
    _checks.finite_results(
        "denominator", "is too small for the multiplier: the rate would not be finite", scale
    )
    limits = []
    for level in _checks.confidence_levels(confidence):
        lower, upper = poisson_limits(observed, level)
        limits.append(ConfidenceLimits(level, lower * scale, upper * scale))
    estimate = observed * scale
    _checks.finite_results(
        "count",
        "is too large for the denominator and multiplier: the rate or its limits would not be"
        " finite",
        estimate,
        *(x for lim in limits for x in (lim.lower, lim.upper)),
    )
    return RateResult(
        count=observed,
        denominator=population,
        multiplier=float(multiplier),
        estimate=estimate,
        limits=tuple(limits),
        method=poisson_method(observed),
    )
