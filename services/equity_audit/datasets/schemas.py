"""Response bodies of the reference dataset register and importer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.equity_audit.snapshots.schemas import Timestamp


class DatasetOut(BaseModel):
    """One entry of the register: what was loaded, from where, under which licence."""

    id: int
    kind: str
    name: str
    vintage: str
    geography: str = Field(description="LSOA boundary vintage: lsoa11 or lsoa21.")
    source: str
    publisher: str
    licence: str
    attribution: str
    synthetic: bool = Field(description="Made up for demonstration: never for decisions.")
    layout: str
    file_name: str | None
    checksum: str = Field(description="sha256 of the imported file.")
    row_count: int
    active: bool
    loaded_at: Timestamp


class DatasetList(BaseModel):
    datasets: list[DatasetOut]
    synthetic: bool = Field(description="Some active dataset is synthetic.")


class DescriptorOut(BaseModel):
    """Provenance of a dataset: name, vintage, geography, source, publisher and licence."""

    name: str
    vintage: str
    geography: str
    source: str
    publisher: str
    licence: str
    attribution: str
    file_name: str | None
    synthetic: bool


class RejectionOut(BaseModel):
    row_number: int = Field(description="File line; the header is line 1.")
    reason: str
    area_code: str | None


class ImportReportOut(BaseModel):
    """What an analyst reads before trusting a file: the first rejections, every count exact."""

    dataset: str
    file_name: str
    layout: str | None
    ok: bool
    accepted: int
    rejected_count: int
    rejected: list[RejectionOut]
    skipped: int
    missing_count: int
    missing_areas: list[str]
    warnings: list[str]
    summary: str


class ImportResult(BaseModel):
    """What an import did: `loaded` (201) or `unchanged` (200, same checksum active)."""

    kind: str
    status: Literal["loaded", "unchanged", "rejected"]
    dataset_id: int | None
    dataset: DescriptorOut
    checksum: str
    problems: list[str]
    report: ImportReportOut
