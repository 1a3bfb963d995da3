"""The fault suite's toolkit: platforms on free ports, bounded polling, signed vendor posts,
ward_api factories and exact counting in the database.

Every network call carries an explicit httpx timeout and every wait is a poll with a
deadline (`tests.support.poll.eventually`), so a fault can slow a test down but never hang it.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson

from services.monitoring_ingest.vendors.credentials import sign
from shared.auth import Role, TokenCodec
from shared.database import driver_free_url
from tests.conftest import TEST_JWT_SECRET
from vward.platform import Platform

# Connect fails fast (a dead port refuses at once); reads allow a slow batch under load.
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
CODEC = TokenCodec(TEST_JWT_SECRET)
NATIVE = "/v1/readings/native"
# 2xx means accepted; these mean "try again later" to a well-behaved client.
RETRYABLE = frozenset({429, 500, 502, 503, 504})


def bearer(role: Role, **scopes: Any) -> dict[str, str]:
    token = CODEC.issue(subject=f"faults-{role}", role=role, **scopes)
    return {"Authorization": f"Bearer {token}"}


ADMIN = bearer(Role.admin)
SERVICE = bearer(Role.service, icbs=["*"], wards=["*"])
CLINICIAN = bearer(Role.clinician, wards=["*"])


def client(base_url: str) -> httpx.AsyncClient:
    """A client for one service: explicit timeouts, no proxies from the environment."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    return httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, trust_env=False, limits=limits)


# ---- the platform -----------------------------------------------------------------------


async def start(platform: Platform, *names: str, within: float = 60.0) -> None:
    """Start services and wait (off the event loop) until each answers /readyz 200."""
    for name in names:
        platform.start(name)
    await asyncio.to_thread(lambda: [platform.wait_ready(n, within) for n in names])


async def kill(platform: Platform, name: str) -> None:
    """SIGKILL: no shutdown hooks, no drained requests, connections cut mid-flight."""
    await asyncio.to_thread(platform.stop, name, kill=True)


def freeze(platform: Platform, name: str, *, frozen: bool) -> None:
    """SIGSTOP/SIGCONT: the process keeps its port open but answers nothing."""
    process = platform.running[name].process
    process.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)


async def readyz(base_url: str) -> int:
    async with httpx.AsyncClient(timeout=httpx.Timeout(3.0), trust_env=False) as http:
        return (await http.get(f"{base_url}/readyz")).status_code


def log_tail(platform: Platform, name: str, lines: int = 30) -> str:
    if not platform.log_dir:
        return ""
    try:
        with open(f"{platform.log_dir}/{name}.log", errors="replace") as handle:
            return "".join(handle.readlines()[-lines:])
    except FileNotFoundError:
        return ""


# ---- counting ---------------------------------------------------------------------------


@dataclass
class Tally:
    """What one fault test counted; printed so a run shows its evidence, not just a dot."""

    name: str
    sent: int = 0  # distinct writes the clients meant to make
    attempts: int = 0  # requests actually sent, retries included
    acknowledged: int = 0  # writes answered 2xx
    stored: int = 0  # writes found in the database
    duplicated: int = 0  # extra rows beyond one per write
    lost: int = 0  # acknowledged but not in the database
    extra: dict[str, object] = field(default_factory=dict)

    def line(self) -> str:
        counts = (
            f"sent={self.sent} attempts={self.attempts} acknowledged={self.acknowledged} "
            f"stored={self.stored} duplicated={self.duplicated} lost={self.lost}"
        )
        more = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return f"\n[faults] {self.name}: {counts} {more}".rstrip()

    def show(self) -> None:
        print(self.line(), flush=True)


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(driver_free_url(database_url), timeout=5)
    try:
        return await conn.fetch(sql, *args, timeout=15)
    finally:
        await conn.close()


async def rows_per_reading(database_url: str, reading_ids: Iterable[str]) -> dict[str, int]:
    """Stored rows in monitoring.readings for each vendor reading id (identity) asked about."""
    rows = await fetch(
        database_url,
        "SELECT vendor_reading_id, count(*) AS n FROM monitoring.readings "
        "WHERE vendor_reading_id = ANY($1::text[]) GROUP BY vendor_reading_id",
        list(reading_ids),
    )
    return {r["vendor_reading_id"]: r["n"] for r in rows}


def count_readings(tally: Tally, acknowledged: set[str], stored: dict[str, int]) -> None:
    tally.stored = len(stored)
    tally.duplicated = sum(n - 1 for n in stored.values())
    tally.lost = len(acknowledged - stored.keys())


# ---- vendors ----------------------------------------------------------------------------


@dataclass
class Vendor:
    vendor_id: str
    api_key: str
    signing_secret: str

    def headers(self, body: bytes, *, not_before: int = 0) -> tuple[int, dict[str, str]]:
        """Signed headers; `not_before` forces a later timestamp, hence a new signature."""
        ts = max(int(time.time()), not_before)
        signature = sign(
            self.signing_secret, timestamp=str(ts), method="POST", path=NATIVE, body=body
        )
        return ts, {
            "X-Vendor-Id": self.vendor_id,
            "X-Api-Key": self.api_key,
            "X-Timestamp": str(ts),
            "X-Signature": signature,
            "content-type": "application/json",
        }


async def new_vendor(ingest: httpx.AsyncClient) -> Vendor:
    response = await ingest.post(
        "/v1/admin/vendors", json={"name": f"faults-{uuid.uuid4().hex[:8]}"}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    key = response.json()["issued_key"]
    return Vendor(key["vendor_id"], key["api_key"], key["signing_secret"])


async def bind_directly(
    ingest: httpx.AsyncClient, vendor: Vendor, device_id: str, *, days_ago: float = 2
) -> None:
    """Bind a device as ward_api's binding worker would (service token, contract body)."""
    bound_at = datetime.now(UTC) - timedelta(days=days_ago)
    response = await ingest.put(
        f"/v1/internal/bindings/{vendor.vendor_id}/{device_id}",
        json={
            "admission_id": str(uuid.uuid4()),
            "ward_id": str(uuid.uuid4()),
            "expected_interval_minutes": 240,
            "bound_at": bound_at.isoformat(),
        },
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text


def news2_set(at: datetime, *, high: bool = False) -> list[dict[str, Any]]:
    """One complete NEWS2 set, each reading with its own vendor id (its stored identity)."""
    stamp = at.isoformat()
    rr, spo2, hr = (25, 91, 131) if high else (16, 97, 70)
    values = [
        ("rr", rr, "/min"),
        ("spo2", spo2, "%"),
        ("sbp", 125, "mm[Hg]"),
        ("hr", hr, "/min"),
        ("temp", 37.0, "Cel"),
    ]
    readings: list[dict[str, Any]] = [
        {"id": uuid.uuid4().hex, "code": code, "value": value, "unit": unit, "at": stamp}
        for code, value, unit in values
    ]
    readings.append({"id": uuid.uuid4().hex, "code": "acvpu", "value": "A", "at": stamp})
    readings.append({"id": uuid.uuid4().hex, "code": "on_oxygen", "value": False, "at": stamp})
    return readings


def batch_body(device_id: str, readings: list[dict[str, Any]]) -> tuple[bytes, list[str]]:
    return orjson.dumps({"device_id": device_id, "readings": readings}), [r["id"] for r in readings]


@dataclass
class Delivery:
    """The answer a client finally got for one write, and what it took."""

    response: httpx.Response | None
    attempts: int
    failures: dict[str, int]

    @property
    def report(self) -> dict[str, Any] | None:
        return None if self.response is None else self.response.json()


async def until_answered(
    send: Callable[[], Awaitable[httpx.Response]], *, deadline: float
) -> Delivery:
    """Repeat one write until a definitive answer or the deadline (then `response` is None).

    Transport errors and 429/5xx are retried after a short jittered pause, as a careful
    client would; any other answer (2xx, 4xx) is definitive.
    """
    failures: dict[str, int] = {}
    attempts = 0
    while time.monotonic() < deadline:
        attempts += 1
        try:
            response = await send()
        except httpx.TransportError as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
        else:
            if response.status_code not in RETRYABLE:
                return Delivery(response, attempts, failures)
            failures[str(response.status_code)] = failures.get(str(response.status_code), 0) + 1
        await asyncio.sleep(0.1 + random.random() * 0.1)
    return Delivery(None, attempts, failures)


async def post_until_acknowledged(
    ingest: httpx.AsyncClient, vendor: Vendor, body: bytes, *, deadline: float
) -> Delivery:
    """Send one batch until it is answered, re-signing each retry (a new timestamp)."""
    last_ts = 0

    async def send() -> httpx.Response:
        nonlocal last_ts
        last_ts, headers = vendor.headers(body, not_before=last_ts + 1)
        return await ingest.post(NATIVE, content=body, headers=headers)

    delivery = await until_answered(send, deadline=deadline)
    if delivery.response is not None:
        assert delivery.response.is_success, delivery.response.text
    return delivery


def merge(into: dict[str, int], more: dict[str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


# ---- ward_api ---------------------------------------------------------------------------


def nhs_number() -> str:
    """A random valid NHS number in the 9xx synthetic range."""
    while True:
        digits = [9, *(random.randint(0, 9) for _ in range(8))]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


async def create_ward(ward: httpx.AsyncClient, *, beds: int, icb: str = "E54000008") -> str:
    body = {
        "name": f"Faults {uuid.uuid4().hex[:6]}",
        "icb_code": icb,
        "provider_ods_code": "RBL",
        "provider_name": "Fault Injection Trust",
        "pathways": ["acute_respiratory_infection", "frailty"],
        "beds": beds,
    }
    response = await ward.post("/v1/wards", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def patient_body() -> dict[str, Any]:
    return {
        "nhs_number": nhs_number(),
        "date_of_birth": "1948-03-02",
        "sex": "female",
        "ethnic_category": "A",
        "lsoa11cd": "E01012345",  # a real LSOA in North East and North Cumbria ICB
        "own_device": True,
        "broadband": True,
        "housing_concern": False,
    }


async def create_patient(ward: httpx.AsyncClient) -> str:
    response = await ward.post(
        "/v1/patients",
        json=patient_body(),
        headers={**CLINICIAN, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def admission_body(patient_id: str, ward_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "patient_id": patient_id,
        "ward_id": ward_id,
        "pathway": "acute_respiratory_infection",
        "referral_source": "gp",
        **extra,
    }
