"""The ingest hot path, in sequence: store each reading once (or quarantine it), score, raise.

Works on the request transaction's raw asyncpg connection with array parameters (one round
trip per step for a whole batch) and no per-item ORM objects. Scoring (scoring.engine) and
raising alerts (alerts.raising) run in the same transaction, so an alert exists if and only
if the readings that caused it do.

Item outcomes: `stored`; `duplicate` (the same reading again); `conflict` (its id already
names a different reading: a vendor bug, so neither is changed); `quarantined`; `withdrawn`;
`refused`. Revisions (canonical.Revision) find the newest reading of their identifier under
the vendor's own scope, walking the `supersedes` chain from the first report with an advisory
lock per identifier (so two corrections of one reading cannot fork the chain): a correction
is stored superseding it (attributed to the same admission), a withdrawal is stored as a row
that supersedes it with `withdrawn` set. A correction of a reading never seen is stored,
superseding the key its first report would have, so that report, arriving late, is stored
but never scored; a withdrawal of a reading never seen is refused. Batches without
revisions pay nothing for them.
"""

from __future__ import annotations

import hashlib
import uuid
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from services.monitoring_ingest.alerts.raising import mark_withdrawn, raise_alerts
from services.monitoring_ingest.domain.canonical import CanonicalReading, Provenance, Revision
from services.monitoring_ingest.domain.outcomes import ItemOutcome, Refusal, RefusalReason
from services.monitoring_ingest.domain.stored import Attribution, StoredReading
from services.monitoring_ingest.scoring.engine import score_and_check
from services.monitoring_ingest.settings import IngestSettings
from shared.problems import Forbidden

CLINICIAN_SCOPE = b"clinician-entry"

STORED, DUPLICATE, QUARANTINED, REFUSED = "stored", "duplicate", "quarantined", "refused"
CONFLICT, WITHDRAWN = "conflict", "withdrawn"


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


def _scoped(scope: bytes, key: str) -> bytes:
    return hashlib.sha256(scope + key.encode()).digest()


@dataclass(frozen=True, slots=True)
class _Head:
    """The newest reading of an identifier: what a revision supersedes."""

    key: bytes
    attribution: Attribution
    reading: CanonicalReading
    withdrawn: bool


_INSERT_READINGS = """
WITH input AS (
    SELECT * FROM unnest($1::bytea[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::text[],
                         $6::text[], $7::float8[], $8::text[], $9::text[], $10::text[],
                         $11::text[], $12::bytea[], $15::bool[])
        AS t(reading_key, observed_at, admission_id, ward_id, device_id, code, value, unit,
             code_value, provenance, vendor_reading_id, supersedes, withdrawn)
), fresh AS (
    INSERT INTO monitoring.reading_identities (reading_key, observed_at)
    SELECT reading_key, observed_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING reading_key
)
INSERT INTO monitoring.readings (reading_key, observed_at, admission_id, ward_id, vendor_id,
    device_id, code, value, unit, code_value, provenance, vendor_reading_id, entered_by,
    supersedes, withdrawn)
SELECT i.reading_key, i.observed_at, i.admission_id, i.ward_id, $13::uuid, i.device_id, i.code,
       i.value, i.unit, i.code_value, i.provenance, i.vendor_reading_id, $14::text, i.supersedes,
       i.withdrawn
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

# The newest reading of each identifier: the chain of corrections from its first report.
_HEADS = """
WITH RECURSIVE chain(base, key, depth) AS (
    SELECT b, b, 0 FROM unnest($1::bytea[]) AS b  -- the first report need not be stored yet
    UNION ALL
    SELECT c.base, r.reading_key, c.depth + 1
    FROM chain c JOIN monitoring.readings r ON r.supersedes = c.key
)
SELECT DISTINCT ON (c.base) c.base, r.reading_key, r.admission_id, r.ward_id, r.device_id,
       r.code, r.value, r.unit, r.observed_at, r.provenance, r.vendor_reading_id, r.code_value,
       r.withdrawn
FROM chain c JOIN monitoring.readings r ON r.reading_key = c.key
ORDER BY c.base, c.depth DESC
"""

# What duplicates' ids already name, to tell a repeat from a re-used id.
_STORED_CONTENT = """
SELECT reading_key, code, value, code_value, observed_at FROM monitoring.readings
WHERE reading_key = ANY($1::bytea[])
UNION ALL
SELECT reading_key, code, value, code_value, observed_at FROM monitoring.quarantined_readings
WHERE reading_key = ANY($1::bytea[])
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
    keys: dict[int, bytes] | None = None,
) -> IngestReport:
    """Store each reading once, quarantine what cannot be attributed, score, raise alerts.

    A vendor batch is attributed by each reading's device binding at its observed time;
    clinician entries (and re-attributed quarantine) come with a fixed `attribution`.
    `keys` gives identities already assigned by position (a quarantined reading keeps the
    key it was quarantined under, which its identifier system went into).
    """
    batch = _Batch(
        scope or (vendor_id.bytes if vendor_id else CLINICIAN_SCOPE), supersedes or {}, keys or {}
    )
    devices: dict[str, _DeviceBindings] = {}
    if attribution is None:
        assert vendor_id is not None
        devices = await _vendor_devices(conn, vendor_id, outcomes)
    heads = await batch.load_heads(conn, outcomes)
    for position, outcome in enumerate(outcomes):
        if isinstance(outcome, Refusal):
            batch.refuse(position, outcome)
            continue
        if outcome.revision is not Revision.ORIGINAL and batch.revise(position, outcome, heads):
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
        withdrawn = [s.attribution.admission_id for s in stored if s.withdrawn]
        if withdrawn:
            await mark_withdrawn(conn, withdrawn, now=now)
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

    def __init__(self, scope: bytes, supersedes: dict[int, bytes], keys: dict[int, bytes]) -> None:
        self.scope, self.supersedes, self.keys = scope, supersedes, keys
        self.items: list[dict[str, object]] = []
        self.refused = 0
        self.store_cols: tuple[list[object], ...] = tuple([] for _ in range(13))
        self.quarantine_cols: tuple[list[object], ...] = tuple([] for _ in range(12))
        self.store_index: dict[bytes, int] = {}
        self.quarantine_index: dict[bytes, int] = {}
        self.pending: dict[bytes, tuple[CanonicalReading, Attribution, bytes | None, bool]] = {}
        self.first: dict[bytes, CanonicalReading] = {}  # first occurrence of each key
        self.with_id: list[tuple[dict[str, object], CanonicalReading]] = []
        self.revising = False  # whether the batch holds revisions (then heads are tracked)
        self.local_heads: dict[bytes, _Head] = {}  # identifier -> newest in this batch
        self.orphans: dict[int, bytes] = {}  # corrections whose first report is not stored

    async def load_heads(
        self, conn: asyncpg.Connection, outcomes: Sequence[ItemOutcome]
    ) -> dict[bytes, _Head]:
        """The stored newest reading of each identifier the batch revises, locked."""
        bases = sorted(
            {
                _scoped(self.scope, o.original_key() or "")
                for o in outcomes
                if isinstance(o, CanonicalReading) and o.revision is not Revision.ORIGINAL
            }
        )
        if not bases:
            return {}
        self.revising = True
        for base in bases:  # sorted, and always before scoring's locks: no deadlock
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"revise:{base.hex()}"
            )
        heads = {}
        for row in await conn.fetch(_HEADS, bases):
            reading = CanonicalReading(
                row[4], row[5], row[6], row[7], row[8], Provenance(row[9]), row[10], row[11]
            )
            heads[row[0]] = _Head(row[1], Attribution(row[2], row[3]), reading, row[12])
        return heads

    def refuse(self, position: int, refusal: Refusal) -> None:
        self.refused += 1
        self.items.append(
            {"index": position, "status": REFUSED, "item": refusal.item,
             "pointer": refusal.pointer, "reason": str(refusal.reason), "detail": refusal.detail}
        )  # fmt: skip

    def revise(self, position: int, reading: CanonicalReading, heads: dict[bytes, _Head]) -> bool:
        """Queue a correction or withdrawal of a known reading; False: treat it as new."""
        base = _scoped(self.scope, reading.original_key() or "")
        head = self.local_heads.get(base) or heads.get(base)
        if reading.revision is Revision.CORRECTION:
            if head is None:
                # The first we hear of this reading: stored as new, but superseding its first
                # report's key, so a first report arriving after it is never scored.
                self.orphans[position] = base
                return False
            self._queue(position, reading, head.attribution, head.key, withdrawn=False)
            return True
        if head is None:
            self.refuse(position, Refusal(
                position, "", RefusalReason.UNKNOWN_READING,
                f"no stored reading {reading.vendor_reading_id!r} of this device to withdraw",
            ))  # fmt: skip
            return True
        if head.withdrawn:
            key = head.key
            self.items.append({"index": position, "status": DUPLICATE, "key": key.hex(),
                               "id": reading.vendor_reading_id})  # fmt: skip
            return True
        h = head.reading
        withdrawal = CanonicalReading(
            h.device_id, h.code, h.value, h.unit, h.observed_at, reading.provenance,
            reading.vendor_reading_id, h.code_value, reading.id_system, Revision.WITHDRAWAL,
        )  # fmt: skip
        self._queue(position, withdrawal, head.attribution, head.key, withdrawn=True)
        return True

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
        if isinstance(target, Attribution):
            corrects = self.supersedes.get(position) or self.orphans.get(position)
            self._queue(position, reading, target, corrects, withdrawn=False)
            return
        key = self.keys.get(position) or identity(self.scope, reading)
        if self._repeated(position, key, reading):
            return
        self.quarantine_index[key] = position
        self.items[-1]["reason"] = target
        r = reading
        row = (
            key, target, vendor_id, r.device_id, ward_hint, r.code, r.value, r.unit,
            r.code_value, str(r.provenance), r.vendor_reading_id, r.observed_at,
        )  # fmt: skip
        for column, value in zip(self.quarantine_cols, row, strict=True):
            column.append(value)

    def _repeated(self, position: int, key: bytes, reading: CanonicalReading) -> bool:
        """Append the item (duplicate until written); True if its key came earlier in the batch."""
        item: dict[str, object] = {"index": position, "status": DUPLICATE, "key": key.hex()}
        if reading.vendor_reading_id is not None:
            item["id"] = reading.vendor_reading_id
            self.with_id.append((item, reading))
        self.items.append(item)
        first = self.first.get(key)
        if first is None:
            self.first[key] = reading
            return False
        if not _same(first, reading.code, reading.value, reading.code_value, reading.observed_at):
            _conflict(item)
        return True  # repeated within this batch: the first occurrence decides

    def _queue(
        self,
        position: int,
        reading: CanonicalReading,
        target: Attribution,
        corrects: bytes | None,
        *,
        withdrawn: bool,
    ) -> None:
        key = self.keys.get(position) or identity(self.scope, reading)
        if self._repeated(position, key, reading):
            return
        if corrects is not None and reading.revision is not Revision.ORIGINAL:
            self.items[-1]["supersedes"] = corrects.hex()
        self.store_index[key] = position
        self.pending[key] = (reading, target, corrects, withdrawn)
        if self.revising and reading.vendor_reading_id is not None:
            base = _scoped(self.scope, reading.original_key() or "")
            # A first report after its own correction (out of order) is never the newest.
            if reading.revision is not Revision.ORIGINAL or base not in self.local_heads:
                self.local_heads[base] = _Head(key, target, reading, withdrawn)
        r = reading
        row: tuple[object, ...] = (
            key, r.observed_at, target.admission_id, target.ward_id, r.device_id, r.code,
            r.value, r.unit, r.code_value, str(r.provenance), r.vendor_reading_id, corrects,
            withdrawn,
        )  # fmt: skip
        for column, value in zip(self.store_cols, row, strict=True):
            column.append(value)

    async def write(
        self, conn: asyncpg.Connection, *, vendor_id: uuid.UUID | None, entered_by: str | None
    ) -> list[StoredReading]:
        """Store and quarantine what is new; mark the items; the readings stored just now."""
        stored: list[StoredReading] = []
        if self.store_index:
            cols = _by_key(self.store_cols)
            rows = await conn.fetch(_INSERT_READINGS, *cols[:12], vendor_id, entered_by, cols[12])
            for (key,) in rows:
                reading, target, corrects, withdrawn = self.pending[key]
                self.items[self.store_index[key]]["status"] = WITHDRAWN if withdrawn else STORED
                stored.append(StoredReading(reading, target, key, corrects, withdrawn))
        if self.quarantine_index:
            for row in await conn.fetch(_INSERT_QUARANTINE, *_by_key(self.quarantine_cols)):
                self.items[self.quarantine_index[row[0]]]["status"] = QUARANTINED
        await self._find_conflicts(conn)
        return stored

    async def _find_conflicts(self, conn: asyncpg.Connection) -> None:
        """Duplicates whose id already names a different stored reading are conflicts."""
        suspects: dict[bytes, list[tuple[dict[str, object], CanonicalReading]]] = {}
        for item, reading in self.with_id:
            if item["status"] == DUPLICATE:
                suspects.setdefault(bytes.fromhex(str(item["key"])), []).append((item, reading))
        if not suspects:
            return
        for key, code, value, code_value, observed_at in await conn.fetch(
            _STORED_CONTENT, list(suspects)
        ):
            for item, reading in suspects.pop(key, []):
                if not _same(reading, code, value, code_value, observed_at):
                    _conflict(item)

    def counts(self) -> dict[str, int]:
        counts = {STORED: 0, DUPLICATE: 0, CONFLICT: 0, QUARANTINED: 0, WITHDRAWN: 0,
                  REFUSED: self.refused}  # fmt: skip
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


def _same(
    reading: CanonicalReading,
    code: str,
    value: float,
    code_value: str | None,
    observed_at: datetime,
) -> bool:
    """Whether a reading is the one already stored under its key (values to rounding)."""
    return (
        reading.code == code
        and reading.code_value == code_value
        and reading.observed_at == observed_at
        and abs(reading.value - value) <= 1e-9 * max(1.0, abs(value))
    )


def _conflict(item: dict[str, object]) -> None:
    item["status"] = CONFLICT
    item["reason"] = "id_conflict"
    item["detail"] = f"id {item.get('id')!r} already names a different reading; neither changed"
