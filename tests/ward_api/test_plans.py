"""Capacity plans across the wards of an ICB (catchments), and need-weighted ICB plans."""

from __future__ import annotations

import csv
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from services.ward_api.domain.planning import NeedWeights, PlanningArea, plan_beds
from shared.auth import Role, TokenCodec
from tests.conftest import TEST_JWT_SECRET, serve_in_process
from tests.support.data import data_dir

ICB, ICB_ODS = "E54000008", "QYG"  # Cheshire and Merseyside
GP_ALL_AGES = {"basis": "gp_registered_all_ages", "effective": "2024-04-01"}


def _population(**catchment: Any) -> dict:
    return {"catchment": {**GP_ALL_AGES, **catchment}}


async def _plan(client: httpx.AsyncClient, headers: dict, **body: Any) -> httpx.Response:
    return await client.post("/v1/capacity/plans", json=body, headers=headers)


async def test_ward_plan_matches_a_hand_calculation(ward_client, auth, make_ward) -> None:
    """Three wards, 12 new beds, catchments given as GP-registered populations.

    A: 10 beds / 50,000 = 20.0 per 100k (one bed = 2.0); ceiling ⌊50 × 0.5⌋ = 25 beds
    B: 30 beds / 60,000 = 50.0 — already at its ceiling ⌊50 × 0.6⌋ = 30: gets nothing
    C: 13 beds / 40,000 = 32.5 (one bed = 2.5); ceiling 20 beds
    Lowest rate first: A takes 7 beds (20 → 34, passing C's 32.5 at its 7th), then C (→ 35),
    A (→ 36), C (→ 37.5), A (→ 38), C (→ 40): A +9 = 19 beds (38.0), C +3 = 16 beds (40.0).
    """
    a = await make_ward(beds=10, icb=ICB_ODS, **_population(population=50_000))
    b = await make_ward(beds=30, icb=ICB_ODS, **_population(population=60_000))
    c = await make_ward(beds=13, icb=ICB_ODS, **_population(population=40_000, source="GP lists"))
    assert c["catchment"] == {
        "sub_icb_codes": None,
        "population": 40_000,
        **GP_ALL_AGES,
        "source": "GP lists",
    }
    commissioner = {**auth(Role.commissioner, icbs=[ICB_ODS]), "Idempotency-Key": uuid.uuid4().hex}
    body = {"new_beds": 12, "ward_ids": [a["id"], b["id"], c["id"]]}
    response = await ward_client.post(
        "/v1/capacity/plans",
        params={"level": "ward", "icb": ICB_ODS},
        json=body,
        headers=commissioner,
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert (plan["level"], plan["icb_code"]) == ("ward", ICB)
    assert (plan["allocated_beds"], plan["unallocated_beds"], plan["weights"]) == (12, 0, None)
    areas = {x["code"]: x for x in plan["areas"]}
    expected = {
        a["id"]: (10, 9, "20.0000", "38.0000", "below", "below", "lifted_from_below_band"),
        b["id"]: (30, 0, "50.0000", "50.0000", "within", "within", "at_ceiling"),
        c["id"]: (13, 3, "32.5000", "40.0000", "below", "within", "lifted_from_below_band"),
    }
    for ward_id, (
        before,
        given,
        rate_before,
        rate_after,
        s_before,
        s_after,
        reason,
    ) in expected.items():
        area = areas[ward_id]
        assert (area["beds_before"], area["beds_given"]) == (before, given), area
        assert (area["per_100k_before"], area["per_100k_after"]) == (rate_before, rate_after)
        assert (area["status_before"], area["status_after"], area["reason"]) == (
            s_before,
            s_after,
            reason,
        )
        assert (area["population_basis"], area["population_effective"]) == (
            "gp_registered_all_ages",
            "2024-04-01",
        )
    again = await ward_client.post(
        "/v1/capacity/plans", json={**body, "level": "ward", "icb": ICB_ODS}, headers=commissioner
    )
    assert again.json()["id"] == plan["id"]  # same request in the body: replayed
    stored = await ward_client.get(f"/v1/capacity/plans/{plan['id']}", headers=auth(Role.admin))
    assert stored.json()["areas"] == plan["areas"]


def _sub_icb_population(codes: set[str]) -> int:
    """ONS mid-2019 population of the sub-ICB locations, summed from the LSOA files."""
    directory = data_dir()
    with (directory / "lsoa11_to_icb.csv").open() as f:
        lsoas = {r["lsoa11cd"] for r in csv.DictReader(f) if r["sicbl_code"] in codes}
    with (directory / "imd2019_lsoa11_england.csv").open() as f:
        return sum(
            int(r["population_mid2019"]) for r in csv.DictReader(f) if r["lsoa11cd"] in lsoas
        )


async def test_ward_catchment_by_sub_icb_locations(ward_client, auth, make_ward) -> None:
    """Wirral (01F / E38000068) and Warrington (02E / E38000194), by ONS or by ODS code."""
    d = await make_ward(beds=40, icb=ICB, catchment={"sub_icb_codes": ["01F", "E38000194"]})
    e = await make_ward(beds=5, icb=ICB, catchment={"sub_icb_codes": ["E38000068"]})
    assert d["catchment"]["sub_icb_codes"] == ["E38000068", "E38000194"]
    population = _sub_icb_population({"E38000068", "E38000194"})
    admin = auth(Role.admin)
    response = await _plan(
        ward_client, admin, level="ward", icb=ICB, new_beds=0, ward_ids=[d["id"], e["id"]]
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    area = next(x for x in plan["areas"] if x["code"] == d["id"])
    assert area["population"] == population
    assert (area["population_basis"], area["population_effective"]) == (
        "ons_mid_year",
        "2019-06-30",
    )
    assert area["catchment"] == ["E38000068", "E38000194"]
    assert Decimal(area["per_100k_before"]) == round(Decimal(40 * 100_000) / population, 4)
    assert any("E38000068" in note for note in plan["notes"])  # both wards serve Wirral

    mixed = await make_ward(beds=1, icb=ICB, **_population(population=10_000))
    refused = await _plan(
        ward_client, admin, level="ward", icb=ICB, new_beds=1, ward_ids=[d["id"], mixed["id"]]
    )
    assert refused.status_code == 422 and refused.json()["type"].endswith("/catchment-bases-differ")


async def test_ward_plan_problems(ward_client, auth, make_ward) -> None:
    admin = auth(Role.admin)
    bare = await make_ward(beds=3, icb=ICB)
    assert bare["catchment"] is None
    missing = await _plan(
        ward_client, admin, level="ward", icb=ICB, new_beds=1, ward_ids=[bare["id"]]
    )
    assert missing.status_code == 422
    assert missing.json()["type"].endswith("/ward-catchment-missing")
    assert missing.json()["ward_ids"] == [bare["id"]]
    elsewhere = await ward_client.post(
        "/v1/wards",
        json={
            "name": "W", "icb_code": ICB, "provider_ods_code": "RBL", "provider_name": "T",
            "pathways": ["frailty"], "beds": 1,
            "catchment": {"sub_icb_codes": ["E38000255"]},  # North East London
        },
        headers=admin,
    )  # fmt: skip
    assert elsewhere.status_code == 422 and elsewhere.json()["type"].endswith("/unknown-sub-icb")
    patched = await ward_client.patch(
        f"/v1/wards/{bare['id']}", json={"catchment": {"sub_icb_codes": ["01F"]}}, headers=admin
    )
    assert patched.json()["catchment"]["sub_icb_codes"] == ["E38000068"]
    cleared = await ward_client.patch(
        f"/v1/wards/{bare['id']}", json={"catchment": None}, headers=admin
    )
    assert cleared.json()["catchment"] is None
    for body in (
        {"level": "ward", "new_beds": 1},  # no icb
        {"level": "ward", "icb": ICB, "new_beds": 1, "need_weighting": True},
        {"icb": ICB, "new_beds": 1},  # icb without level=ward
        {"level": "ward", "icb": ICB, "new_beds": 1, "icb_codes": [ICB]},
    ):
        response = await _plan(ward_client, admin, **body)
        assert response.status_code == 422, body
    conflict = await ward_client.post(
        "/v1/capacity/plans", params={"level": "ward", "icb": "QOP"},
        json={"level": "ward", "icb": ICB, "new_beds": 1}, headers=admin,
    )  # fmt: skip
    assert conflict.status_code == 422
    assert conflict.json()["type"].endswith("/plan-parameters-conflict")
    outsider = await _plan(
        ward_client, auth(Role.commissioner, icbs=["QOP"]), level="ward", icb=ICB, new_beds=1
    )
    assert outsider.status_code == 403 and outsider.json()["type"].endswith("/wrong-icb")


class StubEquity:
    """equity_audit's GET /v1/need-weights per docs/contracts.md."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/v1/need-weights"
        body = {
            "basis": "imd2019_population_weighted",
            "vintage": "IoD2019",
            "weights": [{"code": c, "weight": w} for c, w in self.weights.items()],
        }
        return httpx.Response(200, json=body)


@pytest.fixture
async def weighted_client(database_url, ward_client, auth, reference):
    """A ward_api whose equity_audit is the stub; yields (client, stub)."""
    from services.ward_api.app import create_app
    from services.ward_api.settings import WardSettings

    icbs = (await ward_client.get("/v1/icbs", headers=auth(Role.admin))).json()
    stub = StubEquity({i["code"]: 1.0 for i in icbs})
    app = create_app(
        WardSettings(database_url=database_url, log_level="WARNING"),
        equity_transport=httpx.MockTransport(stub.handler),
    )
    async with serve_in_process(app) as client:
        yield client, stub


async def test_need_weighted_plan_records_basis_and_vintage(
    weighted_client, auth, database_url
) -> None:
    """Two ICBs, July 2024: weighting 0.3 and 1.5 sends beds to the one nearer the band."""
    client, stub = weighted_client
    first, second = "E54000008", "E54000057"
    stub.weights.update({first: 0.3, second: 1.5})
    admin = auth(Role.admin)
    body = {"new_beds": 300, "at": "2024-07-15", "icb_codes": [first, second]}
    weighted = await _plan(client, admin, **body, need_weighting=True)
    assert weighted.status_code == 201, weighted.text
    plan = weighted.json()
    assert plan["weights"] == {
        "basis": "imd2019_population_weighted",
        "vintage": "IoD2019",
        "source": "equity_audit",
    }
    (request,) = stub.requests
    assert request.url.params["level"] == "icb"
    token = request.headers["authorization"].removeprefix("Bearer ")
    assert TokenCodec(TEST_JWT_SECRET).verify(token).role == Role.service

    capacity = (await client.get("/v1/capacity", params={"at": "2024-07-15"}, headers=admin)).json()
    measured = {a["code"]: a for a in capacity["areas"] if a["code"] in (first, second)}
    areas = [PlanningArea(c, a["beds"], a["population"], a["name"]) for c, a in measured.items()]
    weights = NeedWeights("stub", {first: Decimal("0.3"), second: Decimal("1.5")})
    expected = plan_beds(areas, 300, weights=weights)
    unweighted = plan_beds(areas, 300)
    got = {a["code"]: a for a in plan["areas"]}
    for share in expected.areas:
        assert got[share.code]["beds_given"] == share.beds_given
        assert Decimal(got[share.code]["weight"]) == share.weight
    assert expected.area(first).beds_given != unweighted.area(first).beds_given

    stored = await client.get(f"/v1/capacity/plans/{plan['id']}", headers=admin)
    assert stored.json()["weights"] == plan["weights"]
    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT weights_basis, weights_vintage FROM ward.capacity_plan WHERE id = $1",
            uuid.UUID(plan["id"]),
        )
    finally:
        await conn.close()
    assert tuple(row) == ("imd2019_population_weighted", "IoD2019")

    del stub.weights[second]
    incomplete = await _plan(client, admin, **body, need_weighting=True)
    assert incomplete.status_code == 502
    assert incomplete.json()["type"].endswith("/need-weights-incomplete")


async def test_stored_plan_is_seen_only_within_its_icbs(ward_client, auth, make_ward) -> None:
    """A plan shows each ICB's beds and population: only callers covering all of them see it."""
    other, other_ods = "E54000050", "QHM"  # North East and North Cumbria
    admin = auth(Role.admin)
    both = await _plan(ward_client, admin, new_beds=10, at="2024-07-15", icb_codes=[ICB, other_ods])
    assert both.status_code == 201, both.text
    ward = await make_ward(beds=5, icb=ICB_ODS, **_population(population=50_000))
    ward_level = await _plan(
        ward_client, admin, new_beds=3, level="ward", icb=ICB, ward_ids=[ward["id"]]
    )
    assert ward_level.status_code == 201, ward_level.text

    async def get(plan: dict, **scope: list[str]) -> httpx.Response:
        return await ward_client.get(
            f"/v1/capacity/plans/{plan['id']}", headers=auth(Role.commissioner, **scope)
        )

    for plan in (both.json(), ward_level.json()):
        refused = await get(plan, icbs=[other])
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/wrong-icb")
        for scope in ([ICB, other], [ICB_ODS, other_ods], ["*"]):
            seen = await get(plan, icbs=scope)
            assert seen.status_code == 200, (scope, seen.text)
            assert seen.json()["id"] == plan["id"]
    # Half the ICBs of a plan is not enough; the lone ICB of a ward plan is.
    assert (await get(both.json(), icbs=[ICB])).status_code == 403
    assert (await get(ward_level.json(), icbs=[ICB_ODS])).status_code == 200
    missing = await get({"id": uuid.uuid4()}, icbs=["*"])
    assert missing.status_code == 404 and missing.json()["type"].endswith("/plan-not-found")
