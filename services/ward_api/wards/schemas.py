"""Virtual wards and capacity changes as created, updated and served."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.ward_api.domain.capacity import PopulationBasis
from services.ward_api.domain.length_of_stay import Pathway

MAX_BEDS = 5000  # no virtual ward has anywhere near this; above it is a typo


class WardStatus(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class Catchment(BaseModel):
    """Who the ward serves: sub-ICB locations of its ICB, or a population on a named basis.

    With sub-ICB locations the population is their summed denominator at the plan's date;
    a population given outright needs its basis and the date it describes.
    """

    sub_icb_codes: list[str] | None = Field(
        None, min_length=1, max_length=50, description="E38… or ODS codes, within the ICB"
    )
    population: int | None = Field(None, gt=0, le=20_000_000)
    basis: PopulationBasis | None = None
    effective: date | None = Field(None, description="Date the population describes")
    source: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        by_area = self.sub_icb_codes is not None
        by_count = self.population is not None
        if by_area == by_count:
            raise ValueError("give either sub_icb_codes or population (with basis and effective)")
        if by_count and (self.basis is None or self.effective is None):
            raise ValueError("a catchment population needs its basis and effective date")
        if by_area and (self.basis or self.effective or self.source):
            raise ValueError("basis, effective and source go with a population, not sub-ICBs")
        return self


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
    catchment: Catchment | None = None


class WardUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    provider_ods_code: str | None = Field(None, pattern=r"^[A-Z0-9]{3,10}$")
    provider_name: str | None = Field(None, min_length=1, max_length=200)
    pathways: list[Pathway] | None = Field(None, min_length=1)
    operating_hours: str | None = Field(None, min_length=1, max_length=200)
    status: WardStatus | None = None
    catchment: Catchment | None = Field(None, description="Replaces the catchment; null clears it")


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
    catchment: Catchment | None = None
    created_at: datetime
