"""Virtual-ward capacity per area against NHS England's 40–50 beds per 100,000 ambition.

All arithmetic is exact (``Decimal`` for rates and money, integers for beds) so that every
figure agrees with a hand calculation; rounding happens only when a figure is presented, with
``round_half_up`` (the rule NHS England's spreadsheets use, see ``sitrep``).
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction

__all__ = [
    "BAND_LOWER",
    "BAND_UPPER",
    "DEFAULT_COST_PER_BED",
    "OCCUPANCY_TARGET_PCT",
    "PER_POPULATION",
    "AreaCapacity",
    "BandStatus",
    "Denominator",
    "PopulationBasis",
    "assess_capacity",
    "band_status",
    "beds_per_100k",
    "beds_short_of",
    "occupancy_pct",
    "round_half_up",
    "shortfall_cost",
]

PER_POPULATION = 100_000
BAND_LOWER = Decimal(40)
BAND_UPPER = Decimal(50)
DEFAULT_COST_PER_BED = Decimal(17_900)  # GBP per new virtual bed: seed implementation estimate
OCCUPANCY_TARGET_PCT = Decimal(80)  # operational framework: consistently above 80%


class PopulationBasis(StrEnum):
    """Which population a per-100k rate is divided by."""

    GP_REGISTERED_16_PLUS = "gp_registered_16_plus"
    GP_REGISTERED_ALL_AGES = "gp_registered_all_ages"
    ONS_MID_YEAR = "ons_mid_year"


class BandStatus(StrEnum):
    """Where a beds-per-100k rate sits against the 40–50 band (bounds inclusive)."""

    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Denominator:
    """A population count with its basis and the date it describes (rates change with both)."""

    population: int
    basis: PopulationBasis
    effective: date
    source: str = ""

    def __post_init__(self) -> None:
        if self.population <= 0:
            raise ValueError(f"population must be positive, got {self.population}")

    @property
    def vintage(self) -> int:
        """Year the count describes, e.g. 2019 for ONS mid-2019 estimates."""
        return self.effective.year


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round to ``places`` decimals, halves away from zero (spreadsheet ROUND)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def beds_per_100k(beds: int, population: int) -> Decimal:
    """Exact beds per 100,000 population (Decimal, 28 significant digits)."""
    if beds < 0:
        raise ValueError(f"beds must be non-negative, got {beds}")
    if population <= 0:
        raise ValueError(f"population must be positive, got {population}")
    return Decimal(beds) * PER_POPULATION / Decimal(population)


def band_status(
    rate: Decimal, lower: Decimal = BAND_LOWER, upper: Decimal = BAND_UPPER
) -> BandStatus:
    """Classify an unrounded rate: 40 and 50 themselves are within the band."""
    if rate < lower:
        return BandStatus.BELOW
    if rate > upper:
        return BandStatus.ABOVE
    return BandStatus.WITHIN


def beds_short_of(target: Decimal, beds: int, population: int) -> int:
    """Fewest whole extra beds that bring the rate to at least ``target`` per 100k (0 if met).

    Rounded up, so for 50 the area usually lands a fraction above 50; the planner, which never
    takes an area above 50, stops one bed earlier unless 50 per 100k is a whole number of beds.
    """
    if population <= 0:
        raise ValueError(f"population must be positive, got {population}")
    needed = math.ceil(Fraction(target) * population / PER_POPULATION)
    return max(0, needed - beds)


def occupancy_pct(patients: int, beds: int) -> Decimal | None:
    """Exact patients ÷ beds × 100; None when there are no beds. May exceed 100."""
    if patients < 0 or beds < 0:
        raise ValueError("patients and beds must be non-negative")
    if beds == 0:
        return None
    return Decimal(patients) * 100 / Decimal(beds)


def shortfall_cost(beds: int, cost_per_bed: Decimal = DEFAULT_COST_PER_BED) -> Decimal:
    """Cost in GBP of ``beds`` new beds at ``cost_per_bed`` each."""
    if cost_per_bed < 0:
        raise ValueError(f"cost per bed must be non-negative, got {cost_per_bed}")
    return Decimal(beds) * cost_per_bed


@dataclass(frozen=True, slots=True)
class AreaCapacity:
    """One area's capacity figures, exact; use ``round_half_up`` to present them."""

    code: str
    beds: int
    denominator: Denominator
    per_100k: Decimal
    status: BandStatus
    short_of_lower: int
    short_of_upper: int
    cost_to_lower: Decimal
    cost_to_upper: Decimal
    cost_per_bed: Decimal
    patients: int | None
    occupancy_pct: Decimal | None

    @property
    def meets_occupancy_target(self) -> bool | None:
        """True when occupancy is above 80%; None when it cannot be computed."""
        if self.occupancy_pct is None:
            return None
        return self.occupancy_pct > OCCUPANCY_TARGET_PCT


def assess_capacity(
    code: str,
    beds: int,
    denominator: Denominator,
    *,
    patients: int | None = None,
    cost_per_bed: Decimal = DEFAULT_COST_PER_BED,
) -> AreaCapacity:
    """Compute rate, band status, shortfalls to 40 and 50, their cost and occupancy for an area."""
    population = denominator.population
    rate = beds_per_100k(beds, population)
    to_lower = beds_short_of(BAND_LOWER, beds, population)
    to_upper = beds_short_of(BAND_UPPER, beds, population)
    return AreaCapacity(
        code=code,
        beds=beds,
        denominator=denominator,
        per_100k=rate,
        status=band_status(rate),
        short_of_lower=to_lower,
        short_of_upper=to_upper,
        cost_to_lower=shortfall_cost(to_lower, cost_per_bed),
        cost_to_upper=shortfall_cost(to_upper, cost_per_bed),
        cost_per_bed=cost_per_bed,
        patients=patients,
        occupancy_pct=None if patients is None else occupancy_pct(patients, beds),
    )
