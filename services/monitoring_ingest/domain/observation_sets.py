"""NEWS2 observation sets: where they end, and what each holds.

The rule is a function of an admission's NEWS2 readings alone, so it gives the same sets
whatever order the readings arrive in (scoring.engine carries it out in SQL):
- **Where sets end.** At every reading followed by no other NEWS2 reading within the round
  gap (`ROUND_GAP`, two minutes by default): the end of a round, however its devices synced.
  And, where readings have run with no such pause for a whole window (a wearable streaming),
  also at the last reading before each boundary of the clock's round-gap grid, so a stream is
  scored every round gap and a round taken while it streams is still seen whole.
- **What a set holds.** The latest value of each parameter in the window (`DEFAULT_WINDOW`,
  15 minutes) ending there, inclusive at both ends (`form_observation_set`).
A reading can only change the sets ending from one round gap before it to a window and a
gap after it (`affected_spans`), so a late reading re-scores its neighbours, nothing further.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.monitoring_ingest.domain.canonical import (
    MEASURE_BY_CODE,
    Acvpu,
    CanonicalReading,
    Measure,
)
from services.monitoring_ingest.domain.news2 import ObservationSet, Parameter

__all__ = ["DEFAULT_WINDOW", "ROUND_GAP", "FormedSet", "affected_spans", "form_observation_set"]

DEFAULT_WINDOW = timedelta(minutes=15)
ROUND_GAP = timedelta(minutes=2)

_PARAMETER_BY_MEASURE = {
    Measure.RESPIRATORY_RATE: Parameter.RESPIRATION_RATE,
    Measure.SPO2: Parameter.OXYGEN_SATURATION,
    Measure.SUPPLEMENTAL_OXYGEN: Parameter.AIR_OR_OXYGEN,
    Measure.INHALED_O2_FLOW: Parameter.AIR_OR_OXYGEN,
    Measure.INHALED_O2_CONCENTRATION: Parameter.AIR_OR_OXYGEN,
    Measure.SYSTOLIC_BP: Parameter.SYSTOLIC_BP,
    Measure.HEART_RATE: Parameter.PULSE,
    Measure.CONSCIOUSNESS: Parameter.CONSCIOUSNESS,
    Measure.BODY_TEMPERATURE: Parameter.TEMPERATURE,
}
_ROOM_AIR_PERCENT = 21.0


@dataclass(frozen=True, slots=True)
class FormedSet:
    """An observation set and exactly which readings it was formed from."""

    observations: ObservationSet
    used: tuple[CanonicalReading, ...]
    window_start: datetime
    window_end: datetime


def form_observation_set(
    readings: Iterable[CanonicalReading], *, window: timedelta = DEFAULT_WINDOW
) -> FormedSet | None:
    """Latest value per NEWS2 parameter within `window` ending at the newest reading.

    Returns None when no reading bears on NEWS2. The window is inclusive at both ends.
    """
    relevant = [r for r in readings if MEASURE_BY_CODE.get(r.code) in _PARAMETER_BY_MEASURE]
    if not relevant:
        return None
    end = max(r.observed_at for r in relevant)
    start = end - window
    latest: dict[Parameter, CanonicalReading] = {}
    # Sorting by time then key makes the choice between simultaneous readings repeatable.
    for reading in sorted(relevant, key=lambda r: (r.observed_at, r.reading_key())):
        if reading.observed_at >= start:
            latest[_PARAMETER_BY_MEASURE[reading.measure]] = reading
    chosen = {parameter: latest[parameter] for parameter in Parameter if parameter in latest}

    def value(parameter: Parameter) -> float | None:
        reading = chosen.get(parameter)
        return reading.value if reading else None

    consciousness = chosen.get(Parameter.CONSCIOUSNESS)
    oxygen = chosen.get(Parameter.AIR_OR_OXYGEN)
    observations = ObservationSet(
        respiration_rate=value(Parameter.RESPIRATION_RATE),
        spo2=value(Parameter.OXYGEN_SATURATION),
        on_oxygen=None if oxygen is None else _on_oxygen(oxygen),
        systolic_bp=value(Parameter.SYSTOLIC_BP),
        pulse=value(Parameter.PULSE),
        consciousness=Acvpu(str(consciousness.code_value)) if consciousness else None,
        temperature=value(Parameter.TEMPERATURE),
    )
    return FormedSet(observations, tuple(chosen.values()), start, end)


def affected_spans(
    times: Iterable[datetime], *, window: timedelta = DEFAULT_WINDOW, gap: timedelta = ROUND_GAP
) -> list[tuple[datetime, datetime]]:
    """Where sets may end differently once readings at `times` are added or withdrawn.

    A reading at t can end a set itself, stop the reading before it (within `gap`) from
    ending one, join every set ending up to `window` after it, and, by closing a pause,
    make a stream's readings up to a gap further on end sets: [t - gap, t + window + gap].
    Overlapping spans are merged; oldest first.
    """
    spans: list[tuple[datetime, datetime]] = []
    for t in sorted(times):
        lo, hi = t - gap, t + window + gap
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans


def _on_oxygen(reading: CanonicalReading) -> bool:
    if reading.measure is Measure.SUPPLEMENTAL_OXYGEN:
        return reading.code_value == "true"
    if reading.measure is Measure.INHALED_O2_FLOW:
        return reading.value > 0
    return reading.value > _ROOM_AIR_PERCENT
