"""Form one NEWS2 observation set from the readings taken close together.

Which readings belong together is decided over the admission's whole history, whatever the
order they arrived in, by scoring.engine (sets open at the earliest reading not yet in a set
and run one window on); this module turns one such group into the set NEWS2 scores.
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

__all__ = ["DEFAULT_WINDOW", "FormedSet", "form_observation_set"]

DEFAULT_WINDOW = timedelta(minutes=15)

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


def _on_oxygen(reading: CanonicalReading) -> bool:
    if reading.measure is Measure.SUPPLEMENTAL_OXYGEN:
        return reading.code_value == "true"
    if reading.measure is Measure.INHALED_O2_FLOW:
        return reading.value > 0
    return reading.value > _ROOM_AIR_PERCENT
