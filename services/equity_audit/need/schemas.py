"""Response body of `GET /v1/need-weights` (docs/contracts.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _AreaWeight(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    weight: float = Field(description="Mean IMD score over England's, population-weighted.")
    ods_code: str | None
    population: int
    mean_imd_score: float


class IcbWeight(_AreaWeight):
    name: str | None


class SubIcbWeight(_AreaWeight):
    icb_code: str | None


class NeedWeights(BaseModel):
    basis: str
    vintage: str
    level: Literal["icb", "sub_icb"]
    formula: str
    population_vintage: str
    synthetic: bool
    weights: list[IcbWeight] | list[SubIcbWeight]
