"""Capacity against the 40–50 beds per 100k band, its history, sitrep imports and plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

from services.ward_api.domain.capacity import BandStatus, PopulationBasis
from services.ward_api.inclusion.schemas import InclusionReport


class Level(StrEnum):
    NATIONAL = "national"
    ICB = "icb"


class Source(StrEnum):
    SITREP = "sitrep"  # NHS England's published monthly figures
    LIVE = "live"  # this service's wards and admissions
    COMBINED = "combined"  # national total over ICBs with mixed sources


class PublishedFigures(BaseModel):
    """What NHS England published for the area and month."""

    capacity_per_100k: Decimal
    occupancy_pct: Decimal | None
    occupancy_note: str | None
    published: date
    population_basis_label: str


class AreaCapacityOut(BaseModel):
    code: str
    ods_code: str
    name: str
    source: Source
    period: str | None = Field(description="Sitrep month the figures come from (YYYY-MM)")
    carried_forward: bool = Field(
        False, description="True when `at` is after the last published month"
    )
    wards: int | None = Field(None, description="Live wards counted (source live)")
    beds: int
    population: int
    population_basis: PopulationBasis
    population_effective: date
    beds_per_100k: Decimal = Field(description="Exact, 6 decimals")
    beds_per_100k_shown: Decimal = Field(description="At the published precision (half-up)")
    status: BandStatus
    beds_short_of_40: int
    beds_short_of_50: int
    cost_per_bed_gbp: Decimal
    cost_to_40_gbp: Decimal
    cost_to_50_gbp: Decimal
    patients: int | None
    occupancy_pct: Decimal | None = Field(description="Exact, 6 decimals")
    occupancy_pct_shown: Decimal | None
    published: PublishedFigures | None = None


class CapacityReport(BaseModel):
    level: Level
    at: date
    band: tuple[int, int] = (40, 50)
    rule: str
    attribution: str | None
    areas: list[AreaCapacityOut]


class HistoryReport(BaseModel):
    code: str
    attribution: str | None
    note: str
    points: list[AreaCapacityOut]


class RowErrorOut(BaseModel):
    line: int
    column: str
    message: str


class SitrepImportResult(BaseModel):
    import_id: uuid.UUID
    accepted: int
    inserted: int
    updated: int
    periods: list[str]


class SitrepJson(BaseModel):
    """The sitrep as JSON: one object per row with the CSV's column names."""

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=5000)


class PlanRequest(BaseModel):
    """Share new beds (or what a budget buys) across ICBs, or across the wards of one ICB.

    `level=ward` plans on each ward's catchment (see WardCreate.catchment): beds per 100k of
    the people the ward serves, brought into the 40–50 band the same way as ICBs.
    """

    level: Literal["icb", "ward"] = "icb"
    icb: str | None = Field(None, description="level=ward: the ICB (E54… or Q…)")
    ward_ids: list[uuid.UUID] | None = Field(
        None, description="level=ward: plan for these wards only (default: every open ward)"
    )
    new_beds: int | None = Field(None, ge=0, le=100_000)
    budget_gbp: Decimal | None = Field(None, ge=0, le=Decimal(10) ** 11)
    need_weighting: bool = False
    allow_above_band: bool = False
    at: date | None = None
    icb_codes: list[str] | None = Field(
        None, description="Plan for these ICBs only (default: every ICB the caller may see)"
    )
    include_inclusion: bool = Field(
        False,
        description="Also cost what the beds given would need for inclusion over a year "
        "(devices, face-to-face observation, housing, voluntary sector): see /v1/inclusion/need",
    )
    budget_includes_inclusion: bool = Field(
        False,
        description="With budget_gbp: share it between beds and the inclusion their admissions "
        "need, so that each area's expected Core20 share of admissions is not below its "
        "Core20 share of population (implies include_inclusion)",
    )

    @model_validator(mode="after")
    def _one_amount(self) -> Self:
        if (self.new_beds is None) == (self.budget_gbp is None):
            raise ValueError("give exactly one of new_beds or budget_gbp")
        if self.budget_includes_inclusion and self.budget_gbp is None:
            raise ValueError("budget_includes_inclusion needs budget_gbp")
        return self

    def level_problem(self) -> str | None:
        """What is wrong with the level's fields, checked once `?level=&icb=` are merged in."""
        if self.level == "icb":
            if self.icb is not None or self.ward_ids is not None:
                return "icb and ward_ids are for level=ward"
            return None
        if self.icb is None:
            return "level=ward needs icb"
        if self.icb_codes is not None:
            return "icb_codes is for level=icb; give ward_ids"
        if self.need_weighting:
            return (
                "need weights are published per ICB (docs/contracts.md), so a ward plan "
                "cannot be need-weighted"
            )
        return None


class PlanAreaOut(BaseModel):
    code: str = Field(description="ICB code, or ward id at level=ward")
    name: str
    population: int
    population_basis: PopulationBasis | None = None
    population_effective: date | None = None
    catchment: list[str] | None = Field(
        None, description="level=ward: the sub-ICB locations summed, if given that way"
    )
    weight: Decimal
    beds_before: int
    beds_given: int
    beds_after: int
    per_100k_before: Decimal
    per_100k_after: Decimal
    status_before: BandStatus
    status_after: BandStatus
    reason: str
    explanation: str


class PlanOut(BaseModel):
    id: uuid.UUID
    level: Literal["icb", "ward"] = "icb"
    icb_code: str | None = Field(None, description="level=ward: the ICB planned within")
    created_at: datetime
    created_by: str
    requested_beds: int
    allocated_beds: int
    unallocated_beds: int
    budget_gbp: Decimal | None
    unspent_gbp: Decimal | None
    cost_per_bed_gbp: Decimal
    cost_gbp: Decimal
    weights: dict[str, Any] | None = Field(
        description="Need weights used (basis, vintage, source) or null when unweighted"
    )
    capacity_source: str
    notes: list[str] = Field(default_factory=list)
    areas: list[PlanAreaOut]
    inclusion: InclusionReport | None = Field(
        None, description="include_inclusion: beds cost and inclusion cost per area"
    )
