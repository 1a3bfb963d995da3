"""Ingest throughput: the native batch endpoint over real HTTP vs a raw COPY, and latency.

Starts PostgreSQL (DATABASE_URL or the embedded server), a fresh database, and
monitoring_ingest under uvicorn on loopback; registers a vendor and binds devices; then
  1. posts pre-encoded, signed native batches from concurrent clients for a fixed time
     (attribution, exactly-once insert, NEWS2 scoring per admission all included),
  2. COPYs the same number of rows straight into monitoring.readings (the ceiling), and
  3. posts single readings one at a time for p50/p99 latency.
Bounded: about 40 s in all. `python -m bench ingest`.
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
from shared.db_url import ensure_database, resolve_database_url
from shared.embedded_pg import free_port
from shared.settings import DEV_JWT_SECRET, REPO_ROOT

BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
DEVICES = 200
SINGLE_POSTS = 300
PATH = "/v1/readings/native"
CODES = (("rr", 16, "/min"), ("spo2", 97, "%"), ("sbp", 125, "mm[Hg]"), ("hr", 70, "/min"),
         ("temp", 37.0, "Cel"))  # fmt: skip


def _asyncpg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _batches(devices: list[str], count: int) -> list[bytes]:
    """`count` native batches of BATCH readings, every reading distinct."""
    bodies = []
    start = datetime.now(UTC) - timedelta(days=2)  # 10 ms apart: all within the last day
    n = 0
    per_device = 50
    for _ in range(count):
        readings = []
        while len(readings) < BATCH:
            device = devices[(n // per_device) % len(devices)]
            at = (start + timedelta(milliseconds=10 * n)).isoformat()
            code, value, unit = CODES[n % len(CODES)]
            readings.append(
                {
                    "device_id": device,
                    "code": code,
                    "value": value + (n % 3),
                    "unit": unit,
                    "at": at,
                }
            )
            n += 1
        bodies.append(orjson.dumps({"device_id": devices[0], "readings": readings}))
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


async def _sustained(base: str, creds: dict, bodies: list[bytes]) -> tuple[int, float, int]:
    queue = list(reversed(bodies))
    stored = 0
    errors = 0
    deadline = time.perf_counter() + SECONDS

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal stored, errors
        while queue and time.perf_counter() < deadline:
            body = queue.pop()
            response = await client.post(PATH, content=body, headers=_headers(creds, body))
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
    return stored, elapsed, errors


async def _copy(url: str, rows: int) -> float:
    """Rows/s of COPY of the same shape of rows into the partitioned readings table."""
    conn = await asyncpg.connect(_asyncpg_url(url))
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


async def _latency(base: str, creds: dict, devices: list[str]) -> list[float]:
    timings = []
    start = datetime.now(UTC) - timedelta(hours=2)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(SINGLE_POSTS):
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
           "INGEST_LOG_LEVEL": "WARNING"}  # fmt: skip
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
            bodies = _batches(devices, int(SECONDS * 40_000 / BATCH) + CLIENTS)
            stored, elapsed, errors = await _sustained(base, creds, bodies)
            copy_rate = await _copy(url, max(stored, 10_000))
            timings = await _latency(base, creds, devices)
            http_rate = stored / elapsed
            return [
                ("native batch readings/s (HTTP, NEWS2 incl.)", f"{http_rate:,.0f}"),
                ("  batch size x clients x uvicorn workers", f"{BATCH} x {CLIENTS} x {WORKERS}"),
                ("  stored / seconds / not stored", f"{stored:,} / {elapsed:.1f} / {errors}"),
                ("raw COPY readings/s (same table)", f"{copy_rate:,.0f}"),
                ("HTTP rate as share of COPY", f"{http_rate / copy_rate:.0%}"),
                ("single-reading post p50 ms", f"{statistics.median(timings) * 1000:.1f}"),
                ("single-reading post p99 ms", f"{_percentile(timings, 99) * 1000:.1f}"),
            ]

        return asyncio.run(main())
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        from tests.conftest import _drop_database

        _drop_database(server_url, name)
