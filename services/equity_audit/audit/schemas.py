"""Response body of `GET /v1/audit` (JSON; CSV and HTML render the same answer).

The top level is typed; the tables under `groups`, `total`, `inequality`, `digital_access`
and `need` have one column per statistic of the chosen cut and are described in the route's
description and in audit/report.py.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from services.equity_audit.snapshots.schemas import SnapshotOut, Timestamp

Cut = Literal[
    "imd_quintile", "imd_decile", "core20", "digital_exclusion_quintile", "housing_quintile",
    "ethnic_category", "age_band", "sex", "pathway", "own_device", "broadband",
    "housing_concern", "icb", "sub_icb",
]  # fmt: skip
Format = Literal["json", "csv", "html"]


class AuditScope(BaseModel):
    level: Literal["england", "icb"]
    name: str
    icb_code: str | None = Field(None, exclude_if=lambda v: v is None)
    icb_ods_code: str | None = Field(None, exclude_if=lambda v: v is None)


class AuditPeriod(BaseModel):
    from_month: str | None
    to_month: str | None
    months_with_data: int


class DisclosureRule(BaseModel):
    threshold: int
    rounding_base: int
    symbol: str
    rule: str


class AuditDataset(BaseModel):
    kind: str
    name: str
    vintage: str
    source: str
    publisher: str
    licence: str
    synthetic: bool


class AuditReport(BaseModel):
    title: str
    generated_at: Timestamp
    synthetic: bool
    scope: AuditScope
    period: AuditPeriod
    snapshot: SnapshotOut
    disclosure: DisclosureRule
    cut: Cut
    groups: list[dict[str, Any]] = Field(description="One row per group of the cut.")
    total: dict[str, Any]
    inequality: dict[str, Any] = Field(description="SII and RII, rate ratio, Core20 share.")
    digital_access: dict[str, Any]
    need_rule: str
    need: dict[str, Any] = Field(description="The need funnel across ICBs in scope.")
    cut_gradient: dict[str, Any] | None = Field(None, exclude_if=lambda v: v is None)
    inclusion: dict[str, Any] | None = Field(
        None,
        exclude_if=lambda v: v is None,
        description="What inclusion would cost here (from ward_api), or why it is not shown.",
    )
    datasets: list[AuditDataset]
    caveats: list[str]
    attribution: list[str]
