"""Patients, admissions, discharges, wait-lists and caseloads as sent and served."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.ward_api.bindings.schemas import BindingCommandOut
from services.ward_api.domain.length_of_stay import DischargeOutcome, Pathway, ReferralSource
from services.ward_api.domain.waitlist import Urgency

# NHS Data Dictionary ethnic category codes (2001 census categories), plus "unknown".
ETHNIC_CATEGORIES = frozenset("ABCDEFGHJKLMNPRSZ") | {"unknown"}
Sex = Literal["female", "male", "other", "unknown"]


class PatientCreate(BaseModel):
    nhs_number: str = Field(min_length=1, max_length=20, examples=["943 476 5919"])
    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    date_of_birth: date
    sex: Sex
    ethnic_category: str = Field(description="NHS ethnic category code A–Z, or unknown")
    lsoa11cd: str = Field(pattern=r"^E01[0-9]{6}$", description="LSOA (2011) of residence")
    own_device: bool
    broadband: bool
    housing_concern: bool

    @field_validator("ethnic_category")
    @classmethod
    def _ethnic(cls, value: str) -> str:
        if value not in ETHNIC_CATEGORIES:
            raise ValueError("must be an NHS ethnic category code (A–H, J–N, P, R, S, Z)")
        return value

    @field_validator("date_of_birth")
    @classmethod
    def _dob(cls, value: date) -> date:
        today = datetime.now(UTC).date()
        if value > today or value.year < today.year - 130:
            raise ValueError("date of birth must be in the past 130 years")
        return value


class PatientOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    nhs_number: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date
    sex: str
    ethnic_category: str
    lsoa11cd: str
    own_device: bool
    broadband: bool
    housing_concern: bool


class DeviceIn(BaseModel):
    vendor_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    device_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    expected_interval_minutes: int = Field(240, ge=1, le=10_080)


class AdmissionRequest(BaseModel):
    patient_id: uuid.UUID
    ward_id: uuid.UUID
    pathway: Pathway
    referral_source: ReferralSource
    urgency: Urgency = Urgency.URGENT
    referred_at: datetime | None = Field(
        None, description="Default: the admission time. Not in the future (5 min skew allowed)."
    )
    admitted_at: datetime | None = Field(
        None,
        description="When the patient was admitted, for an admission recorded late (default: "
        "now). Not in the future beyond 5 min of clock skew, nor before referred_at. The bed "
        "must have been free since then: see 409 `bed-not-free-since`.",
    )
    device: DeviceIn | None = None

    @field_validator("referred_at", "admitted_at")
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{info.field_name} needs a time zone")
        return value


class BindingStatus(StrEnum):
    """Where the admission's device binding stands (the outbox delivers in the background)."""

    NONE = "none"  # no device
    PENDING = "pending"  # bind queued or being retried
    BOUND = "bound"
    FAILED = "failed"  # monitoring_ingest refused the bind (e.g. device bound elsewhere)
    UNBIND_PENDING = "unbind_pending"  # discharged; unbind queued or being retried
    UNBOUND = "unbound"  # readings_expected/received are monitoring_ingest's final count
    UNBIND_FAILED = "unbind_failed"  # monitoring_ingest refused the unbind


class AdmissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    ward_id: uuid.UUID
    bed_number: int
    pathway: str
    referral_source: str
    urgency: str
    referred_at: datetime
    admitted_at: datetime
    recorded_at: datetime = Field(
        description="When the admission was entered; later than admitted_at if recorded late"
    )
    discharged_at: datetime | None
    outcome: str | None
    length_of_stay_days: int | None
    day_of_stay: int = 0
    long_stay: bool = False
    device_vendor_id: str | None
    device_id: str | None
    binding_status: BindingStatus
    binding_detail: str | None
    binding_commands: list[BindingCommandOut] = Field(
        default_factory=list, description="Bind/unbind deliveries to monitoring_ingest"
    )
    readings_expected: int
    readings_received: int


class DischargeRequest(BaseModel):
    outcome: DischargeOutcome
    discharged_at: datetime | None = Field(None, description="Default: now")

    @field_validator("discharged_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("discharged_at needs a time zone")
        return value


class DischargeOut(BaseModel):
    admission: AdmissionOut
    admitted_from_waitlist: AdmissionOut | None = Field(
        None, description="The wait-list head, admitted into the freed bed"
    )


class WaitlistEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    id: uuid.UUID
    patient_id: uuid.UUID
    ward_id: uuid.UUID
    pathway: str
    urgency: str
    referred_at: datetime
    core20: bool


class CaseloadItem(BaseModel):
    admission_id: uuid.UUID
    patient_id: uuid.UUID
    bed_number: int
    pathway: str
    day_of_stay: int
    long_stay: bool
    news2_score: int | None = Field(description="NEWS2 of the latest set, if it was complete.")
    news2_at_least: int | None = Field(
        description="The latest set's known parameters' sum: its NEWS2, or at least that much "
        "when incomplete."
    )
    news2_complete: bool | None = Field(description="Whether the latest set was complete.")
    risk: str | None = Field(
        description="NEWS2 risk; an incomplete set is banded by its lower bound once that "
        "reaches a trigger, else null (unknown, never low)."
    )
    last_reading_at: datetime | None
    minutes_since_last_reading: int | None
    open_alerts: int
    binding_status: str


class Caseload(BaseModel):
    ward_id: uuid.UUID
    vitals_available: bool
    vitals_note: str | None
    items: list[CaseloadItem]
