"""Typed client for ward_api, as equity_audit calls it (see docs/contracts.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.http_client import PeerError, ServiceClient

Sex = Literal["female", "male", "other", "unknown"]
Outcome = Literal[
    "completed", "escalated_to_hospital", "died", "self_discharged", "transferred", "ongoing"
]


class AggregateRow(BaseModel):
    """One group of admissions: no identifiers, counts only."""

    model_config = ConfigDict(extra="ignore")

    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")
    icb_code: str | None = None
    lsoa11cd: str | None = None
    age_band: str
    sex: Sex
    ethnic_category: str = Field(pattern=r"^([A-Z]|unknown)$")
    pathway: str
    outcome: Outcome
    own_device: bool | None = None
    broadband: bool | None = None
    housing_concern: bool | None = None
    admissions: int = Field(ge=0)
    los_days_sum: int = Field(0, ge=0)
    stays_over_14_days: int = Field(0, ge=0)
    escalations: int = Field(0, ge=0)
    readings_expected: int = Field(0, ge=0)
    readings_received: int = Field(0, ge=0)


class AdmissionAggregates(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    generated_at: datetime
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    rows: list[AggregateRow]


class WardApiClient(ServiceClient):
    peer = "ward_api"

    async def admission_aggregates(self, *, date_from: date, date_to: date) -> AdmissionAggregates:
        """Admissions with admission date in [date_from, date_to), grouped, no identifiers."""
        response = await self.request(
            "GET",
            "/v1/internal/aggregates/admissions",
            params={"from": date_from.isoformat(), "to": date_to.isoformat()},
        )
        try:
            return AdmissionAggregates.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise PeerError(
                self.peer,
                response.status_code,
                None,
                f"aggregates do not match the contract: {exc}",
            ) from exc

    async def inclusion_need(self, *, icb: str, beds: int) -> dict[str, Any]:
        """ward_api's costed inclusion need for `beds` new beds in an ICB (issue #15)."""
        response = await self.request(
            "GET", "/v1/inclusion/need", params={"icb": icb, "beds": str(beds)}
        )
        try:
            body = response.json()
            (area,) = body["areas"]
            return {**area, "attribution": body["attribution"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise PeerError(
                self.peer, response.status_code, None, f"inclusion need: {exc}"
            ) from exc
