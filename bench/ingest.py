"""Ingest throughput: how cost grows with batch size over real HTTP, vs a raw COPY, and latency.

Starts PostgreSQL (DATABASE_URL or the embedded server), a fresh database, and
monitoring_ingest under uvicorn on loopback; registers a vendor and binds devices; then
  1. posts pre-encoded, signed native batches of 1, 10, 100 and 1,000 readings from
     concurrent clients, each size given the same work (BENCH_READINGS readings) bounded by
     the same time (BENCH_SECONDS) (attribution, exactly-once insert, NEWS2 scoring per
     admission all included), and fits time per request = fixed + per-reading x size,
  2. COPYs as many rows as the 1,000-reading batches stored straight into
     monitoring.readings (the ceiling), and
  3. posts single readings one at a time for p50/p99 latency.
The vendor rate limit is lifted for the run: it is the server's cost being measured, not
the limiter. Bounded: under a minute in all. `python -m bench ingest`.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import orjson
from sqlalchemy.engine import make_url

from services.monitoring_ingest.vendors.credentials import sign
from shared.auth import Role, TokenCodec
from shared.database import driver_free_url
from shared.db_url import ensure_database, resolve_database_url
from shared.embedded_pg import free_port
from shared.settings import DEV_JWT_SECRET, REPO_ROOT

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1,10,100,1000").split(","))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))  # per batch size
READINGS = int(os.environ.get("BENCH_READINGS", "120000"))  # per batch size, at most
MAX_REQUESTS_PER_SECOND = 4000  # bodies pre-built for small batches: more than can be sent
COPY_MAX_ROWS = 150_000
DEVICES = 200
SINGLE_POSTS = 300
LATENCY_SECONDS = 6.0
PATH = "/v1/readings/native"
CODES = (("rr", 16, "/min"), ("spo2", 97, "%"), ("sbp", 125, "mm[Hg]"), ("hr", 70, "/min"),
         ("temp", 37.0, "Cel"))  # fmt: skip


class _Readings:
    """Distinct native readings, 10 ms apart from two days ago, 50 per device in turn."""

    def __init__(self, devices: list[str]) -> None:
        self.devices = devices
        self.start = datetime.now(UTC) - timedelta(days=2)
        self.n = 0

    def batches(self, size: int, count: int) -> list[bytes]:
        bodies = []
        for _ in range(count):
            readings = []
            for n in range(self.n, self.n + size):
                code, value, unit = CODES[n % len(CODES)]
                readings.append(
                    {"device_id": self.devices[(n // 50) % len(self.devices)], "code": code,
                     "value": value + (n % 3), "unit": unit,
                     "at": self.start + timedelta(milliseconds=10 * n)}
                )  # fmt: skip
            self.n += size
            bodies.append(orjson.dumps({"device_id": self.devices[0], "readings": readings}))
        return bodies


def _headers(creds: dict, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "X-Vendor-Id": creds["vendor_id"],
        "X-Api-Key": creds["api_key"],
        "X-Timestamp": ts,
        "X-Signature": sign(
            creds["signing_secret"], timestamp=ts, method="POST", path=PATH, body=body
        ),
        "content-type": "application/json",
    }


async def _setup(base: str, admin: dict, service: dict) -> tuple[dict, list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post(
            "/v1/admin/vendors", json={"name": f"bench-{uuid.uuid4()}"}, headers=admin
        )
        response.raise_for_status()
        key = response.json()["issued_key"]
        creds = {
            "vendor_id": key["vendor_id"],
            "api_key": key["api_key"],
            "signing_secret": key["signing_secret"],
        }
        devices = [f"BENCH-{i:04d}" for i in range(DEVICES)]
        bound_at = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        for device in devices:
            r = await client.put(
                f"/v1/internal/bindings/{creds['vendor_id']}/{device}",
                json={"admission_id": str(uuid.uuid4()), "ward_id": str(uuid.uuid4()),
                      "expected_interval_minutes": 240, "bound_at": bound_at},
                headers=service,
            )  # fmt: skip
            r.raise_for_status()
    return creds, devices


async def _sustained(base: str, creds: dict, bodies: list[bytes]) -> tuple[int, int, float, int]:
    """(readings stored, requests, seconds, readings not stored) posting until done or time."""
    queue = list(reversed(bodies))
    stored = 0
    errors = 0
    deadline = time.perf_counter() + SECONDS
    requests = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal stored, errors, requests
        while queue and time.perf_counter() < deadline:
            body = queue.pop()
            response = await client.post(PATH, content=body, headers=_headers(creds, body))
            requests += 1
            if response.status_code == 200:
                counts = orjson.loads(response.content)["counts"]
                stored += counts["stored"]
                errors += counts["refused"] + counts["quarantined"] + counts["duplicate"]
            else:
                errors += 1

    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return stored, requests, elapsed, errors


async def _copy(url: str, rows: int) -> float:
    """Rows/s of COPY of the same shape of rows into the partitioned readings table."""
    conn = await asyncpg.connect(driver_free_url(url))
    try:
        start = datetime.now(UTC) - timedelta(days=2)
        admission, ward = uuid.uuid4(), uuid.uuid4()
        records = [
            (hashlib.sha256(f"copy{i}".encode()).digest(), start + timedelta(seconds=i), admission,
             ward, "COPY-1", "8867-4", 70.0, "/min", None, "device", None)
            for i in range(rows)
        ]  # fmt: skip
        columns = ["reading_key", "observed_at", "admission_id", "ward_id", "device_id", "code",
                   "value", "unit", "code_value", "provenance", "vendor_reading_id"]  # fmt: skip
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "readings", schema_name="monitoring", records=records, columns=columns
        )
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


async def _analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum keeps them in steady state.

    Without it, plans cached per connection while the month's partition was nearly empty
    outlive its growth until autovacuum's next analyse (a minute or more), and the phase
    after a big one measures that lag rather than ingest.
    """
    conn = await asyncpg.connect(driver_free_url(url))
    try:
        await conn.execute("ANALYZE monitoring.readings, monitoring.reading_identities")
    finally:
        await conn.close()


async def _latency(base: str, creds: dict, devices: list[str]) -> list[float]:
    """Sequential single-reading posts: SINGLE_POSTS of them, or LATENCY_SECONDS' worth."""
    timings: list[float] = []
    start = datetime.now(UTC) - timedelta(hours=2)
    deadline = time.perf_counter() + LATENCY_SECONDS
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(SINGLE_POSTS):
            if time.perf_counter() > deadline:
                break
            at = (start + timedelta(seconds=i)).isoformat()
            body = orjson.dumps(
                {"device_id": devices[i % len(devices)],
                 "readings": [{"code": "hr", "value": 72, "unit": "/min", "at": at}]}
            )  # fmt: skip
            t0 = time.perf_counter()
            response = await client.post(PATH, content=body, headers=_headers(creds, body))
            timings.append(time.perf_counter() - t0)
            response.raise_for_status()
    return timings


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares of seconds per request against batch size: (fixed s, s per reading)."""
    if len(points) < 2:
        return points[0][1] if points else 0.0, 0.0
    mean_n = statistics.fmean(n for n, _ in points)
    mean_t = statistics.fmean(t for _, t in points)
    spread = sum((n - mean_n) ** 2 for n, _ in points)
    slope = sum((n - mean_n) * (t - mean_t) for n, t in points) / spread
    return mean_t - slope * mean_n, slope


def _figures(
    phases: dict[int, tuple[int, int, float, int]], copy_rate: float, timings: list[float]
) -> list[tuple[str, str]]:
    largest = max(phases)
    rates = {size: stored / elapsed for size, (stored, _, elapsed, _) in phases.items()}
    rows = [
        ("clients x uvicorn workers; per size: readings / seconds",
         f"{CLIENTS} x {WORKERS}; <= {READINGS:,} / <= {SECONDS:g}"),
    ]  # fmt: skip
    for size, (stored, requests, elapsed, errors) in phases.items():
        per_request_ms = elapsed / requests * 1000 if requests else float("nan")
        rows += [
            (f"native {size:>5}/request readings/s", f"{rates[size]:,.0f}"),
            (
                "  requests/s; ms/request; us/reading",
                f"{requests / elapsed:,.0f}; {per_request_ms:.2f}; {1e6 / rates[size]:.1f}",
            ),
            ("  stored / seconds / not stored", f"{stored:,} / {elapsed:.1f} / {errors}"),
            (f"  rate / rate at {largest}/request", f"{rates[size] / rates[largest]:.3f}"),
        ]
    fixed, per_reading = _fit([(size, p[2] / p[1]) for size, p in phases.items() if p[1]])
    rows += [
        ("time per request fit: fixed ms + us/reading",
         f"{fixed * 1000:.2f} + {per_reading * 1e6:.1f} x size"),
        ("raw COPY readings/s (same table)", f"{copy_rate:,.0f}"),
        (f"rate at {largest}/request / COPY rate", f"{rates[largest] / copy_rate:.0%}"),
        ("single-reading posts", f"{len(timings)}"),
        ("single-reading post p50 ms", f"{statistics.median(timings) * 1000:.1f}"),
        ("single-reading post p99 ms", f"{_percentile(timings, 99) * 1000:.1f}"),
        ("load average 1/5/15 min at end", " / ".join(f"{x:.1f}" for x in os.getloadavg())),
    ]  # fmt: skip
    return rows


def run() -> list[tuple[str, str]]:
    server_url = resolve_database_url()
    name = f"vward_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(server_url, name)
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    from shared.migrate import upgrade

    upgrade(url)
    port = free_port()
    secret = os.environ.get("VWARD_JWT_SECRET", DEV_JWT_SECRET)
    env = {**os.environ, "DATABASE_URL": url, "INGEST_RELAY_ENABLED": "false",
           "VWARD_JWT_SECRET": secret, "PYTHONPATH": str(REPO_ROOT),
           "INGEST_LOG_LEVEL": "WARNING", "INGEST_RATE_LIMIT_PER_SECOND": "1000000",
           "INGEST_RATE_LIMIT_BURST": "1000000"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "services.monitoring_ingest.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(WORKERS), "--no-access-log",
         "--log-level", "warning", "--loop", "uvloop", "--http", "httptools"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        codec = TokenCodec(secret)
        admin = {"Authorization": f"Bearer {codec.issue(subject='bench', role=Role.admin)}"}
        service = {"Authorization": f"Bearer {codec.issue(subject='bench', role=Role.service)}"}

        async def main() -> list[tuple[str, str]]:
            creds, devices = await _setup(base, admin, service)
            source = _Readings(devices)
            phases: dict[int, tuple[int, int, float, int]] = {}
            for size in sorted(SIZES, reverse=True):  # the headline first, on a fresh table
                count = min(READINGS // size, int(SECONDS * MAX_REQUESTS_PER_SECOND)) + CLIENTS
                bodies = source.batches(size, count)
                await _analyze(url)
                phases[size] = await _sustained(base, creds, bodies)
            largest = max(SIZES)
            copy_rate = await _copy(url, min(max(phases[largest][0], 10_000), COPY_MAX_ROWS))
            await _analyze(url)
            timings = await _latency(base, creds, devices)
            return _figures(dict(sorted(phases.items())), copy_rate, timings)

        return asyncio.run(main())
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        from tests.conftest import _drop_database

        _drop_database(server_url, name)
