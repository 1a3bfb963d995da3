"""Live-event latency: commit to SSE client, with 200 streams open on ward_api.

Starts ward_api and monitoring_ingest as real processes (uvicorn, loopback) on a fresh
database, binds a device to each of WARDS x ADMISSIONS admissions, opens STREAMS SSE streams
(STREAMS / WARDS per ward, one caller each), then measures, for every stream of the ward:
  1. reading -> SSE: a high NEWS2 set posted to monitoring_ingest, from its answer (the
     reading's commit is before it) until `alert.raised` arrives; includes the alert relay's
     poll (INGEST_RELAY_POLL_SECONDS, set to RELAY_POLL here);
  2. ward commit -> SSE: an alert posted straight to ward_api, from its 201 (after commit);
the database connections ward_api holds with every stream open and idle, and its memory.
Bounded: every wait has a deadline; about a minute in all. `python -m bench events`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson

from services.monitoring_ingest.vendors.credentials import sign
from shared.auth import Role, TokenCodec
from shared.database import driver_free_url
from shared.embedded_pg import free_port
from shared.settings import DEV_JWT_SECRET

WARDS = int(os.environ.get("BENCH_EVENT_WARDS", "20"))
STREAMS = int(os.environ.get("BENCH_EVENT_STREAMS", "200"))
ADMISSIONS = 3  # per ward: one alert each through the relay (ingest de-duplicates repeats)
DIRECT = 3  # alerts posted straight to ward_api per admission
RELAY_POLL = 0.1
WAIT = 20.0  # seconds for one event to reach every stream of its ward
NATIVE = "/v1/readings/native"
CODEC = TokenCodec(DEV_JWT_SECRET)


def _bearer(
    role: Role,
    subject: str = "bench",
    *,
    icbs: list[str] | None = None,
    wards: list[str] | None = None,
) -> dict[str, str]:
    token = CODEC.issue(subject=subject, role=role, icbs=icbs or [], wards=wards or [])
    return {"Authorization": f"Bearer {token}"}


def _nhs(i: int) -> str:
    while True:
        digits = [9, *map(int, f"{i:08d}")]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        i += 10**7


def _news2_high(device: str) -> bytes:
    at = datetime.now(UTC).isoformat()
    values = [("rr", 25, "/min"), ("spo2", 91, "%"), ("sbp", 125, "mm[Hg]"),
              ("hr", 131, "/min"), ("temp", 37.0, "Cel")]  # fmt: skip
    readings: list[dict[str, object]] = [
        {"id": uuid.uuid4().hex, "code": c, "value": v, "unit": u, "at": at} for c, v, u in values
    ]
    readings.append({"id": uuid.uuid4().hex, "code": "acvpu", "value": "A", "at": at})
    readings.append({"id": uuid.uuid4().hex, "code": "on_oxygen", "value": False, "at": at})
    return orjson.dumps({"device_id": device, "readings": readings})


def _signed(creds: dict, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    signature = sign(creds["signing_secret"], timestamp=ts, method="POST", path=NATIVE, body=body)
    return {"X-Vendor-Id": creds["vendor_id"], "X-Api-Key": creds["api_key"],
            "X-Timestamp": ts, "X-Signature": signature,
            "content-type": "application/json"}  # fmt: skip


class _Arrivals:
    """When each stream first saw each alert id (alert.raised), fed by one task per stream."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[int, float]] = defaultdict(dict)
        self.changed = asyncio.Condition()

    async def follow(self, n: int, response: httpx.Response) -> None:
        kind = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "alert.raised":
                alert_id = json.loads(line[6:])["payload"]["alert_id"]
                self.seen[alert_id][n] = time.perf_counter()
                async with self.changed:
                    self.changed.notify_all()

    async def wait_all(self, alert_id: str, streams: set[int]) -> dict[int, float]:
        async with asyncio.timeout(WAIT), self.changed:
            await self.changed.wait_for(lambda: streams <= self.seen[alert_id].keys())
        return self.seen[alert_id]


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


def _resident(pid: int) -> str:
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return "?"
    line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
    return f"{int(line.split()[1]) / 1024:.0f} MiB"


async def _scalar(url: str, sql: str) -> object:
    conn = await asyncpg.connect(driver_free_url(url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _measure(url: str, ward_url: str, ingest_url: str, pid: int) -> list[tuple[str, str]]:
    """Event latency to STREAMS open SSE streams, via a reading and via a direct alert."""
    admin, service = _bearer(Role.admin), _bearer(Role.service, icbs=["*"], wards=["*"])
    limits = httpx.Limits(max_connections=STREAMS + 50, max_keepalive_connections=STREAMS + 50)
    timeout = httpx.Timeout(30.0, read=None)
    async with (
        httpx.AsyncClient(base_url=ward_url, timeout=timeout, limits=limits) as ward,
        httpx.AsyncClient(base_url=ingest_url, timeout=30) as ingest,
        contextlib.AsyncExitStack() as stack,
    ):
        r = await ingest.post("/v1/admin/vendors", json={"name": "bench-events"}, headers=admin)
        r.raise_for_status()
        creds = r.json()["issued_key"]
        wards = await _create_wards(ward, admin)
        admissions = await _admit_all(ward, wards, creds["vendor_id"])
        await _await_bound(url, len(admissions))
        arrivals, by_ward = await _open_streams(ward, stack, wards)
        await asyncio.sleep(1.0)
        connections = await _scalar(
            url, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'ward_api%'"
        )
        rss = _resident(pid)

        via_reading: list[float] = []
        for w, _, device in admissions:
            signed = _news2_high(device)
            r = await ingest.post(NATIVE, content=signed, headers=_signed(creds, signed))
            answered = time.perf_counter()
            r.raise_for_status()
            (alert_id,) = r.json()["alerts"]
            seen = await arrivals.wait_all(alert_id, by_ward[w])
            via_reading += [seen[n] - answered for n in by_ward[w]]
        direct: list[float] = []
        for w, admission_id, _ in admissions * DIRECT:
            alert_id = str(uuid.uuid4())
            body = {"alert_id": alert_id, "admission_id": admission_id, "ward_id": wards[w],
                    "kind": "threshold_breach", "detail": "bench",
                    "raised_at": datetime.now(UTC).isoformat()}  # fmt: skip
            r = await ward.post("/v1/internal/alerts", json=body, headers=service)
            committed = time.perf_counter()
            assert r.status_code == 201, r.text
            seen = await arrivals.wait_all(alert_id, by_ward[w])
            direct += [seen[n] - committed for n in by_ward[w]]
    return [
        (f"reading -> SSE, {STREAMS} streams (relay poll {RELAY_POLL}s)",
         f"{_percentiles(via_reading)} ({len(via_reading)} deliveries)"),
        (f"ward_api commit -> SSE, {STREAMS} streams",
         f"{_percentiles(direct)} ({len(direct)} deliveries)"),
        (f"ward_api DB connections (pool + listener), {STREAMS} streams idle", str(connections)),
        (f"ward_api resident memory, {STREAMS} streams", rss),
        ("load average (1, 5, 15 min)", " ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]  # fmt: skip


async def _create_wards(ward: httpx.AsyncClient, admin: dict[str, str]) -> list[str]:
    """Create WARDS wards of ADMISSIONS beds each; their ids."""
    wards = []
    for w in range(WARDS):
        body = {"name": f"events {w}", "icb_code": "E54000008", "provider_ods_code": "RBL",
                "provider_name": "Bench Trust", "pathways": ["frailty"],
                "beds": ADMISSIONS}  # fmt: skip
        r = await ward.post("/v1/wards", json=body, headers=admin)
        r.raise_for_status()
        wards.append(r.json()["id"])
    return wards


async def _admit_all(
    ward: httpx.AsyncClient, wards: list[str], vendor_id: str
) -> list[tuple[int, str, str]]:
    """Admit ADMISSIONS patients to each ward, each with a device; (ward index, id, device)."""
    anyone = _bearer(Role.clinician, wards=["*"])
    admissions = []
    for n in range(WARDS * ADMISSIONS):
        w = n % WARDS
        body = {"nhs_number": _nhs(n), "date_of_birth": "1950-01-01", "sex": "female",
                "ethnic_category": "A", "lsoa11cd": "E01012345", "own_device": True,
                "broadband": True, "housing_concern": False}  # fmt: skip
        r = await ward.post("/v1/patients", json=body, headers=anyone)
        r.raise_for_status()
        device = f"EVBENCH-{n:04d}"
        body = {"patient_id": r.json()["id"], "ward_id": wards[w], "pathway": "frailty",
                "referral_source": "gp",
                "device": {"vendor_id": vendor_id, "device_id": device}}  # fmt: skip
        r = await ward.post(
            "/v1/admissions", json=body, headers={**anyone, "Idempotency-Key": uuid.uuid4().hex}
        )
        r.raise_for_status()
        admissions.append((w, r.json()["id"], device))
    return admissions


async def _await_bound(url: str, count: int) -> None:
    """Wait up to 30 s for `count` admissions' devices to be bound."""
    deadline = time.monotonic() + 30
    while await _scalar(url, "SELECT count(*) FROM ward.admission WHERE binding_status "
                             "= 'bound'") != count:  # fmt: skip
        if time.monotonic() > deadline:
            raise TimeoutError("devices not bound within 30 s")
        await asyncio.sleep(0.2)


async def _open_streams(
    ward: httpx.AsyncClient, stack: contextlib.AsyncExitStack, wards: list[str]
) -> tuple[_Arrivals, dict[int, set[int]]]:
    """Open STREAMS event streams spread over the wards; what arrives, and streams per ward."""
    arrivals = _Arrivals()
    by_ward: dict[int, set[int]] = defaultdict(set)
    tasks = []
    for n in range(STREAMS):
        w = n % WARDS
        headers = _bearer(Role.clinician, subject=f"bench-{n}", wards=[wards[w]])
        response = await stack.enter_async_context(
            ward.stream("GET", f"/v1/wards/{wards[w]}/events", headers=headers)
        )
        response.raise_for_status()
        by_ward[w].add(n)
        tasks.append(asyncio.create_task(arrivals.follow(n, response)))
    stack.callback(lambda: [t.cancel() for t in tasks])
    return arrivals, by_ward


def run() -> list[tuple[str, str]]:
    from services.ward_api import reference_data
    from shared.scratch_db import scratch_database
    from shared.settings import DataSettings
    from vward.platform import Platform

    with scratch_database("vward_bench") as url, tempfile.TemporaryDirectory() as logs:
        reference_data.load(url, DataSettings().data_dir)
        ports = {"ward_api": free_port(), "monitoring_ingest": free_port()}
        platform = Platform(
            database_url=url,
            ports=ports,
            log_dir=logs,
            extra_env={
                "VWARD_ENVIRONMENT": "development",
                "WARD_BINDING_OUTBOX_ENABLED": "true",
                "WARD_BINDING_POLL_SECONDS": "0.1",
                "INGEST_RELAY_ENABLED": "true",
                "INGEST_RELAY_POLL_SECONDS": str(RELAY_POLL),
                "WARD_RATE_LIMIT_BURST": "100000",
                "INGEST_RATE_LIMIT_BURST": "100000",
                "WARD_LOG_LEVEL": "WARNING",
                "INGEST_LOG_LEVEL": "WARNING",
            },
        )
        try:
            for name in ports:
                platform.start(name)
            for name in ports:
                platform.wait_ready(name, timeout=60)
            pid = platform.running["ward_api"].process.pid
            return asyncio.run(
                _measure(
                    url, platform.url_of("ward_api"), platform.url_of("monitoring_ingest"), pid
                )
            )
        finally:
            platform.stop_all()
