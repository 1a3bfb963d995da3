"""Vendor registry, key issue and rotation, and request authentication."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.monitoring_ingest.devices.models import Device
from services.monitoring_ingest.settings import IngestSettings
from services.monitoring_ingest.vendors import credentials
from services.monitoring_ingest.vendors.models import Vendor, VendorKey
from services.monitoring_ingest.vendors.schemas import IssuedKey
from shared.problems import Conflict, NotFound, Unauthorized


@dataclass(frozen=True, slots=True)
class VendorCaller:
    """A vendor whose request carried a valid key and a fresh, unreplayed signature."""

    vendor_id: uuid.UUID
    key_id: uuid.UUID


async def get_or_raise(session: AsyncSession, *, vendor_id: uuid.UUID) -> Vendor:
    vendor = await session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"no vendor {vendor_id}", slug="vendor-not-found", vendor_id=str(vendor_id))
    return vendor


async def list_vendors(session: AsyncSession) -> list[tuple[Vendor, list[VendorKey]]]:
    vendors = (await session.scalars(select(Vendor).order_by(Vendor.name))).all()
    keys = (await session.scalars(select(VendorKey).order_by(VendorKey.created_at))).all()
    by_vendor: dict[uuid.UUID, list[VendorKey]] = {}
    for key in keys:
        by_vendor.setdefault(key.vendor_id, []).append(key)
    return [(v, by_vendor.get(v.id, [])) for v in vendors]


async def list_keys(session: AsyncSession, *, vendor_id: uuid.UUID) -> list[VendorKey]:
    query = select(VendorKey).where(VendorKey.vendor_id == vendor_id)
    return list((await session.scalars(query.order_by(VendorKey.created_at))).all())


async def create(
    session: AsyncSession, *, name: str, pepper: bytes
) -> tuple[Vendor, list[VendorKey], IssuedKey]:
    """Register a vendor with its first key (its keys, and the one issued); 409 on a taken name."""
    exists = await session.scalar(select(Vendor.id).where(Vendor.name == name))
    if exists is not None:
        raise Conflict(
            f"a vendor named {name!r} exists", slug="vendor-exists", vendor_id=str(exists)
        )
    vendor = Vendor(id=uuid.uuid4(), name=name, created_at=datetime.now(UTC))
    session.add(vendor)
    await session.flush()
    issued = await issue_key(session, vendor_id=vendor.id, pepper=pepper)
    return vendor, await list_keys(session, vendor_id=vendor.id), issued


async def issue_key(session: AsyncSession, *, vendor_id: uuid.UUID, pepper: bytes) -> IssuedKey:
    """A new key for the vendor; earlier keys stay valid until retired (zero-downtime rollover)."""
    await get_or_raise(session, vendor_id=vendor_id)
    api_key = credentials.new_api_key()
    key = VendorKey(
        id=uuid.uuid4(),
        vendor_id=vendor_id,
        key_hash=credentials.hash_api_key(pepper, api_key),
        key_prefix=api_key[:10],
        created_at=datetime.now(UTC),
    )
    session.add(key)
    await session.flush()
    return IssuedKey(
        id=key.id,
        vendor_id=vendor_id,
        api_key=api_key,
        signing_secret=credentials.derive_signing_secret(pepper, api_key),
        created_at=key.created_at,
    )


async def retire_key(
    session: AsyncSession, *, vendor_id: uuid.UUID, key_id: uuid.UUID
) -> VendorKey:
    """Retire a key (idempotent); refuses to retire the vendor's last active key."""
    key = await session.get(VendorKey, key_id)
    if key is None or key.vendor_id != vendor_id:
        raise NotFound(f"vendor {vendor_id} has no key {key_id}", slug="key-not-found")
    if key.retired_at is not None:
        return key
    active = await session.scalar(
        select(func.count())
        .select_from(VendorKey)
        .where(VendorKey.vendor_id == vendor_id, VendorKey.retired_at.is_(None))
    )
    if (active or 0) <= 1:
        raise Conflict(
            "issue a new key before retiring the last active one", slug="last-active-key"
        )
    key.retired_at = datetime.now(UTC)
    await session.flush()
    return key


async def register_device(
    session: AsyncSession, *, vendor_id: uuid.UUID, device_id: str
) -> tuple[Device, bool]:
    """Register a device serial to a vendor; (device, created). 409 if another vendor has it."""
    await get_or_raise(session, vendor_id=vendor_id)
    owners = set(
        (await session.scalars(select(Device.vendor_id).where(Device.device_id == device_id))).all()
    )
    if owners - {vendor_id}:
        raise Conflict(
            f"device {device_id} is registered to another vendor",
            slug="device-registered-elsewhere",
        )
    result = await session.execute(
        pg_insert(Device)
        .values(vendor_id=vendor_id, device_id=device_id)
        .on_conflict_do_nothing()
        .returning(Device.device_id)
    )
    created = result.scalar() is not None
    device = await session.get(Device, (vendor_id, device_id))
    assert device is not None
    return device, created


async def list_devices(session: AsyncSession, *, vendor_id: uuid.UUID) -> list[Device]:
    await get_or_raise(session, vendor_id=vendor_id)
    query = select(Device).where(Device.vendor_id == vendor_id).order_by(Device.device_id)
    return list((await session.scalars(query)).all())


async def authenticate(
    session: AsyncSession,
    *,
    pepper: bytes,
    max_age_seconds: int,
    vendor_id: str | None,
    api_key: str | None,
    timestamp: str | None,
    signature: str | None,
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
) -> VendorCaller:
    """Check key, signature, freshness and replay, in that order; 401 with a specific slug."""
    if not (vendor_id and api_key and timestamp and signature):
        raise Unauthorized(
            "X-Vendor-Id, X-Api-Key, X-Timestamp and X-Signature are required",
            slug="vendor-credentials-missing",
        )
    try:
        vendor_uuid = uuid.UUID(vendor_id)
    except ValueError:
        raise Unauthorized("X-Vendor-Id is not a UUID", slug="api-key-invalid") from None
    row = (
        await session.execute(
            select(VendorKey.id).where(
                VendorKey.key_hash == credentials.hash_api_key(pepper, api_key),
                VendorKey.vendor_id == vendor_uuid,
                VendorKey.retired_at.is_(None),
            )
        )
    ).first()
    if row is None:
        raise Unauthorized("the API key is not valid for this vendor", slug="api-key-invalid")
    secret = credentials.derive_signing_secret(pepper, api_key)
    expected = credentials.sign(secret, timestamp=timestamp, method=method, path=path, body=body)
    if not credentials.signature_matches(expected, signature):
        raise Unauthorized("the request signature does not match", slug="signature-invalid")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise Unauthorized("X-Timestamp must be Unix seconds", slug="signature-invalid") from None
    age = (time.time() if now is None else now) - signed_at
    if age > max_age_seconds or age < -max_age_seconds:
        raise Unauthorized(
            f"the request was signed {int(age)} s from now; the limit is {max_age_seconds} s",
            slug="signature-expired",
        )
    # Replay store: a unique row per signature, purged after the window by maintenance.
    # Written in the request's transaction, so a request that fails may be retried as is.
    seen = await session.execute(
        text(
            "INSERT INTO monitoring.seen_signatures (signature, vendor_id) VALUES (:s, :v) "
            "ON CONFLICT DO NOTHING RETURNING 1"
        ),
        {"s": bytes.fromhex(expected), "v": vendor_uuid},
    )
    if seen.first() is None:
        raise Unauthorized("this signed request was already received", slug="request-replayed")
    return VendorCaller(vendor_id=vendor_uuid, key_id=row[0])


async def purge_seen_signatures(engine: AsyncEngine, settings: IngestSettings) -> None:
    """Forget request signatures once they are too old to be replayed anyway."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM monitoring.seen_signatures "
                "WHERE seen_at < now() - make_interval(secs => :s)"
            ),
            {"s": 2 * settings.signature_max_age_seconds},
        )
