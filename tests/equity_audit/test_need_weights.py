"""`GET /v1/need-weights?level=icb`: the contract's shape; weights average 1 over England."""

from __future__ import annotations

import asyncpg
import pytest

from shared.auth import Role


async def test_need_weights_contract(equity_client, reference_loaded, database_url, auth):
    response = await equity_client.get(
        "/v1/need-weights", params={"level": "icb"}, headers=auth(Role.service)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["basis"] == "imd2019_population_weighted"
    assert body["vintage"].startswith("IoD2019")
    weights = body["weights"]
    conn = await asyncpg.connect(database_url)
    try:
        icbs = await conn.fetchval("SELECT count(DISTINCT icb_code) FROM equity.lsoa_geography")
    finally:
        await conn.close()
    assert len(weights) == icbs
    assert all(w["code"].startswith("E54") and w["weight"] > 0 for w in weights)
    population = sum(w["population"] for w in weights)
    average = sum(w["population"] * w["weight"] for w in weights) / population
    assert average == pytest.approx(1.0, abs=1e-3)


async def test_need_weights_sub_icb_and_roles(equity_client, reference_loaded, auth):
    sub = await equity_client.get(
        "/v1/need-weights", params={"level": "sub_icb"}, headers=auth(Role.commissioner, icbs=["Q"])
    )
    assert sub.status_code == 200
    assert all(w["code"].startswith("E38") for w in sub.json()["weights"])
    refused = await equity_client.get("/v1/need-weights", headers=auth(Role.clinician))
    assert refused.status_code == 403
    bad = await equity_client.get(
        "/v1/need-weights", params={"level": "lsoa"}, headers=auth(Role.admin)
    )
    assert bad.status_code == 422
