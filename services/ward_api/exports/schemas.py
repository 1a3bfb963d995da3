"""Sitrep-style exports and the aggregate feed for equity_audit (no identifiers)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class SitrepExportRow(BaseModel):
    period: str
    icb_code: str
    icb_ods_code: str
    icb_name: str
    source: str
    capacity: int
    population: int
    population_basis: str
    capacity_per_100k: Decimal
    patients: int | None
    occupancy_pct: Decimal | None


class SitrepExport(BaseModel):
    period: str
    attribution: str | None
    rows: list[SitrepExportRow]


class AggregateRow(BaseModel):
    month: str
    icb_code: str
    lsoa11cd: str
    age_band: str
    sex: str
    ethnic_category: str
    pathway: str
    outcome: str
    own_device: bool
    broadband: bool
    housing_concern: bool
    admissions: int
    los_days_sum: int
    stays_over_14_days: int
    escalations: int
    readings_expected: int
    readings_received: int


class AggregateReport(BaseModel):
    generated_at: datetime
    from_: date = Field(serialization_alias="from")
    to: date
    rows: list[AggregateRow]
