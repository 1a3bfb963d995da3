"""Inclusion need and cost per area, unit costs per ICB, and a ward's voluntary partners."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from services.ward_api.domain.inclusion import CostItem, Need


class FigureOut(BaseModel):
    """A figure the plan used, and where it came from."""

    value: Decimal
    source: str


class ExpectedAdmissionsOut(BaseModel):
    beds: int
    period_days: int
    occupancy: FigureOut = Field(description="Fraction of beds occupied (0–1)")
    length_of_stay_days: FigureOut
    admissions: Decimal = Field(description="beds × occupancy × period days ÷ length of stay")
    working: str


class NeedOut(BaseModel):
    need: Need
    share: Decimal = Field(description="Share of admissions with the need (4 dp)")
    share_lower: Decimal = Field(description="Population-weighted Wilson 95% lower limits")
    share_upper: Decimal
    source: str = Field(description="platform admissions, area indicators, or both")
    population_from_platform_pct: Decimal = Field(
        description="Share of the area's population in cells estimated from platform admissions"
    )
    admissions: Decimal = Field(description="Expected admissions with the need")
    cost_per_admission_gbp: Decimal
    cost_gbp: Decimal
    cost_lower_gbp: Decimal
    cost_upper_gbp: Decimal
    working: str


class UnitCostOut(BaseModel):
    item: CostItem
    value: Decimal
    unit: str
    citation: str
    set_by: str | None = Field(None, description="null: the cited default")
    set_at: datetime | None = None
    reason: str | None = None


class VoluntaryCapacityOut(BaseModel):
    hours_needed_per_week: Decimal
    partner_hours_per_week: Decimal
    shortfall_hours_per_week: Decimal
    partners: int


class Core20Out(BaseModel):
    """Core20 (IMD deciles 1–2) share of the population and of the expected admissions."""

    population_share: Decimal
    admissions_share_without_inclusion: Decimal = Field(
        description="If admissions lacking a device or broadband were lost to remote monitoring"
    )
    admissions_share_with_inclusion: Decimal = Field(
        description="With inclusion funded for every admission: the population's share"
    )


class AreaInclusionOut(BaseModel):
    code: str
    name: str
    icb_code: str
    expected: ExpectedAdmissionsOut
    needs: list[NeedOut]
    beds_cost_gbp: Decimal
    inclusion_cost_gbp: Decimal
    inclusion_cost_lower_gbp: Decimal
    inclusion_cost_upper_gbp: Decimal
    inclusion_cost_per_bed_gbp: Decimal = Field(description="Over the period, exact to the penny")
    core20: Core20Out
    voluntary: VoluntaryCapacityOut
    unit_costs: list[UnitCostOut]


class InclusionReport(BaseModel):
    at: date
    method: str
    assumptions: list[str]
    attribution: str
    beds_cost_gbp: Decimal
    inclusion_cost_gbp: Decimal
    areas: list[AreaInclusionOut]


class UnitCostSet(BaseModel):
    icb_code: str = Field(description="ICB (E54… or Q…)")
    item: CostItem
    value: Decimal = Field(ge=0, le=Decimal(10) ** 7, decimal_places=2)
    reason: str = Field(min_length=1, max_length=500)


class UnitCostHistoryOut(BaseModel):
    icb_code: str
    current: list[UnitCostOut]
    history: list[UnitCostOut]


class PartnerCreate(BaseModel):
    """A voluntary or community partner; organisations and roles only, never a person."""

    organisation: str = Field(min_length=1, max_length=200)
    service: str = Field(
        min_length=1, max_length=200, description="e.g. carer support, befriending"
    )
    hours_per_week: Decimal = Field(ge=0, le=10_000, decimal_places=2)
    contact_role: str = Field(
        min_length=1, max_length=100, description="A role (e.g. 'volunteer coordinator'), no name"
    )


class PartnerOut(PartnerCreate):
    id: uuid.UUID
    ward_id: uuid.UUID
    created_by: str
    created_at: datetime
