"""How long a patient's readings may stop before they are missed: RCP Chart 4 frequencies.

Chart 4 sets a minimum frequency of observation by the latest NEWS2:
- aggregate 0: minimum 12-hourly;
- 1-4: minimum 4-6-hourly. We use 4 hours: the chart's figure is a minimum frequency, and in
  a home setting nobody is at the bedside to notice sooner, so the stricter end is the safe
  reading (the registered nurse may set a plan with a longer interval; see below);
- a single parameter scoring 3, or 5-6: minimum hourly;
- 7 or more: continuous monitoring. A home device cannot be watched continuously, so
  "continuous" is a setting (`pacing_continuous_minutes`, default 15): a continuously worn
  device that sends nothing for that long has stopped.
An incomplete set counts by its lower bound once that reaches a trigger (domain.news2), since
the complete set would be at least as high; below every trigger its band is unknown, and so is
that of an admission with no set yet: the device's own interval applies, with the
`missed_readings_factor` allowance it has always had for a device's jitter.

A band's interval (and a plan's) is itself the allowance: readings are missed as soon as a
silence is longer than it, so a patient at NEWS2 6 whose readings stop is flagged within the
hour. A clinician's monitoring plan for the admission (recorded with who, why and when)
overrides the band until it is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.monitoring_ingest.domain.news2 import Trigger, trigger_of

__all__ = ["FOUR_HOURLY", "HOURLY", "TWELVE_HOURLY", "Band", "Pacing", "band_of", "pace"]


@dataclass(frozen=True, slots=True)
class Band:
    """A Chart 4 row's minimum frequency of observation."""

    scores: str  # the NEWS2 that reach it, as the chart words it
    frequency: str
    minutes: int

    @property
    def label(self) -> str:
        return f"NEWS2 {self.scores} band ({self.frequency})"


TWELVE_HOURLY = Band("0", "12-hourly", 12 * 60)
FOUR_HOURLY = Band("1-4", "4-hourly", 4 * 60)
HOURLY = Band("5-6 or a single 3", "hourly", 60)


def band_of(
    lower_bound: int, *, red_score: bool, complete: bool, continuous_minutes: int
) -> Band | None:
    """The band of a scored set (its lower bound if incomplete); None when unknown."""
    trigger = trigger_of(lower_bound, red_score=red_score, complete=complete)
    if trigger is None:
        return None
    if trigger is Trigger.EMERGENCY:
        return Band("7+", f"continuous: every {continuous_minutes} minutes", continuous_minutes)
    if trigger in (Trigger.URGENT, Trigger.SINGLE_RED_SCORE):
        return HOURLY
    return FOUR_HOURLY if trigger is Trigger.LOW else TWELVE_HOURLY


@dataclass(frozen=True, slots=True)
class Pacing:
    """The expected interval between readings, the silence allowed, and what set them."""

    expected_minutes: float
    allowed_minutes: float
    paced_by: str

    def detail(self, silent_minutes: int) -> str:
        """The missed-readings alert's text (no identifiers, no clinician's free text)."""
        return (
            f"no readings for {silent_minutes} minutes; expected every "
            f"{self.expected_minutes:g} minutes, paced by the {self.paced_by}"
        )


def pace(
    *,
    lower_bound: int | None,
    complete: bool | None,
    red_score: bool | None,
    plan_minutes: int | None,
    device_minutes: int,
    missed_factor: float,
    continuous_minutes: int,
    clock_scale: float = 1.0,
) -> Pacing:
    """The plan if one is set, else the latest set's band, else the device's interval.

    `clock_scale` shrinks band and plan intervals for a demo whose clock is compressed.
    """
    if plan_minutes is not None:
        scaled = plan_minutes * clock_scale
        return Pacing(scaled, scaled, "monitoring plan")
    if lower_bound is not None:
        band = band_of(
            lower_bound,
            red_score=bool(red_score),
            complete=bool(complete),
            continuous_minutes=continuous_minutes,
        )
        if band is not None:
            scaled = band.minutes * clock_scale
            return Pacing(scaled, scaled, band.label)
    return Pacing(
        device_minutes, device_minutes * missed_factor, "device interval (NEWS2 band unknown)"
    )
