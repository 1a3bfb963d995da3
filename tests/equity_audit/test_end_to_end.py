"""ward_api for real: admit patients across LSOAs of different deprivation, then audit.

ward_api's admission and aggregate endpoints were being built at the same time as this
service; until they exist (and their admission payload is confirmed) this test is xfail.
"""

from __future__ import annotations

import httpx
import pytest

from shared.auth import Role
from tests.conftest import serve_in_process
from tests.equity_audit.cases import icb_cases

AGGREGATES = "/v1/internal/aggregates/admissions"


def _has_route(app, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in app.routes)


@pytest.mark.xfail(
    strict=False,
    reason="ward_api's admission and aggregate endpoints (docs/contracts.md) are not built yet;"
    " the admission payload used here is a guess until they are",
)
async def test_admissions_in_ward_api_show_up_in_the_audit(
    ward_client, database_url, reference_loaded, auth
):
    from services.equity_audit.app import create_app
    from services.equity_audit.settings import EquitySettings

    assert _has_route(ward_client.app, AGGREGATES), "ward_api has no aggregates endpoint yet"
    (case,) = await icb_cases(database_url, 1)
    admin = auth(Role.admin)
    ward = await ward_client.post(
        "/v1/wards",
        json={"name": "E2E equity ward", "icb_code": case.icb_code, "capacity": 50},
        headers=admin,
    )
    assert ward.status_code in (200, 201), ward.text
    ward_id = ward.json()["id"]
    for quintile, lsoa in case.lsoa_by_quintile.items():
        for i in range(10 if quintile == 1 else 8):
            admitted = await ward_client.post(
                f"/v1/wards/{ward_id}/admissions",
                json={
                    "nhs_number": None,
                    "lsoa11cd": lsoa,
                    "age_band": "70-74",
                    "sex": "female" if i % 2 else "male",
                    "ethnic_category": "A",
                    "pathway": "acute_respiratory_infection",
                },
                headers=admin,
            )
            assert admitted.status_code in (200, 201), admitted.text

    transport = httpx.ASGITransport(app=ward_client.app)
    app = create_app(
        EquitySettings(database_url=database_url, snapshot_max_age_seconds=0),
        ward_api_transport=transport,
    )
    async with serve_in_process(app) as equity:
        refreshed = await equity.post(
            "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=admin
        )
        assert refreshed.status_code == 200, refreshed.text
        body = (await equity.get("/v1/audit", params={"icb": case.icb_code}, headers=admin)).json()
    admissions = {g["group"]: g["admissions"] for g in body["groups"]}
    assert admissions["1"] is not None and admissions["1"] >= 10
    assert body["snapshot"]["stale"] is False
