"""The ingest hot path, in sequence: store each reading once (or quarantine it), score, raise.

Works on the request transaction's raw asyncpg connection with array parameters (one round
trip per step for a whole batch) and no per-item ORM objects. Scoring (scoring.engine) and
raising alerts (alerts.raising) run in the same transaction, so an alert exists if and only
if the readings that caused it do.
"""

from __future__ import annotations

import hashlib
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from services.monitoring_ingest.alerts.raising import raise_alerts
from services.monitoring_ingest.domain.canonical import CanonicalReading
from services.monitoring_ingest.domain.outcomes import ItemOutcome, Refusal
from services.monitoring_ingest.domain.stored import Attribution, StoredReading
from services.monitoring_ingest.scoring.engine import score_and_check
from services.monitoring_ingest.settings import IngestSettings
from shared.problems import Forbidden

CLINICIAN_SCOPE = b"clinician-entry"

STORED, DUPLICATE, QUARANTINED, REFUSED = "stored", "duplicate", "quarantined", "refused"


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
    """Store each reading once, quarantine what cannot be attributed, score, raise alerts.

    A vendor batch is attributed by each reading's device binding at its observed time;
    clinician entries (and re-attributed quarantine) come with a fixed `attribution`.
    """
    batch = _Batch(scope or (vendor_id.bytes if vendor_id else CLINICIAN_SCOPE), supersedes or {})
    devices: dict[str, _DeviceBindings] = {}
    if attribution is None:
        assert vendor_id is not None
        devices = await _vendor_devices(conn, vendor_id, outcomes)
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, Refusal):
            batch.refuse(position, outcome)
            continue
        device = devices.get(outcome.device_id)
        target = attribution or _attribute(device, outcome.observed_at)
        hint = None  # for quarantine: the ward the device was last bound to
        if not isinstance(target, Attribution) and device and device.bindings:
            hint = device.bindings[-1].attribution.ward_id
        batch.add(position, outcome, target, vendor_id=vendor_id, ward_hint=hint)
    stored = await batch.write(conn, vendor_id=vendor_id, entered_by=entered_by)
    alerts: list[uuid.UUID] = []
    if stored:
        now = datetime.now(UTC)
        candidates = await score_and_check(conn, stored, settings=settings, now=now)
        alerts = await raise_alerts(conn, candidates, settings=settings, now=now)
    return IngestReport(batch.items, batch.counts(), alerts)


async def _vendor_devices(
    conn: asyncpg.Connection, vendor_id: uuid.UUID, outcomes: Sequence[ItemOutcome]
) -> dict[str, _DeviceBindings]:
    """The batch's devices with their bindings; refused whole if one is another vendor's."""
    serials = {o.device_id for o in outcomes if isinstance(o, CanonicalReading)}
    devices = await _device_bindings(conn, vendor_id, sorted(serials))
    foreign = sorted(s for s, d in devices.items() if d.other_vendor and not d.mine)
    if foreign:
        raise Forbidden(
            "devices registered to another vendor", slug="wrong-vendor", devices=foreign
        )
    return devices


class _Batch:
    """A batch's items in payload order, and the columns of what to store or quarantine."""

    def __init__(self, scope: bytes, supersedes: dict[int, bytes]) -> None:
        self.scope, self.supersedes = scope, supersedes
        self.items: list[dict[str, object]] = []
        self.refused = 0
        self.store_cols: tuple[list[object], ...] = tuple([] for _ in range(12))
        self.quarantine_cols: tuple[list[object], ...] = tuple([] for _ in range(12))
        self.store_index: dict[bytes, int] = {}
        self.quarantine_index: dict[bytes, int] = {}
        self.pending: dict[bytes, tuple[CanonicalReading, Attribution, bytes | None]] = {}

    def refuse(self, position: int, refusal: Refusal) -> None:
        self.refused += 1
        self.items.append(
            {"index": position, "status": REFUSED, "item": refusal.item,
             "pointer": refusal.pointer, "reason": str(refusal.reason), "detail": refusal.detail}
        )  # fmt: skip

    def add(
        self,
        position: int,
        reading: CanonicalReading,
        target: Attribution | str,
        *,
        vendor_id: uuid.UUID | None,
        ward_hint: uuid.UUID | None,
    ) -> None:
        """Queue a reading to store (or quarantine, `target` saying why); duplicate by default."""
        key = identity(self.scope, reading)
        item: dict[str, object] = {"index": position, "status": DUPLICATE, "key": key.hex()}
        if reading.vendor_reading_id is not None:
            item["id"] = reading.vendor_reading_id
        self.items.append(item)
        if key in self.store_index or key in self.quarantine_index:
            return  # repeated within this batch: the first occurrence decides
        r = reading
        if isinstance(target, Attribution):
            self.store_index[key] = position
            corrects = self.supersedes.get(position)
            self.pending[key] = (reading, target, corrects)
            row: tuple[object, ...] = (
                key, r.observed_at, target.admission_id, target.ward_id, r.device_id, r.code,
                r.value, r.unit, r.code_value, str(r.provenance), r.vendor_reading_id, corrects,
            )  # fmt: skip
            columns = self.store_cols
        else:
            self.quarantine_index[key] = position
            item["reason"] = target
            row = (
                key, target, vendor_id, r.device_id, ward_hint, r.code, r.value, r.unit,
                r.code_value, str(r.provenance), r.vendor_reading_id, r.observed_at,
            )  # fmt: skip
            columns = self.quarantine_cols
        for column, value in zip(columns, row, strict=True):
            column.append(value)

    async def write(
        self, conn: asyncpg.Connection, *, vendor_id: uuid.UUID | None, entered_by: str | None
    ) -> list[StoredReading]:
        """Store and quarantine what is new; mark the items; the readings stored just now."""
        stored: list[StoredReading] = []
        if self.store_index:
            columns = _by_key(self.store_cols)
            rows = await conn.fetch(_INSERT_READINGS, *columns, vendor_id, entered_by)
            for (key,) in rows:
                self.items[self.store_index[key]]["status"] = STORED
                reading, target, corrects = self.pending[key]
                stored.append(StoredReading(reading, target, key, corrects))
        if self.quarantine_index:
            for row in await conn.fetch(_INSERT_QUARANTINE, *_by_key(self.quarantine_cols)):
                self.items[self.quarantine_index[row[0]]]["status"] = QUARANTINED
        return stored

    def counts(self) -> dict[str, int]:
        counts = {STORED: 0, DUPLICATE: 0, QUARANTINED: 0, REFUSED: self.refused}
        for item in self.items:
            status = str(item["status"])
            if status != REFUSED:
                counts[status] += 1
        return counts


def _by_key(columns: tuple[list[object], ...]) -> tuple[list[object], ...]:
    """The columns' rows in key order (the first column): two batches holding the same new
    readings in other orders then take the identities' row locks in one order, and wait for
    each other instead of deadlocking."""
    order = sorted(range(len(columns[0])), key=lambda i: columns[0][i])  # type: ignore[arg-type,return-value]
    return tuple([column[i] for i in order] for column in columns)
