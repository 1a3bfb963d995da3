"""Admin endpoints: vendor registry, key rotation and device registration."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.monitoring_ingest.deps import SettingsDep
from services.monitoring_ingest.vendors import responses as problems
from services.monitoring_ingest.vendors import service
from services.monitoring_ingest.vendors.schemas import (
    DeviceCreate,
    DeviceOut,
    IssuedKey,
    KeyOut,
    VendorCreate,
    VendorCreated,
    VendorOut,
)
from shared.auth import Principal, Role, allow
from shared.database import SessionDep

router = APIRouter(prefix="/v1/admin/vendors", tags=["vendors"])
Admin = Annotated[Principal, Depends(allow(Role.admin))]


def _pepper(settings: SettingsDep) -> bytes:
    return settings.key_pepper.get_secret_value().encode()


@router.post(
    "",
    status_code=201,
    summary="Register a vendor and issue its first key",
    responses=problems.CREATE_VENDOR,
)
async def create_vendor(
    body: VendorCreate, session: SessionDep, settings: SettingsDep, _: Admin
) -> VendorCreated:
    vendor, keys, issued = await service.create(session, name=body.name, pepper=_pepper(settings))
    return VendorCreated(
        id=vendor.id,
        name=vendor.name,
        created_at=vendor.created_at,
        keys=[KeyOut.model_validate(k, from_attributes=True) for k in keys],
        issued_key=issued,
    )


@router.get("", summary="List vendors and their keys (never the keys themselves)")
async def list_vendors(session: SessionDep, _: Admin) -> list[VendorOut]:
    return [
        VendorOut(
            id=v.id,
            name=v.name,
            created_at=v.created_at,
            keys=[KeyOut.model_validate(k, from_attributes=True) for k in keys],
        )
        for v, keys in await service.list_vendors(session)
    ]


@router.post(
    "/{vendor_id}/keys",
    status_code=201,
    summary="Issue another key (rollover)",
    responses=problems.ISSUE_KEY,
)
async def issue_key(
    vendor_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: Admin
) -> IssuedKey:
    return await service.issue_key(session, vendor_id=vendor_id, pepper=_pepper(settings))


@router.delete(
    "/{vendor_id}/keys/{key_id}",
    summary="Retire a key once the vendor has rolled over",
    responses=problems.RETIRE_KEY,
)
async def retire_key(
    vendor_id: uuid.UUID, key_id: uuid.UUID, session: SessionDep, _: Admin
) -> KeyOut:
    key = await service.retire_key(session, vendor_id=vendor_id, key_id=key_id)
    return KeyOut.model_validate(key, from_attributes=True)


@router.post(
    "/{vendor_id}/devices",
    summary="Register a device serial to the vendor",
    responses=problems.REGISTER_DEVICE,
)
async def register_device(
    vendor_id: uuid.UUID, body: DeviceCreate, session: SessionDep, response: Response, _: Admin
) -> DeviceOut:
    device, created = await service.register_device(
        session, vendor_id=vendor_id, device_id=body.device_id
    )
    response.status_code = 201 if created else 200
    return DeviceOut.model_validate(device, from_attributes=True)


@router.get(
    "/{vendor_id}/devices",
    summary="List the vendor's devices",
    responses=problems.LIST_DEVICES,
)
async def list_devices(vendor_id: uuid.UUID, session: SessionDep, _: Admin) -> list[DeviceOut]:
    devices = await service.list_devices(session, vendor_id=vendor_id)
    return [DeviceOut.model_validate(d, from_attributes=True) for d in devices]
