"""Virtual wards and capacity changes as created, updated and served."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.ward_api.domain.length_of_stay import Pathway

MAX_BEDS = 5000  # no virtual ward has anywhere near this; above it is a typo


class WardStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class WardCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    icb_code: str = Field(description="E54… or Q…")
    provider_ods_code: str = Field(pattern=r"^[A-Z0-9]{3,10}$")
    provider_name: str = Field(min_length=1, max_length=200)
    pathways: list[Pathway] = Field(min_length=1)
    operating_hours: str = Field("24/7", min_length=1, max_length=200)
    status: WardStatus = WardStatus.OPEN
    beds: int = Field(ge=0, le=MAX_BEDS)
    reason: str = Field("initial commissioned capacity", min_length=1, max_length=500)


class WardUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    provider_ods_code: str | None = Field(None, pattern=r"^[A-Z0-9]{3,10}$")
    provider_name: str | None = Field(None, min_length=1, max_length=200)
    pathways: list[Pathway] | None = Field(None, min_length=1)
    operating_hours: str | None = Field(None, min_length=1, max_length=200)
    status: WardStatus | None = None


class CapacityChangeIn(BaseModel):
    beds: int = Field(ge=0, le=MAX_BEDS)
    reason: str = Field(min_length=1, max_length=500)


class CapacityChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    beds: int
    previous_beds: int | None
    effective_from: datetime
    reason: str
    changed_by: str
    changed_at: datetime


class WardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    icb_code: str
    provider_ods_code: str
    provider_name: str
    pathways: list[Pathway]
    operating_hours: str
    status: WardStatus
    beds: int
    occupied: int = 0
    created_at: datetime
