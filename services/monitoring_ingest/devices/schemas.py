"""Binding bodies, as docs/contracts.md defines them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field


class BindingIn(BaseModel):
    """ward_api's binding at admission: it owns the admission, so its ward is taken as given."""

    admission_id: uuid.UUID
    ward_id: uuid.UUID
    icb_codes: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=4, description="The ward's ICB (ONS and ODS codes)"
    )
    expected_interval_minutes: int = Field(gt=0, le=7 * 24 * 60)
    bound_at: AwareDatetime


class ClinicianBindingIn(BaseModel):
    """A clinician's binding: the ward and stay are looked up in ward_api, never taken on trust.

    `ward_id` may be sent (as in the internal body) but must then be the admission's ward.
    """

    admission_id: uuid.UUID
    ward_id: uuid.UUID | None = None
    expected_interval_minutes: int = Field(gt=0, le=7 * 24 * 60)
    bound_at: AwareDatetime


class BindingOut(BaseModel):
    id: uuid.UUID
    vendor_id: uuid.UUID
    device_id: str
    admission_id: uuid.UUID
    ward_id: uuid.UUID
    expected_interval_minutes: int
    bound_at: datetime
    unbound_at: datetime | None


class Unbound(BaseModel):
    """The admission's monitoring completeness at discharge."""

    admission_id: uuid.UUID
    readings_expected: int
    readings_received: int
    unbound_at: datetime
