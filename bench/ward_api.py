"""ward_api benchmark: admissions per second and GET /v1/capacity latency, in-process over HTTP.

Builds its own fresh database (on DATABASE_URL's server, else a throwaway embedded
PostgreSQL), loads the reference data (42 ICBs), creates a few hundred wards, then measures.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
import uuid

WARDS = 300
ADMISSIONS = 600
CAPACITY_CALLS = 200
CONCURRENCY = 20


def _nhs(i: int) -> str:
    while True:
        digits = [9, *map(int, f"{i:08d}")]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        i += 10**7


async def _measure(url: str) -> list[tuple[str, str]]:
    import httpx

    from services.ward_api import reference_data
    from services.ward_api.app import create_app
    from services.ward_api.settings import WardSettings
    from shared.auth import Role, TokenCodec

    await asyncio.to_thread(reference_data.load, url, WardSettings().data_dir)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = WardSettings(database_url=url, db_pool_size=CONCURRENCY, log_level="WARNING")
    app = create_app(settings)
    codec = TokenCodec(settings.jwt_secret.get_secret_value())

    def headers(role: Role, wards: list[str] | None = None) -> dict[str, str]:
        token = codec.issue(subject="bench", role=role, wards=wards or [])
        return {"Authorization": f"Bearer {token}"}

    admin, clinician = headers(Role.admin), headers(Role.clinician, wards=["*"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            icbs = [i["code"] for i in (await client.get("/v1/icbs", headers=admin)).json()]
            wards = []
            for n in range(WARDS):
                body = {
                    "name": f"bench {n}", "icb_code": icbs[n % len(icbs)],
                    "provider_ods_code": "RBL", "provider_name": "Bench Trust",
                    "pathways": ["frailty"], "beds": 5,
                }  # fmt: skip
                wards.append((await client.post("/v1/wards", json=body, headers=admin)).json())
            patients = []
            for n in range(ADMISSIONS):
                body = {
                    "nhs_number": _nhs(n), "date_of_birth": "1950-01-01", "sex": "female",
                    "ethnic_category": "A", "lsoa11cd": "E01012345", "own_device": True,
                    "broadband": True, "housing_concern": False,
                }  # fmt: skip
                patients.append(
                    (await client.post("/v1/patients", json=body, headers=clinician)).json()
                )
            semaphore = asyncio.Semaphore(CONCURRENCY)

            async def admit(n: int) -> int:
                body = {
                    "patient_id": patients[n]["id"], "ward_id": wards[n % WARDS]["id"],
                    "pathway": "frailty", "referral_source": "gp",
                }  # fmt: skip
                async with semaphore:
                    r = await client.post(
                        "/v1/admissions",
                        json=body,
                        headers={**clinician, "Idempotency-Key": uuid.uuid4().hex},
                    )
                return r.status_code

            started = time.perf_counter()
            codes = await asyncio.gather(*(admit(n) for n in range(ADMISSIONS)))
            elapsed = time.perf_counter() - started
            latencies = []
            for _ in range(CAPACITY_CALLS):
                t = time.perf_counter()
                r = await client.get("/v1/capacity", headers=admin)
                latencies.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
    latencies.sort()
    return [
        ("admissions/s (201+409)", f"{ADMISSIONS / elapsed:.0f} ({codes.count(201)} admitted)"),
        ("GET /v1/capacity p50 ms", f"{statistics.median(latencies):.1f}"),
        ("GET /v1/capacity p99 ms", f"{latencies[int(len(latencies) * 0.99) - 1]:.1f}"),
        ("wards / ICBs", f"{WARDS} / {len(icbs)}"),
    ]


def run() -> list[tuple[str, str]]:
    from shared.scratch_db import scratch_database

    with scratch_database("vward_bench") as url:
        return asyncio.run(_measure(url))
