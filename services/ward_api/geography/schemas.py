"""ICBs, sub-ICB locations and population denominators as served."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from services.ward_api.domain.capacity import PopulationBasis


class DenominatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    basis: PopulationBasis
    effective: date
    population: int
    source: str


class SubIcbOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    ods_code: str
    denominators: list[DenominatorOut] = []


class IcbOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    ods_code: str
    name: str
    region: str | None
    denominators: list[DenominatorOut] = []


class IcbDetail(IcbOut):
    sub_icbs: list[SubIcbOut]
