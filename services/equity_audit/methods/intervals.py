"""Confidence limits for counts and proportions as PHEindicatormethods computes them.

Byars: Breslow NE, Day NE. Statistical methods in cancer research, vol II. IARC; 1987.
Exact Poisson (chi-square form): Armitage P, Berry G. Statistical methods in medical research.
Wilson: Wilson EB. J Am Stat Assoc 1927;22:209-12; Newcombe RG. Stat Med 1998;17:857-72.
"""

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri
from scipy.stats import chi2

SMALL_COUNT = 10
"""Counts below this use the exact Poisson limits; at or above, Byars' approximation."""


@dataclass(frozen=True, slots=True)
class ConfidenceLimits:
    """Lower and upper limits at one confidence level (0.95 = 95%)."""

    level: float
    lower: float
    upper: float


def z_value(level: float) -> float:
    """Two-sided standard normal critical value, e.g. 1.959964 for 0.95."""
    return float(ndtri(level + (1 - level) / 2))


def byars_lower(observed: ArrayLike, level: float) -> NDArray[np.float64]:
    """Byars' lower limit for a Poisson count (inf, not a warning, past the float range)."""
    o = np.asarray(observed, dtype=float)
    with np.errstate(over="ignore"):
        return np.asarray(o * (1 - 1 / 9 / o - z_value(level) / (3 * np.sqrt(o))) ** 3)


def byars_upper(observed: ArrayLike, level: float) -> NDArray[np.float64]:
    """Byars' upper limit for a Poisson count (inf, not a warning, past the float range)."""
    with np.errstate(over="ignore"):
        o1 = np.asarray(observed, dtype=float) + 1
        return np.asarray(o1 * (1 - 1 / 9 / o1 + z_value(level) / (3 * np.sqrt(o1))) ** 3)


def exact_lower(observed: ArrayLike, level: float) -> NDArray[np.float64]:
    """Exact Poisson lower limit, chi-square quantile on 2x degrees of freedom, halved."""
    o = np.asarray(observed, dtype=float)
    safe = np.where(o > 0, o, 1.0)
    return np.where(o > 0, chi2.ppf((1 - level) / 2, 2 * safe) / 2, 0.0)


def exact_upper(observed: ArrayLike, level: float) -> NDArray[np.float64]:
    """Exact Poisson upper limit, chi-square quantile on 2x + 2 degrees of freedom, halved."""
    o = np.asarray(observed, dtype=float)
    return np.asarray(chi2.ppf(level + (1 - level) / 2, 2 * o + 2) / 2, dtype=np.float64)


def poisson_limits(observed: float, level: float) -> tuple[float, float]:
    """Limits for a count: exact below SMALL_COUNT, Byars from SMALL_COUNT up."""
    if observed < SMALL_COUNT:
        return float(exact_lower(observed, level)), float(exact_upper(observed, level))
    return float(byars_lower(observed, level)), float(byars_upper(observed, level))


def poisson_method(observed: float) -> str:
    """Name of the method poisson_limits uses for this count."""
    return "Exact" if observed < SMALL_COUNT else "Byars"


def wilson_limits(numerator: float, denominator: float, level: float) -> tuple[float, float]:
    """Wilson score limits for a proportion numerator / denominator (numerator <= denominator).

    (2x + z^2 +/- z sqrt(z^2 + 4x(1 - x/n))) / 2(n + z^2) is homogeneous in (x, n, z^2), so
    large inputs are first divided by a power of four: exact, so the limits are unchanged
    bit for bit, and no intermediate can leave the float range.
    """
    z = z_value(level)
    _, exponent = math.frexp(denominator)
    halvings = max(0, (exponent + 1) // 2)  # 4**halvings >= denominator
    x = math.ldexp(numerator, -2 * halvings)
    n = math.ldexp(denominator, -2 * halvings)
    z = math.ldexp(z, -halvings)
    spread = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    centre = 2 * x + z * z
    scale = 2 * (n + z * z)
    return (centre - spread) / scale, (centre + spread) / scale
