"""Length of stay on a virtual ward, the long-stay flag, and the coded stay vocabularies.

Length of stay is counted in calendar days as discharge date minus admission date, so a
same-day discharge is 0 days (the convention of NHS hospital spell durations). Dates are ward
local dates (Europe/London); converting timestamps to dates is the caller's job. A stay is
flagged as long once it passes 14 days, i.e. at 15 days or more.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "LONG_STAY_DAYS",
    "DischargeOutcome",
    "Pathway",
    "ReferralSource",
    "StayLength",
    "is_long_stay",
    "length_of_stay_days",
    "measure_stay",
]

LONG_STAY_DAYS = 14


class DischargeOutcome(StrEnum):
    """How a virtual-ward stay ended."""

    COMPLETED = "completed"
    ESCALATED_TO_HOSPITAL = "escalated_to_hospital"
    DIED = "died"
    SELF_DISCHARGED = "self_discharged"
    TRANSFERRED = "transferred"


class ReferralSource(StrEnum):
    """Who referred the patient to the virtual ward."""

    GP = "gp"
    ED = "ed"
    AMBULANCE = "ambulance"
    HOSPITAL_STEP_DOWN = "hospital_step_down"
    COMMUNITY = "community"
    OTHER = "other"


class Pathway(StrEnum):
    """Clinical pathway of a virtual ward."""

    ACUTE_RESPIRATORY_INFECTION = "acute_respiratory_infection"
    COVID_19 = "covid_19"
    HEART_FAILURE = "heart_failure"
    FRAILTY = "frailty"
    OTHER = "other"


def length_of_stay_days(admitted_on: date, ended_on: date) -> int:
    """Whole days from admission to discharge (or to ``ended_on`` for a patient still on ward)."""
    if ended_on < admitted_on:
        raise ValueError(f"stay ends ({ended_on}) before admission ({admitted_on})")
    return (ended_on - admitted_on).days


def is_long_stay(days: int) -> bool:
    """True past 14 days: 15 days is long, 14 is not."""
    return days > LONG_STAY_DAYS


@dataclass(frozen=True, slots=True)
class StayLength:
    """A stay's length so far or in total, and whether it is long."""

    days: int
    ongoing: bool

    @property
    def long_stay(self) -> bool:
        """Past 14 days."""
        return is_long_stay(self.days)


def measure_stay(admitted_on: date, discharged_on: date | None, *, as_of: date) -> StayLength:
    """Length of a finished stay, or of an ongoing one up to ``as_of`` (e.g. today)."""
    if discharged_on is not None:
        return StayLength(length_of_stay_days(admitted_on, discharged_on), ongoing=False)
    return StayLength(length_of_stay_days(admitted_on, as_of), ongoing=True)
