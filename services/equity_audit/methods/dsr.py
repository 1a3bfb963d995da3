"""Directly standardised rates by the Dobson method, as PHEindicatormethods' calculate_dsr.

Dobson AJ et al. Confidence intervals for weighted sums of Poisson parameters.
Stat Med 1991;10:457-62. The limits for the total count are exact below 10 and Byars from
10 up, but like calculate_dsr a DSR is not reported at all when the total count is below 10.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.esp2013 import ESP2013
from services.equity_audit.methods.intervals import SMALL_COUNT, ConfidenceLimits, poisson_limits
from services.equity_audit.methods.rates import DEFAULT_LEVELS


@dataclass(frozen=True, slots=True)
class DsrResult:
    """A DSR per `multiplier`; estimate is None, with a reason, when it is not reportable."""

    total_count: float
    total_population: float
    multiplier: float
    estimate: float | None
    limits: tuple[ConfidenceLimits, ...]
    method: str = "Dobson"
    reason: str | None = None

    def at(self, level: float) -> ConfidenceLimits:
        """The limits at one of the requested confidence levels."""
        return next(limit for limit in self.limits if limit.level == level)


def directly_standardised_rate(
    counts: Sequence[float],
    populations: Sequence[float],
    *,
    standard_population: Sequence[float] = ESP2013,
    multiplier: float = 100_000,
    confidence: Sequence[float] = DEFAULT_LEVELS,
) -> DsrResult:
    """DSR from events and populations per standardisation band (ESP2013 order by default)."""
    if not len(counts) == len(populations) == len(standard_population):
        raise MethodInputError(
            None,
            "counts",
            f"counts ({len(counts)}), populations ({len(populations)}) and standard population"
            f" ({len(standard_population)}) must have one entry per band",
        )
    observed = [_checks.count(c, "count", i) for i, c in enumerate(counts)]
    people = [_checks.positive(n, "population", i) for i, n in enumerate(populations)]
    weights = [
        _checks.positive(w, "standard_population", i) for i, w in enumerate(standard_population)
    ]
    scale = _checks.multiplier(multiplier)
    levels = _checks.confidence_levels(confidence)

    total = math.fsum(observed)
    total_population = math.fsum(people)
    if total < SMALL_COUNT:
        return DsrResult(
            total_count=total,
            total_population=total_population,
            multiplier=scale,
            estimate=None,
            limits=(),
            reason=f"total count {total:g} is below {SMALL_COUNT}",
        )

    weight_sum = math.fsum(weights)
    bands = list(zip(observed, weights, people, strict=True))
    value = math.fsum(o * w / n for o, w, n in bands) / weight_sum
    variance = math.fsum(o * (w / n) ** 2 for o, w, n in bands) / weight_sum**2
    # Dobson: scale the count's limits by the DSR's standard error per unit count.
    per_event = math.sqrt(variance / total)
    limits = []
    for level in levels:
        lower, upper = poisson_limits(total, level)
        limits.append(
            ConfidenceLimits(
                level,
                (value + per_event * (lower - total)) * scale,
                (value + per_event * (upper - total)) * scale,
            )
        )
    return DsrResult(
        total_count=total,
        total_population=total_population,
        multiplier=scale,
        estimate=value * scale,
        limits=tuple(limits),
    )
