"""Proportions with Wilson score limits, as PHEindicatormethods' phe_proportion."""

from collections.abc import Sequence
from dataclasses import dataclass

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.intervals import ConfidenceLimits, wilson_limits
from services.equity_audit.methods.rates import DEFAULT_LEVELS


@dataclass(frozen=True, slots=True)
class ProportionResult:
    """numerator / denominator times `multiplier` (1 for a fraction, 100 for a percentage)."""

    numerator: float
    denominator: float
    multiplier: float
    estimate: float
    limits: tuple[ConfidenceLimits, ...]
    method: str = "Wilson"

    def at(self, level: float) -> ConfidenceLimits:
        """The limits at one of the requested confidence levels."""
        return next(limit for limit in self.limits if limit.level == level)


def proportion(
    numerator: float,
    denominator: float,
    *,
    multiplier: float = 1,
    confidence: Sequence[float] = DEFAULT_LEVELS,
) -> ProportionResult:
    """Proportion of `denominator` cases that are in `numerator`, with Wilson limits."""
    cases = _checks.count(numerator, "numerator")
    total = _checks.positive(denominator, "denominator")
    if cases > total:
        raise MethodInputError(None, "numerator", "must not exceed the denominator")
    scale = _checks.multiplier(multiplier)
    limits = []
    for level in _checks.confidence_levels(confidence):
        lower, upper = wilson_limits(cases, total, level)
        limits.append(ConfidenceLimits(level, lower * scale, upper * scale))
    return ProportionResult(
        numerator=cases,
        denominator=total,
        multiplier=float(multiplier),
        estimate=cases / total * scale,
        limits=tuple(limits),
    )
