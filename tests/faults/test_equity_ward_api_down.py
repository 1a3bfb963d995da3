"""equity_audit with ward_api down: the last snapshot with its age, or 503 with Retry-After.

Every audit here asks for a fresh snapshot first (EQUITY_SNAPSHOT_MAX_AGE_SECONDS=0), so
each one really calls ward_api: refused at once when it is dead, left unanswered when it is
frozen (SIGSTOP). Either way the answer must come within the peer timeout, never hang.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from shared.auth import Role
from tests.faults.harness import (
    ADMIN,
    Tally,
    admission_body,
    bearer,
    client,
    create_patient,
    create_ward,
    fetch,
    freeze,
    kill,
    start,
)
from tests.support.poll import eventually

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(120)]

PEER_TIMEOUT = 2.0  # EQUITY_HTTP_TIMEOUT_SECONDS in the fault suite's BASE_ENV
# shared.http_client bounds one call, retries included, by twice the timeout.
ANSWER_WITHIN = 2 * PEER_TIMEOUT + 3.0


@pytest.fixture
def equity_db(ward_db: str, tmp_path: Path) -> str:
    """ward_db plus equity_audit's reference data (real when present, else synthetic)."""
    from services.equity_audit.reference_data import load
    from services.equity_audit.settings import EquitySettings

    load(ward_db, EquitySettings().data_dir, synthetic_dir=tmp_path / "synthetic")
    return ward_db


async def _timed(call) -> tuple[httpx.Response, float]:  # type: ignore[no-untyped-def]
    began = time.monotonic()
    response = await call
    return response, time.monotonic() - began


async def test_audit_serves_the_last_snapshot_or_503(equity_db: str, make_platform) -> None:
    platform = make_platform(
        equity_db,
        env={"EQUITY_SNAPSHOT_MAX_AGE_SECONDS": "0", "EQUITY_SII_REPETITIONS": "1000"},
    )
    await start(platform, "equity_audit")  # ward_api never started: its port refuses
    tally = Tally("equity_audit with ward_api down")
    seen: dict[str, object] = {}

    async with client(platform.url_of("equity_audit")) as equity:
        # 1. No snapshot yet and ward_api unreachable: nothing to answer from.
        audit, took = await _timed(equity.get("/v1/audit", headers=ADMIN))
        refresh, _ = await _timed(equity.post("/v1/admin/snapshots/refresh", headers=ADMIN))
        seen["no_snapshot"] = (audit.status_code, audit.headers.get("retry-after"), round(took, 2))
        for response in (audit, refresh):
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["type"].endswith("/uptake-unavailable")
            assert int(response.headers["retry-after"]) > 0
        assert took < ANSWER_WITHIN

        # 2. ward_api up with three admissions: a fresh snapshot.
        await start(platform, "ward_api")
        async with client(platform.url_of("ward_api")) as ward:
            ward_id = await create_ward(ward, beds=3)
            clinician = bearer(Role.clinician, wards=[ward_id])
            for n in range(3):
                body = admission_body(await create_patient(ward), ward_id)
                admitted = await ward.post(
                    "/v1/admissions", json=body, headers={**clinician, "Idempotency-Key": f"e{n}"}
                )
                assert admitted.status_code == 201, admitted.text
        tally.sent = tally.acknowledged = 3
        refresh = await equity.post("/v1/admin/snapshots/refresh", headers=ADMIN)
        assert refresh.status_code == 200, refresh.text
        fresh = (await equity.get("/v1/audit", headers=ADMIN)).json()["snapshot"]
        assert fresh["stale"] is False
        seen["fresh"] = {k: fresh[k] for k in ("stale", "age_seconds")}

        # 3. ward_api killed: the last snapshot, marked stale, with an age that grows.
        await kill(platform, "ward_api")

        async def stale_older_than(age: float) -> tuple[httpx.Response, float] | None:
            """Every answer meanwhile is the last snapshot, stale, within the timeout."""
            response, took = await _timed(equity.get("/v1/audit", headers=ADMIN))
            assert response.status_code == 200, response.text
            snapshot = response.json()["snapshot"]
            assert snapshot["stale"] is True and snapshot["id"] == fresh["id"], snapshot
            assert any("last snapshot" in c for c in response.json()["caveats"])
            assert took < ANSWER_WITHIN, took
            return (response, took) if snapshot["age_seconds"] > age else None

        first, took_dead = await eventually(
            lambda: stale_older_than(0.99),
            within=30,
            what="a stale snapshot a second old",
            every=0.25,
        )
        age = first.json()["snapshot"]["age_seconds"]
        second, _ = await eventually(
            lambda: stale_older_than(age),
            within=30,
            what="the stale snapshot's age growing",
            every=0.25,
        )
        ages = [r.json()["snapshot"]["age_seconds"] for r in (first, second)]
        assert 1 <= ages[0] < ages[1], ages
        seen["dead"] = {"ages": ages, "took_s": round(took_dead, 2)}

        # 4. ward_api frozen (port open, no answer): stale within the peer timeout.
        await start(platform, "ward_api")
        freeze(platform, "ward_api", frozen=True)
        try:
            frozen, took_frozen = await _timed(equity.get("/v1/audit", headers=ADMIN))
        finally:
            freeze(platform, "ward_api", frozen=False)
        assert frozen.status_code == 200, frozen.text
        assert frozen.json()["snapshot"]["stale"] is True
        assert PEER_TIMEOUT * 0.9 <= took_frozen < ANSWER_WITHIN, took_frozen
        seen["frozen"] = {
            "age": frozen.json()["snapshot"]["age_seconds"],
            "took_s": round(took_frozen, 2),
        }

        # 5. Back: a fresh snapshot again, with the same admissions counted.
        back = (await equity.get("/v1/audit", headers=ADMIN)).json()["snapshot"]
        assert back["stale"] is False and back["id"] != fresh["id"]

    snapshots = await fetch(equity_db, "SELECT count(*) AS n FROM equity.snapshots")
    counted = await fetch(equity_db, "SELECT coalesce(sum(admissions), 0) AS n FROM equity.uptake")
    tally.stored = counted[0]["n"]  # admissions the current uptake rows count
    tally.lost = tally.acknowledged - tally.stored
    tally.extra = {"snapshots_taken": snapshots[0]["n"], **seen}
    tally.show()
    assert tally.lost == 0
