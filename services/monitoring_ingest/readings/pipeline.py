"""The ingest hot path: attribute, store exactly once, quarantine, then score and escalate.

Works on the request transaction's raw asyncpg connection with array parameters (one round
trip per step for a whole batch) and no per-item ORM objects.
"""

from __future__ import annotations

import hashlib
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from services.monitoring_ingest.domain.canonical import CanonicalReading
from services.monitoring_ingest.domain.outcomes import ItemOutcome, Refusal
from services.monitoring_ingest.scoring import engine as scoring
from services.monitoring_ingest.settings import IngestSettings
from shared.problems import Forbidden

CLINICIAN_SCOPE = b"clinician-entry"

STORED, DUPLICATE, QUARANTINED, REFUSED = "stored", "duplicate", "quarantined", "refused"


@dataclass(frozen=True, slots=True)
class Attribution:
    admission_id: uuid.UUID
    ward_id: uuid.UUID


@dataclass(slots=True)
class _Binding:
    bound_at: datetime
    unbound_at: datetime | None
    attribution: Attribution


@dataclass(slots=True)
class _DeviceBindings:
    mine: bool = False
    other_vendor: bool = False
    bindings: list[_Binding] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)


@dataclass(slots=True)
class IngestReport:
    """Per-outcome results, in payload order, plus counts and raised alerts."""

    items: list[dict[str, object]]
    counts: dict[str, int]
    alerts: list[uuid.UUID]

    def as_dict(self) -> dict[str, object]:
        return {"counts": self.counts, "alerts": [str(a) for a in self.alerts], "items": self.items}


def identity(scope: bytes, reading: CanonicalReading) -> bytes:
    """The stored identity: the domain reading key scoped by vendor (serials may collide)."""
    return hashlib.sha256(scope + reading.reading_key().encode()).digest()


_INSERT_READINGS = """
WITH input AS (
    SELECT * FROM unnest($1::bytea[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[],
                         $6::text[], $7::float8[], $8::text[], $9::text[], $10::text[],
                         $11::text[], $12::bytea[])
        AS t(reading_key, observed_at, admission_id, ward_id, device_id, code, value, unit,
             code_value, provenance, vendor_reading_id, supersedes)
), fresh AS (
    INSERT INTO monitoring.reading_identities (reading_key, observed_at)
    SELECT reading_key, observed_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING reading_key
)
INSERT INTO monitoring.readings (reading_key, observed_at, admission_id, ward_id, vendor_id,
    device_id, code, value, unit, code_value, provenance, vendor_reading_id, entered_by,
    supersedes)
SELECT i.reading_key, i.observed_at, i.admission_id, i.ward_id, $13::uuid, i.device_id, i.code,
       i.value, i.unit, i.code_value, i.provenance, i.vendor_reading_id, $14::text, i.supersedes
FROM input i JOIN fresh USING (reading_key)
RETURNING reading_key
"""

_INSERT_QUARANTINE = """
INSERT INTO monitoring.quarantined_readings (id, reading_key, reason, vendor_id, device_id,
    ward_hint, code, value, unit, code_value, provenance, vendor_reading_id, observed_at)
SELECT gen_random_uuid(), t.* FROM unnest($1::bytea[], $2::text[], $3::uuid[], $4::text[],
    $5::uuid[], $6::text[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[],
    $12::timestamptz[]) AS t
ON CONFLICT (reading_key) DO NOTHING
RETURNING reading_key
"""

_DEVICE_BINDINGS = """
SELECT d.device_id, d.vendor_id = $1 AS mine, b.admission_id, b.ward_id, b.bound_at, b.unbound_at
FROM monitoring.devices d
LEFT JOIN monitoring.bindings b
       ON b.vendor_id = d.vendor_id AND b.device_id = d.device_id AND d.vendor_id = $1
WHERE d.device_id = ANY($2::text[])
"""


async def _device_bindings(
    conn: asyncpg.Connection, vendor_id: uuid.UUID, device_ids: Sequence[str]
) -> dict[str, _DeviceBindings]:
    devices: dict[str, _DeviceBindings] = {}
    for row in await conn.fetch(_DEVICE_BINDINGS, vendor_id, list(device_ids)):
        device = devices.setdefault(row[0], _DeviceBindings())
        if row[1]:
            device.mine = True
            if row[2] is not None:
                device.bindings.append(_Binding(row[4], row[5], Attribution(row[2], row[3])))
        else:
            device.other_vendor = True
    for device in devices.values():
        device.bindings.sort(key=lambda b: b.bound_at)
        device.starts = [b.bound_at for b in device.bindings]
    return devices


def _attribute(device: _DeviceBindings | None, at: datetime) -> Attribution | str:
    """The admission wearing the device at `at`, or why there is none."""
    if device is None or not device.mine:
        return "unknown_device"
    index = bisect_right(device.starts, at) - 1
    if index >= 0:
        binding = device.bindings[index]
        if binding.unbound_at is None or at < binding.unbound_at:
            return binding.attribution
        if index == len(device.bindings) - 1:
            return "discharged"
    return "unbound"


async def ingest(
    conn: asyncpg.Connection,
    outcomes: Sequence[ItemOutcome],
    *,
    settings: IngestSettings,
    vendor_id: uuid.UUID | None = None,
    attribution: Attribution | None = None,
    entered_by: str | None = None,
    supersedes: dict[int, bytes] | None = None,
    scope: bytes | None = None,
) -> IngestReport:
    """Store each reading once, quarantine what cannot be attributed, score and escalate.

    A vendor batch is attributed by each reading's device binding at its observed time;
    clinician entries (and re-attributed quarantine) come with a fixed `attribution`.
    """
    items: list[dict[str, object]] = []
    counts = {STORED: 0, DUPLICATE: 0, QUARANTINED: 0, REFUSED: 0}
    scope = scope or (vendor_id.bytes if vendor_id else CLINICIAN_SCOPE)
    supersedes = supersedes or {}

    devices: dict[str, _DeviceBindings] = {}
    if attribution is None:
        assert vendor_id is not None
        serials = {o.device_id for o in outcomes if isinstance(o, CanonicalReading)}
        devices = await _device_bindings(conn, vendor_id, sorted(serials))
        foreign = sorted(s for s, d in devices.items() if d.other_vendor and not d.mine)
        if foreign:
            raise Forbidden(
                "devices registered to another vendor", slug="wrong-vendor", devices=foreign
            )

    store_cols: tuple[list, ...] = tuple([] for _ in range(12))
    quarantine_cols: tuple[list, ...] = tuple([] for _ in range(12))
    store_index: dict[bytes, int] = {}
    quarantine_index: dict[bytes, int] = {}
    stored_readings: list[tuple[CanonicalReading, Attribution, bytes]] = []
    pending: dict[bytes, tuple[CanonicalReading, Attribution]] = {}

    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, Refusal):
            counts[REFUSED] += 1
            items.append(
                {
                    "index": position,
                    "status": REFUSED,
                    "item": outcome.item,
                    "pointer": outcome.pointer,
                    "reason": str(outcome.reason),
                    "detail": outcome.detail,
                }
            )
            continue
        key = identity(scope, outcome)
        item: dict[str, object] = {"index": position, "status": DUPLICATE, "key": key.hex()}
        if outcome.vendor_reading_id is not None:
            item["id"] = outcome.vendor_reading_id
        items.append(item)
        if key in store_index or key in quarantine_index:
            continue  # repeated within this batch: the first occurrence decides
        target = attribution or _attribute(devices.get(outcome.device_id), outcome.observed_at)
        code_value, provenance = outcome.code_value, str(outcome.provenance)
        if isinstance(target, Attribution):
            store_index[key] = position
            pending[key] = (outcome, target)
            for column, value in zip(
                store_cols,
                (
                    key,
                    outcome.observed_at,
                    target.admission_id,
                    target.ward_id,
                    outcome.device_id,
                    outcome.code,
                    outcome.value,
                    outcome.unit,
                    code_value,
                    provenance,
                    outcome.vendor_reading_id,
                    supersedes.get(position),
                ),
                strict=True,
            ):
                column.append(value)
        else:
            quarantine_index[key] = position
            item["reason"] = target
            device = devices.get(outcome.device_id)
            hint = device.bindings[-1].attribution.ward_id if device and device.bindings else None
            for column, value in zip(
                quarantine_cols,
                (
                    key,
                    target,
                    vendor_id,
                    outcome.device_id,
                    hint,
                    outcome.code,
                    outcome.value,
                    outcome.unit,
                    code_value,
                    provenance,
                    outcome.vendor_reading_id,
                    outcome.observed_at,
                ),
                strict=True,
            ):
                column.append(value)

    if store_index:
        rows = await conn.fetch(_INSERT_READINGS, *store_cols, vendor_id, entered_by)
        for row in rows:
            key = row[0]
            items[store_index[key]]["status"] = STORED
            reading, target = pending[key]
            stored_readings.append((reading, target, key))
    if quarantine_index:
        for row in await conn.fetch(_INSERT_QUARANTINE, *quarantine_cols):
            items[quarantine_index[row[0]]]["status"] = QUARANTINED
    for item in items:
        status = item["status"]
        if status != REFUSED:
            counts[status] += 1  # type: ignore[index]

    alerts: list[uuid.UUID] = []
    if stored_readings:
        corrected = [supersedes[store_index[key]] for _, _, key in stored_readings
                     if store_index[key] in supersedes]  # fmt: skip
        alerts = await scoring.after_store(
            conn, stored_readings, settings=settings, superseded=corrected
        )
    return IngestReport(items, counts, alerts)
