"""Rate limits: 429 with Retry-After per caller, other callers unaffected."""

from __future__ import annotations

import pytest

from services.ward_api.app import create_app
from services.ward_api.settings import WardSettings
from shared.auth import Role
from shared.rate_limit import RateLimiter
from tests.conftest import serve_in_process


def test_bucket_refills_at_the_rate() -> None:
    limiter = RateLimiter(rate=2.0, burst=2)
    assert limiter.acquire("a", now=0.0) == 0
    assert limiter.acquire("a", now=0.0) == 0
    assert limiter.acquire("a", now=0.0) == pytest.approx(0.5)
    assert limiter.acquire("b", now=0.0) == 0  # another caller has its own bucket
    assert limiter.acquire("a", now=0.5) == 0  # one token back after 1/rate seconds


async def test_over_the_limit_gets_429_with_retry_after(database_url: str, auth) -> None:
    settings = WardSettings(
        database_url=database_url, rate_limit_per_second=0.5, rate_limit_burst=3
    )
    async with serve_in_process(create_app(settings)) as client:
        noisy = auth(Role.clinician, subject="noisy", wards=["W1"])
        statuses = [(await client.get("/v1/whoami", headers=noisy)).status_code for _ in range(4)]
        limited = await client.get("/v1/whoami", headers=noisy)
        quiet = await client.get("/v1/whoami", headers=auth(Role.clinician, subject="quiet"))
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["type"].endswith("/rate-limited")
    assert quiet.status_code == 200
