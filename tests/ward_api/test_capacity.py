"""Geography, sitrep history and capacity figures against the published sitrep."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from services.ward_api import reference_data
from services.ward_api.domain.capacity import round_half_up
from services.ward_api.domain.sitrep import SITREP_COLUMNS, load_sitrep
from services.ward_api.domain.sources import SITREP_FILE
from shared.auth import Role
from tests.support.data import data_dir

NATIONAL = {"icbs": ["*"]}


def test_reference_load_is_idempotent(database_url, reference) -> None:
    again = reference_data.load(database_url, data_dir())
    assert again == reference
    assert "42 ICBs" in again and "32844 LSOAs" in again


async def test_icbs_have_codes_and_named_denominators(ward_client, auth, reference) -> None:
    response = await ward_client.get("/v1/icbs", headers=auth(Role.commissioner, **NATIONAL))
    icbs = response.json()
    assert len(icbs) == 42
    cm = next(i for i in icbs if i["code"] == "E54000008")
    assert cm["ods_code"] == "QYG"
    bases = {d["basis"] for d in cm["denominators"]}
    assert bases == {"ons_mid_year", "gp_registered_16_plus", "gp_registered_all_ages"}
    ons = next(d for d in cm["denominators"] if d["basis"] == "ons_mid_year")
    assert ons["effective"] == "2019-06-30"
    detail = (await ward_client.get("/v1/icbs/QYG", headers=auth(Role.admin))).json()
    assert detail["code"] == "E54000008" and detail["sub_icbs"]
    missing = await ward_client.get("/v1/icbs/QZZ", headers=auth(Role.admin))
    assert missing.status_code == 404 and missing.json()["type"].endswith("/icb-not-found")


async def test_every_published_figure_is_reproduced(ward_client, auth, reference) -> None:
    """Per-100k and occupancy recomputed from beds, patients, population match as published."""
    rows = load_sitrep(data_dir())
    periods = sorted({r.period for r in rows})
    checked = 0
    for period in periods:
        response = await ward_client.get(
            "/v1/capacity", params={"at": f"{period}-15"}, headers=auth(Role.admin)
        )
        assert response.status_code == 200
        body = response.json()
        assert body["attribution"].startswith("Contains public sector information")
        for area in body["areas"]:
            assert area["source"] == "sitrep" and area["period"] == period
            published = area["published"]
            assert Decimal(area["beds_per_100k_shown"]) == Decimal(published["capacity_per_100k"])
            if published["occupancy_note"] is None:
                assert Decimal(area["occupancy_pct_shown"]) == Decimal(published["occupancy_pct"])
            checked += 1
        national = await ward_client.get(
            "/v1/capacity",
            params={"at": f"{period}-15", "level": "national"},
            headers=auth(Role.admin),
        )
        england = national.json()["areas"][0]
        assert Decimal(england["beds_per_100k_shown"]) == Decimal(
            england["published"]["capacity_per_100k"]
        )
    assert checked == 42 * len(periods)


async def test_capacity_matches_hand_calculation(ward_client, auth, reference) -> None:
    """Cheshire and Merseyside, July 2023: 269 beds, 2,274,535 people (GP-registered 16+)."""
    response = await ward_client.get(
        "/v1/capacity",
        params={"code": "QYG", "at": "2023-07-01"},
        headers=auth(Role.commissioner, icbs=["QYG"]),
    )
    (area,) = response.json()["areas"]
    assert area["beds"] == 269 and area["population"] == 2274535
    assert area["population_basis"] == "gp_registered_16_plus"
    assert area["beds_per_100k_shown"] == "11.83"  # 269 × 100000 ÷ 2274535 = 11.8266…
    assert area["status"] == "below"
    assert area["beds_short_of_40"] == 910 - 269  # ceil(40 × 22.74535) = 910
    assert area["beds_short_of_50"] == 1138 - 269  # ceil(50 × 22.74535) = 1138
    assert Decimal(area["cost_to_40_gbp"]) == (910 - 269) * 17900
    assert area["patients"] == 115
    assert area["occupancy_pct_shown"] == "42.75"  # 115 ÷ 269 = 42.7509…


async def test_commissioner_is_scoped_to_its_icbs(ward_client, auth, reference) -> None:
    headers = auth(Role.commissioner, icbs=["QYG"])
    listed = (await ward_client.get("/v1/capacity", headers=headers)).json()["areas"]
    assert [a["code"] for a in listed] == ["E54000008"]
    other = await ward_client.get("/v1/capacity", params={"code": "QOP"}, headers=headers)
    assert other.status_code == 403 and other.json()["type"].endswith("/wrong-icb")
    national = await ward_client.get("/v1/capacity?level=national", headers=headers)
    assert national.status_code == 403
    clinician = await ward_client.get("/v1/capacity", headers=auth(Role.clinician, wards=["*"]))
    assert clinician.status_code == 403


async def test_history_spans_the_basis_change(ward_client, auth, reference) -> None:
    response = await ward_client.get(
        "/v1/capacity/history", params={"code": "E54000057"}, headers=auth(Role.admin)
    )
    points = response.json()["points"]
    sitrep = [p for p in points if p["source"] == "sitrep"]
    assert len(sitrep) == 13
    assert sitrep[0]["population_basis"] == "gp_registered_16_plus"
    assert sitrep[-1]["population_basis"] == "gp_registered_all_ages"


def _csv_rows(period: str) -> str:
    text = (data_dir() / SITREP_FILE).read_text()
    lines = text.splitlines()
    return "\n".join(
        [lines[0], *(line for line in lines[1:] if line.startswith("2024-07"))]
    ).replace("2024-07", period)


async def test_admin_sitrep_import_csv_and_json(ward_client, auth, reference) -> None:
    body = _csv_rows("2031-01")
    headers = {**auth(Role.admin), "content-type": "text/csv"}
    response = await ward_client.post("/v1/admin/sitrep", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["accepted"] == 43 and response.json()["periods"] == ["2031-01"]
    again = await ward_client.post("/v1/admin/sitrep", content=body, headers=headers)
    assert again.json()["updated"] == 43 and again.json()["inserted"] == 0
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(_csv_rows("2031-02"))))
    rows[3]["capacity"] = "-4"
    rows[5]["icb_code"] = "E54999999"
    bad = await ward_client.post("/v1/admin/sitrep", json={"rows": rows}, headers=auth(Role.admin))
    assert bad.status_code == 422
    problem = bad.json()
    assert problem["type"].endswith("/sitrep-invalid")
    assert {(e["line"], e["column"]) for e in problem["errors"]} == {
        (5, "capacity"),
        (7, "icb_code"),
    }
    rows = list(csv.DictReader(io.StringIO(_csv_rows("2031-02"))))
    ok = await ward_client.post("/v1/admin/sitrep", json={"rows": rows}, headers=auth(Role.admin))
    assert ok.status_code == 201
    forbidden = await ward_client.post(
        "/v1/admin/sitrep", content=body, headers={**auth(Role.commissioner, **NATIONAL)}
    )
    assert forbidden.status_code == 403


async def test_plan_shares_beds_and_is_idempotent(ward_client, auth, reference) -> None:
    headers = {**auth(Role.admin), "Idempotency-Key": "plan-1"}
    body = {"new_beds": 500, "at": "2024-07-15"}
    first = await ward_client.post("/v1/capacity/plans", json=body, headers=headers)
    assert first.status_code == 201, first.text
    plan = first.json()
    assert plan["allocated_beds"] + plan["unallocated_beds"] == 500
    assert sum(a["beds_given"] for a in plan["areas"]) == plan["allocated_beds"]
    assert plan["weights"] is None
    again = await ward_client.post("/v1/capacity/plans", json=body, headers=headers)
    assert again.json()["id"] == plan["id"]
    reused = await ward_client.post("/v1/capacity/plans", json={"new_beds": 5}, headers=headers)
    assert reused.status_code == 422 and reused.json()["type"].endswith("/idempotency-key-reused")
    stored = await ward_client.get(f"/v1/capacity/plans/{plan['id']}", headers=auth(Role.admin))
    assert stored.json()["allocated_beds"] == plan["allocated_beds"]
    budget = await ward_client.post(
        "/v1/capacity/plans",
        json={"budget_gbp": "179000", "at": "2024-07-15"},
        headers=auth(Role.admin),
    )
    assert budget.json()["requested_beds"] == 10


async def test_need_weighted_plan_without_equity_audit_is_503(ward_client, auth, reference) -> None:
    response = await ward_client.post(
        "/v1/capacity/plans",
        json={"new_beds": 10, "need_weighting": True},
        headers=auth(Role.admin),
    )
    assert response.status_code == 503
    assert response.json()["type"].endswith("/need-weights-unavailable")


@pytest.mark.parametrize("body", [{"new_beds": -1}, {}, {"new_beds": 1, "budget_gbp": 5}])
async def test_plan_bad_input(ward_client, auth, reference, body) -> None:
    response = await ward_client.post("/v1/capacity/plans", json=body, headers=auth(Role.admin))
    assert response.status_code == 422


def test_round_half_up_is_used_for_ties() -> None:
    assert round_half_up(Decimal("54.25"), 1) == Decimal("54.3")


SITREP_HEADER = ",".join(SITREP_COLUMNS).encode()


@pytest.mark.parametrize(
    ("content_type", "body", "status", "slug"),
    [
        ("application/json", b"[" * 100_000 + b"]" * 100_000, 400, "malformed-json"),
        ("application/json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, 400, "malformed-json"),
        ("application/json", b'{"rows": [' + b"9" * 5000 + b"]}", 400, "malformed-json"),
        ("application/json", b'{"rows": [1}', 400, "malformed-json"),
        ("application/json", b'{"rows": "\xff\xfe"}', 400, "bad-encoding"),
        ("text/csv", b"period\n\xc3\x28", 400, "bad-encoding"),
        ("application/json", b'{"rows": [1, {"period": 2}]}', 422, "validation-error"),
        ("text/csv", b"\n".join([SITREP_HEADER, b'"' + b"x" * 200_000]), 422, "sitrep-invalid"),
        ("application/xml", b"<rows/>", 422, "unsupported-media-type"),
    ],
    ids=[
        "nested-arrays",
        "nested-objects",
        "huge-integer",
        "bad-syntax",
        "json-not-utf8",
        "csv-not-utf8",
        "rows-not-objects",
        "csv-cell-too-long",
        "xml",
    ],
)
async def test_admin_sitrep_refuses_unreadable_bodies(
    ward_client, auth, reference, content_type: str, body: bytes, status: int, slug: str
) -> None:
    """Whatever the body, a client's mistake is a problem+json 4xx, never a 500."""
    headers = {**auth(Role.admin), "content-type": content_type}
    response = await ward_client.post("/v1/admin/sitrep", content=body, headers=headers)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(f"/{slug}")
    if slug == "validation-error":
        assert [e["pointer"] for e in response.json()["errors"]] == ["/rows/0"]
    if slug == "sitrep-invalid":
        assert response.json()["errors"][0]["line"] == 2


async def test_admin_sitrep_refuses_text_postgresql_cannot_store(
    ward_client, auth, reference
) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(_csv_rows("2031-03"))))
    for bad, status, slug in (("a\x00b", 422, "invalid-text"), ("a\ud800b", 400, "bad-encoding")):
        rows[0]["icb_name"] = bad
        response = await ward_client.post(
            "/v1/admin/sitrep",
            content=json.dumps({"rows": rows}),
            headers={**auth(Role.admin), "content-type": "application/json"},
        )
        assert response.status_code == status, response.text[:300]
        assert response.json()["type"].endswith(f"/{slug}")
