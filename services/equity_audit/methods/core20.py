"""Core20 share: how much of a service's activity comes from the most deprived 20% of areas.

Core20 areas are LSOAs in national IMD deciles 1 and 2 (NHS England, Core20PLUS5). The share
of admissions from them gets a Wilson interval; dividing by their share of the population
gives the ratio of shares (1 = proportionate). The population share is taken as known (it is
a census-based count, not a sample), so the ratio's limits are the share's limits divided by it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from services.equity_audit.methods import _checks
from services.equity_audit.methods.errors import MethodInputError
from services.equity_audit.methods.intervals import ConfidenceLimits
from services.equity_audit.methods.proportions import proportion
from services.equity_audit.methods.rates import DEFAULT_LEVELS

CORE20_DECILES = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class Core20Result:
    """Admission share and population share of Core20 areas (fractions) and their ratio."""

    core20_admissions: float
    total_admissions: float
    admission_share: float
    admission_share_limits: tuple[ConfidenceLimits, ...]
    population_share: float
    share_ratio: float
    share_ratio_limits: tuple[ConfidenceLimits, ...]


def is_core20(imd_decile: int) -> bool:
    """True for national IMD deciles 1 and 2 (most deprived 20% of LSOAs)."""
    if isinstance(imd_decile, bool) or not isinstance(imd_decile, int) or not 1 <= imd_decile <= 10:
        raise MethodInputError(None, "imd_decile", "must be a whole number from 1 to 10")
    return imd_decile in CORE20_DECILES


def core20_share(
    *,
    core20_admissions: float,
    total_admissions: float,
    core20_population: float,
    total_population: float,
    confidence: Sequence[float] = DEFAULT_LEVELS,
) -> Core20Result:
    """Core20 share of admissions against Core20 share of the population served."""
    people = _checks.count(core20_population, "core20_population")
    everyone = _checks.positive(total_population, "total_population")
    if people > everyone:
        raise MethodInputError(None, "core20_population", "must not exceed total_population")
    if people == 0:
        raise MethodInputError(None, "core20_population", "must be greater than zero")
    try:
        share = proportion(core20_admissions, total_admissions, confidence=confidence)
    except MethodInputError as error:
        field = {"numerator": "core20_admissions", "denominator": "total_admissions"}
        raise MethodInputError(None, field.get(error.field, error.field), error.reason) from None
    population_share = people / everyone
    return Core20Result(
        core20_admissions=share.numerator,
        total_admissions=share.denominator,
        admission_share=share.estimate,
        admission_share_limits=share.limits,
        population_share=population_share,
        share_ratio=share.estimate / population_share,
        share_ratio_limits=tuple(
            ConfidenceLimits(lim.level, lim.lower / population_share, lim.upper / population_share)
            for lim in share.limits
        ),
    )


def core20_share_by_decile(
    admissions: Sequence[float],
    populations: Sequence[float],
    *,
    confidence: Sequence[float] = DEFAULT_LEVELS,
) -> Core20Result:
    """core20_share from admissions and populations listed by IMD decile 1 to 10."""
    for field, values in (("admissions", admissions), ("populations", populations)):
        if len(values) != 10:
            raise MethodInputError(None, field, "one value per IMD decile (10) is required")
    counts = [_checks.count(a, "admissions", i) for i, a in enumerate(admissions)]
    people = [_checks.count(p, "populations", i) for i, p in enumerate(populations)]
    return core20_share(
        core20_admissions=counts[0] + counts[1],
        total_admissions=sum(counts),
        core20_population=people[0] + people[1],
        total_population=sum(people),
        confidence=confidence,
    )
