"""Per-patient alert thresholds set by clinicians, e.g. SpO2 below 88 % for COPD."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.monitoring_ingest.domain.canonical import CanonicalReading, Measure
from services.monitoring_ingest.domain.normalise import CANONICAL_UNIT, PLAUSIBLE_RANGE

__all__ = ["Breach", "Direction", "ThresholdRule", "breaches"]


class Direction(StrEnum):
    """Which side of the limit is alarming."""

    BELOW = "below"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """Alert when a measure goes below/above a limit given in its canonical unit."""

    rule_id: str
    measure: Measure
    direction: Direction
    limit: float
    inclusive: bool = False  # True: reaching the limit is already a breach
    description: str = ""

    def __post_init__(self) -> None:
        if self.measure not in PLAUSIBLE_RANGE:
            raise ValueError(f"{self.measure} is not numeric; thresholds need a quantity")
        if not math.isfinite(self.limit):
            raise ValueError("limit must be finite")

    @property
    def unit(self) -> str:
        """The canonical UCUM unit the limit is expressed in."""
        return CANONICAL_UNIT[self.measure]

    def is_breached_by(self, value: float) -> bool:
        """Whether `value` (canonical unit) is on the alarming side of the limit."""
        if self.direction is Direction.BELOW:
            return value <= self.limit if self.inclusive else value < self.limit
        return value >= self.limit if self.inclusive else value > self.limit


@dataclass(frozen=True, slots=True)
class Breach:
    """A reading that crossed a patient's threshold rule."""

    rule: ThresholdRule
    reading: CanonicalReading
    detail: str


def breaches(reading: CanonicalReading, rules: Iterable[ThresholdRule]) -> list[Breach]:
    """Every rule the reading breaches, in rule order."""
    measure = reading.measure
    found = []
    for rule in rules:
        if rule.measure is measure and rule.is_breached_by(reading.value):
            relation = {
                (Direction.BELOW, False): "below",
                (Direction.BELOW, True): "at or below",
                (Direction.ABOVE, False): "above",
                (Direction.ABOVE, True): "at or above",
            }[rule.direction, rule.inclusive]
            detail = f"{measure} {reading.value:g} {rule.unit} is {relation} {rule.limit:g}"
            found.append(Breach(rule, reading, detail))
    return found
