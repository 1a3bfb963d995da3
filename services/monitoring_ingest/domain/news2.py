"""NEWS2 scoring, exactly as the Royal College of Physicians' 2017 charts define it.

Source: Royal College of Physicians. National Early Warning Score (NEWS) 2:
Standardising the assessment of acute-illness severity in the NHS. London: RCP, 2017.
Chart 1 (scoring system), Chart 3 (thresholds and triggers), Chart 4 (clinical response).

The chart's bands are whole numbers (0.1 °C for temperature), so each value is first
rounded half-up to that resolution, as it would be when charted.

A set missing any of the seven parameters gets no aggregate score: a missing value is never
scored as normal. But every parameter scores at least 0, so the sum of the parameters that
were observed is a lower bound on the aggregate the complete set would have ("at least N,
incomplete"). An incomplete set is therefore banded by that lower bound as soon as it reaches
a Chart 3 trigger on its own: at least 7 is high, at least 5 medium, any single parameter
scoring 3 low-medium. Below those its risk is unknown (band None), never low: only a complete
set can be low risk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum, StrEnum

from services.monitoring_ingest.domain.canonical import Acvpu

__all__ = [
    "CLINICAL_RESPONSES",
    "ClinicalResponse",
    "News2Result",
    "ObservationSet",
    "Parameter",
    "RiskBand",
    "SpO2Scale",
    "Trigger",
    "score",
    "score_air_or_oxygen",
    "score_consciousness",
    "score_pulse",
    "score_respiration_rate",
    "score_spo2_scale_1",
    "score_spo2_scale_2",
    "score_systolic_bp",
    "score_temperature",
    "trigger_of",
]


class SpO2Scale(IntEnum):
    """Scale 2 only when a clinician has set it, for hypercapnic respiratory failure."""

    SCALE_1 = 1
    SCALE_2 = 2


class Parameter(StrEnum):
    """The seven NEWS2 parameters, in chart order."""

    RESPIRATION_RATE = "respiration_rate"
    OXYGEN_SATURATION = "oxygen_saturation"
    AIR_OR_OXYGEN = "air_or_oxygen"
    SYSTOLIC_BP = "systolic_bp"
    PULSE = "pulse"
    CONSCIOUSNESS = "consciousness"
    TEMPERATURE = "temperature"


@dataclass(frozen=True, slots=True)
class ObservationSet:
    """One set of observations; None means the parameter was not observed."""

    respiration_rate: float | None = None  # per minute
    spo2: float | None = None  # %
    on_oxygen: bool | None = None
    systolic_bp: float | None = None  # mmHg
    pulse: float | None = None  # per minute
    consciousness: Acvpu | None = None
    temperature: float | None = None  # °C


class RiskBand(StrEnum):
    """Chart 3 clinical risk."""

    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"


class Trigger(StrEnum):
    """Chart 4 rows: which threshold the set reached."""

    ROUTINE = "aggregate_0"
    LOW = "aggregate_1_to_4"
    SINGLE_RED_SCORE = "single_parameter_3"
    URGENT = "aggregate_5_or_more"
    EMERGENCY = "aggregate_7_or_more"


@dataclass(frozen=True, slots=True)
class ClinicalResponse:
    """What Chart 4 asks of the team at one trigger threshold."""

    trigger: Trigger
    band: RiskBand
    monitoring: str
    actions: tuple[str, ...]


CLINICAL_RESPONSES: dict[Trigger, ClinicalResponse] = {
    Trigger.ROUTINE: ClinicalResponse(
        Trigger.ROUTINE,
        RiskBand.LOW,
        "Minimum 12-hourly",
        ("Continue routine NEWS monitoring.",),
    ),
    Trigger.LOW: ClinicalResponse(
        Trigger.LOW,
        RiskBand.LOW,
        "Minimum 4-6-hourly",
        (
            "Inform a registered nurse, who must assess the patient.",
            "The registered nurse decides whether monitoring should be more frequent "
            "and/or care escalated.",
        ),
    ),
    Trigger.SINGLE_RED_SCORE: ClinicalResponse(
        Trigger.SINGLE_RED_SCORE,
        RiskBand.LOW_MEDIUM,
        "Minimum 1-hourly",
        (
            "The registered nurse informs the medical team caring for the patient, who "
            "review and decide whether care needs escalating.",
        ),
    ),
    Trigger.URGENT: ClinicalResponse(
        Trigger.URGENT,
        RiskBand.MEDIUM,
        "Minimum 1-hourly",
        (
            "Urgent response threshold.",
            "The registered nurse immediately informs the medical team caring for the patient.",
            "The registered nurse requests urgent assessment by a clinician or team with "
            "core competencies in the care of acutely ill patients.",
            "Provide clinical care in an environment with monitoring facilities.",
        ),
    ),
    Trigger.EMERGENCY: ClinicalResponse(
        Trigger.EMERGENCY,
        RiskBand.HIGH,
        "Continuous monitoring of vital signs",
        (
            "Emergency response threshold.",
            "The registered nurse immediately informs the medical team caring for the "
            "patient, at least at specialist registrar level.",
            "Emergency assessment by a team with critical care competencies, including "
            "practitioner(s) with advanced airway management skills.",
            "Consider transfer of care to a level 2 or 3 clinical care facility "
            "(higher-dependency unit or ICU).",
            "Clinical care in an environment with monitoring facilities.",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class News2Result:
    """Scores for one observation set: aggregate only when complete, response when known."""

    scale: SpO2Scale
    parameter_scores: dict[Parameter, int]
    missing: tuple[Parameter, ...]
    aggregate: int | None
    red_score: bool  # any single parameter scoring 3, even in an incomplete set
    response: ClinicalResponse | None  # for an incomplete set, only once a trigger is reached
    lower_bound: int  # sum of the scored parameters: the aggregate, or at least it

    @property
    def complete(self) -> bool:
        """Whether all seven parameters were present."""
        return not self.missing

    @property
    def band(self) -> RiskBand | None:
        """Chart 3 clinical risk; None for an incomplete set that reaches no trigger yet."""
        return self.response.band if self.response else None


# (inclusive upper bound, score) after rounding; Chart 1.
_RESPIRATION_RATE = ((8, 3), (11, 1), (20, 0), (24, 2), (math.inf, 3))
_SPO2_SCALE_1 = ((91, 3), (93, 2), (95, 1), (math.inf, 0))
_SYSTOLIC_BP = ((90, 3), (100, 2), (110, 1), (219, 0), (math.inf, 3))
_PULSE = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (math.inf, 3))
_TEMPERATURE = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (math.inf, 2))


def _charted(value: float, places: int = 0) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _lookup(value: float, bands: tuple[tuple[float, int], ...]) -> int:
    return next(points for upper, points in bands if value <= upper)


def score_respiration_rate(per_minute: float) -> int:
    """Chart 1 respiration rate score."""
    return _lookup(_charted(per_minute), _RESPIRATION_RATE)


def score_spo2_scale_1(percent: float) -> int:
    """Chart 1 SpO2 scale 1 score."""
    return _lookup(_charted(percent), _SPO2_SCALE_1)


def score_spo2_scale_2(percent: float, *, on_oxygen: bool) -> int:
    """Chart 1 SpO2 scale 2 score: 88-92 % scores 0, and so does >=93 % on air."""
    spo2 = _charted(percent)
    if spo2 <= 92:
        return _lookup(spo2, ((83, 3), (85, 2), (87, 1), (92, 0)))
    if not on_oxygen:
        return 0
    return _lookup(spo2, ((94, 1), (96, 2), (math.inf, 3)))


def score_air_or_oxygen(on_oxygen: bool) -> int:
    """Chart 1: supplemental oxygen scores 2, air 0."""
    return 2 if on_oxygen else 0


def score_systolic_bp(mmhg: float) -> int:
    """Chart 1 systolic blood pressure score."""
    return _lookup(_charted(mmhg), _SYSTOLIC_BP)


def score_pulse(per_minute: float) -> int:
    """Chart 1 pulse score."""
    return _lookup(_charted(per_minute), _PULSE)


def score_consciousness(level: Acvpu) -> int:
    """Chart 1: Alert scores 0; new confusion, voice, pain or unresponsive score 3."""
    return 0 if level is Acvpu.ALERT else 3


def score_temperature(celsius: float) -> int:
    """Chart 1 temperature score (bands at 0.1 °C)."""
    return _lookup(_charted(celsius, 1), _TEMPERATURE)


def score(observations: ObservationSet, *, scale: SpO2Scale = SpO2Scale.SCALE_1) -> News2Result:
    """Score a set; an incomplete one gets its lower bound and, if reached, its trigger."""
    o = observations
    present = {
        Parameter.RESPIRATION_RATE: o.respiration_rate,
        Parameter.OXYGEN_SATURATION: o.spo2,
        Parameter.AIR_OR_OXYGEN: o.on_oxygen,
        Parameter.SYSTOLIC_BP: o.systolic_bp,
        Parameter.PULSE: o.pulse,
        Parameter.CONSCIOUSNESS: o.consciousness,
        Parameter.TEMPERATURE: o.temperature,
    }
    missing = tuple(parameter for parameter, value in present.items() if value is None)
    scores: dict[Parameter, int] = {}
    if o.respiration_rate is not None:
        scores[Parameter.RESPIRATION_RATE] = score_respiration_rate(o.respiration_rate)
    if o.spo2 is not None:
        if scale is SpO2Scale.SCALE_1:
            scores[Parameter.OXYGEN_SATURATION] = score_spo2_scale_1(o.spo2)
        elif o.on_oxygen is not None or _charted(o.spo2) <= 92:
            # On scale 2, at 93 % or more the score depends on air or oxygen.
            scores[Parameter.OXYGEN_SATURATION] = score_spo2_scale_2(
                o.spo2, on_oxygen=bool(o.on_oxygen)
            )
    if o.on_oxygen is not None:
        scores[Parameter.AIR_OR_OXYGEN] = score_air_or_oxygen(o.on_oxygen)
    if o.systolic_bp is not None:
        scores[Parameter.SYSTOLIC_BP] = score_systolic_bp(o.systolic_bp)
    if o.pulse is not None:
        scores[Parameter.PULSE] = score_pulse(o.pulse)
    if o.consciousness is not None:
        scores[Parameter.CONSCIOUSNESS] = score_consciousness(o.consciousness)
    if o.temperature is not None:
        scores[Parameter.TEMPERATURE] = score_temperature(o.temperature)
    red_score = 3 in scores.values()
    known = sum(scores.values())
    trigger = _trigger(known, red_score)
    if missing:
        # Low and routine need every parameter; the higher triggers hold on a lower bound.
        response = None if trigger in _NEEDS_COMPLETE else CLINICAL_RESPONSES[trigger]
        return News2Result(scale, scores, missing, None, red_score, response, known)
    return News2Result(scale, scores, (), known, red_score, CLINICAL_RESPONSES[trigger], known)


_NEEDS_COMPLETE = frozenset({Trigger.ROUTINE, Trigger.LOW})


def _trigger(aggregate: int, red_score: bool) -> Trigger:
    if aggregate >= 7:
        return Trigger.EMERGENCY
    if aggregate >= 5:
        return Trigger.URGENT
    if red_score:
        return Trigger.SINGLE_RED_SCORE
    if aggregate >= 1:
        return Trigger.LOW
    return Trigger.ROUTINE


def trigger_of(lower_bound: int, *, red_score: bool, complete: bool) -> Trigger | None:
    """The Chart 4 row a scored set reached; None for an incomplete set below every trigger."""
    trigger = _trigger(lower_bound, red_score)
    return None if not complete and trigger in _NEEDS_COMPLETE else trigger
