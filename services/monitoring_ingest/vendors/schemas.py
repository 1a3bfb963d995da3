"""Request and response bodies for vendor administration."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class VendorCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class KeyOut(BaseModel):
    id: uuid.UUID
    key_prefix: str
    created_at: datetime
    retired_at: datetime | None


class IssuedKey(BaseModel):
    """A new key and its signing secret: shown once, never retrievable again."""

    id: uuid.UUID
    vendor_id: uuid.UUID
    api_key: str
    signing_secret: str
    created_at: datetime


class VendorOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    keys: list[KeyOut] = []


class VendorCreated(VendorOut):
    issued_key: IssuedKey


class DeviceCreate(BaseModel):
    device_id: str = Field(min_length=1, max_length=200)


class DeviceOut(BaseModel):
    vendor_id: uuid.UUID
    device_id: str
    registered_at: datetime
