"""Ratio of two crude rates (e.g. most vs least deprived quintile) with confidence limits.

PHEindicatormethods has no rate-ratio function, so the method is chosen here and named in
each result:
- "Exact conditional" when either count is below 10: given the total count, the first group's
  count is binomial with p = RR*n1 / (RR*n1 + n2); Clopper-Pearson limits for p are mapped
  back to RR (Breslow NE, Day NE. Statistical methods in cancer research, vol II. IARC 1987;
  the same limits as R's poisson.test gives for two rates).
- "Log-normal" otherwise: exp(ln RR +/- z * sqrt(1/O1 + 1/O2)) (Rothman KJ, Greenland S,
  Lash TL. Modern Epidemiology, 3rd edn, 2008; Kirkwood BR, Sterne JAC. Essential Medical
  Statistics, 2nd edn, 2003).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy.stats import beta

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.intervals import SMALL_COUNT, ConfidenceLimits, z_value
from services.equity_audit.methods.rates import DEFAULT_LEVELS


@dataclass(frozen=True, slots=True)
class RateRatioResult:
    """Rate in the index group over rate in the comparator; None, with a reason, if undefined."""

    index_count: float
    index_denominator: float
    comparator_count: float
    comparator_denominator: float
    estimate: float | None
    limits: tuple[ConfidenceLimits, ...]
    method: str
    reason: str | None = None

    def at(self, level: float) -> ConfidenceLimits:
        """The limits at one of the requested confidence levels."""
        return next(limit for limit in self.limits if limit.level == level)


def rate_ratio(
    index_count: float,
    index_denominator: float,
    comparator_count: float,
    comparator_denominator: float,
    *,
    confidence: Sequence[float] = DEFAULT_LEVELS,
    method: Literal["auto", "exact", "log-normal"] = "auto",
) -> RateRatioResult:
    """(index_count / index_denominator) / (comparator_count / comparator_denominator)."""
    o1 = _checks.count(index_count, "index_count")
    n1 = _checks.positive(index_denominator, "index_denominator")
    o2 = _checks.count(comparator_count, "comparator_count")
    n2 = _checks.positive(comparator_denominator, "comparator_denominator")
    levels = _checks.confidence_levels(confidence)
    if method not in ("auto", "exact", "log-normal"):
        raise MethodInputError(None, "method", "must be auto, exact or log-normal")
    exact = method == "exact" or (method == "auto" and min(o1, o2) < SMALL_COUNT)
    name = "Exact conditional" if exact else "Log-normal"
    if o2 == 0 or (o1 == 0 and not exact):
        reason = "comparator count is zero" if o2 == 0 else "index count is zero"
        return RateRatioResult(o1, n1, o2, n2, None, (), name, reason)
    estimate = (o1 / n1) / (o2 / n2)
    limits = []
    for level in levels:
        if exact:
            lower, upper = _exact(o1, o2, n1, n2, level)
        else:
            lower, upper = _log_normal(estimate, o1, o2, level)
        limits.append(ConfidenceLimits(level, lower, upper))
    return RateRatioResult(o1, n1, o2, n2, estimate, tuple(limits), name)


def _log_normal(estimate: float, o1: float, o2: float, level: float) -> tuple[float, float]:
    half_width = z_value(level) * math.sqrt(1 / o1 + 1 / o2)
    return estimate * math.exp(-half_width), estimate * math.exp(half_width)


def _exact(o1: float, o2: float, n1: float, n2: float, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    p_lower = float(beta.ppf(tail, o1, o2 + 1)) if o1 > 0 else 0.0
    p_upper = float(beta.ppf(1 - tail, o1 + 1, o2))
    return p_lower / (1 - p_lower) * n2 / n1, p_upper / (1 - p_upper) * n2 / n1
