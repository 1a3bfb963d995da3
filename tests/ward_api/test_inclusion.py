"""Costed inclusion plans (issue #15) on the real reference data, worked by hand.

Two ICBs at the ends of England's deprivation range: Birmingham and Solihull (E54000055, QHL;
51.5% of its mid-2019 population in IMD deciles 1–2) and Surrey Heartlands (E54000052, QXU;
0.6%). The module runs on its own database so that the platform's admissions are exactly the
ones these tests make (shares fall back to area indicators until a cell has 30 admissions).
The test that admits 30 patients comes last: the others rely on the indicator shares.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
from sqlalchemy.engine import make_url

from services.ward_api import reference_data
from services.ward_api.app import create_app
from services.ward_api.settings import WardSettings
from shared.auth import Role
from shared.migrate import upgrade
from tests.conftest import _drop_database, _service_client, fresh_database
from tests.support.data import require_data
from tests.ward_api.conftest import admit_body, key, nhs_number

BSOL, BSOL_ODS = "E54000055", "QHL"
SURREY, SURREY_ODS = "E54000052", "QXU"
AT = "2024-06-15"  # sitrep 2024-06: Birmingham and Solihull 60.6% occupied, Surrey 81.2%


@pytest.fixture(scope="module")
def own_database(database_server_url: str) -> Iterator[str]:
    url = fresh_database(database_server_url, "vward_inclusion")
    try:
        upgrade(url)
        reference_data.load(url, require_data())
        yield url
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


@pytest.fixture(scope="module")
async def client(own_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with _service_client(create_app, WardSettings(database_url=own_database)) as c:
        yield c


def _by_hand(icb: str) -> dict[str, Decimal]:
    """Population-weighted means straight from the CSVs, with no cells and no database.

    Device and face-to-face shares are linear in DERI (0.06 and 0.04 × DERI ÷ England's), so
    their population-weighted mean over cells is the same mean over LSOAs; housing likewise.
    """
    d = require_data()

    def rows(name: str) -> list[dict[str, str]]:
        with (d / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    population = {r["lsoa11cd"]: int(r["population_mid2019"]) for r in rows(
        "imd2019_lsoa11_england.csv"
    )}  # fmt: skip
    in_icb = {r["lsoa11cd"] for r in rows("lsoa11_to_icb.csv") if r["icb_code"] == icb}
    deri = {r["lsoa11cd"]: float(r["deri_score"]) for r in rows("digital_exclusion_lsoa.csv")}
    poor = {
        r["lsoa11cd"]: float(r["housing_in_poor_condition_prop"]) for r in rows("housing_lsoa.csv")
    }
    england = sum(population[x] * deri[x] for x in population) / sum(population.values())
    p = sum(population[x] for x in in_icb)
    deri_mean = sum(population[x] * deri[x] for x in in_icb) / p
    housing = sum(population[x] * poor[x] for x in in_icb) / p

    def four(x: float) -> Decimal:
        return Decimal(repr(x)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    return {
        "device_or_connectivity": four(0.06 * deri_mean / england),
        "face_to_face": four(0.04 * deri_mean / england),
        "housing_or_welfare": four(housing),
    }


def _cell_of(icb: str, lsoa: str) -> tuple[float, float, float]:
    """(population share of the ICB in `lsoa`'s IMD × DERI cell, the cell's DERI, England's).

    DERI quintile 1 is the fifth of England's 32,844 LSOAs with the highest scores.
    """
    d = require_data()

    def rows(name: str) -> list[dict[str, str]]:
        with (d / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    imd = {r["lsoa11cd"]: r for r in rows("imd2019_lsoa11_england.csv")}
    deri = {r["lsoa11cd"]: float(r["deri_score"]) for r in rows("digital_exclusion_lsoa.csv")}
    ranked = sorted(deri, key=lambda x: (-deri[x], x))
    quintile = {x: i * 5 // len(ranked) + 1 for i, x in enumerate(ranked)}
    in_icb = [r["lsoa11cd"] for r in rows("lsoa11_to_icb.csv") if r["icb_code"] == icb]

    def cell(x: str) -> tuple[int, int]:
        return (int(imd[x]["imd2019_decile"]) + 1) // 2, quintile[x]

    pop = {x: int(imd[x]["population_mid2019"]) for x in imd}
    same = [x for x in in_icb if cell(x) == cell(lsoa)]
    england = sum(pop[x] * deri[x] for x in pop) / sum(pop.values())
    cell_pop = sum(pop[x] for x in same)
    w = cell_pop / sum(pop[x] for x in in_icb)
    return w, sum(pop[x] * deri[x] for x in same) / cell_pop, england


def _money(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


async def _need(client: httpx.AsyncClient, headers: dict, icb: str, beds: int = 10) -> dict:
    response = await client.get(
        "/v1/inclusion/need", params={"icb": icb, "beds": beds, "at": AT}, headers=headers
    )
    assert response.status_code == 200, response.text
    (area,) = response.json()["areas"]
    return area


async def test_two_icbs_worked_by_hand(client, auth) -> None:
    """10 beds a year in each ICB, from sitrep occupancy and the assumed 7-day stay.

    Birmingham and Solihull: 10 × 0.606 × 365 ÷ 7 = 2211.9 ÷ 7 = 315.985714… admissions.
    Its LSOAs' population-weighted DERI is 3.3133 against England's 2.9935 (ratio 1.1068), so
    device 0.06 × 1.1068 = 0.0664, face to face 0.04 × 1.1068 = 0.0443; poor housing 0.2173.
      device    315.985714 × 0.0664 × £25                = £524.54
      f2f       315.985714 × 0.0443 × (1 × 7 days × £62) = 13.99817 × £434 = £6,075.20
      housing   315.985714 × 0.2173 × £120                = £8,239.64
    Surrey Heartlands: 10 × 0.812 × 365 ÷ 7 = 423.4 admissions; DERI 2.4777 (ratio 0.8277):
    device 0.0497, face to face 0.0331; poor housing 0.1644.
      device    423.4 × 0.0497 × £25  = £526.07
      f2f       423.4 × 0.0331 × £434 = £6,082.31
      housing   423.4 × 0.1644 × £120 = £8,352.84
    Beds cost 10 × £17,900 = £179,000 in both.
    """
    headers = auth(Role.commissioner, icbs=[BSOL_ODS, SURREY_ODS])
    bsol = await _need(client, headers, BSOL)
    surrey = await _need(client, headers, SURREY)

    assert bsol["expected"]["occupancy"]["value"] == "0.606000"
    assert "sitrep 2024-06" in bsol["expected"]["occupancy"]["source"]
    assert bsol["expected"]["length_of_stay_days"]["value"] == "7"
    assert bsol["expected"]["length_of_stay_days"]["source"].startswith("assumption")
    assert bsol["expected"]["admissions"] == "315.99"
    assert surrey["expected"]["admissions"] == "423.40"

    worked = {
        BSOL: {
            "device_or_connectivity": ("0.0664", "524.54"),
            "face_to_face": ("0.0443", "6075.20"),
            "housing_or_welfare": ("0.2173", "8239.64"),
        },
        SURREY: {
            "device_or_connectivity": ("0.0497", "526.07"),
            "face_to_face": ("0.0331", "6082.31"),
            "housing_or_welfare": ("0.1644", "8352.84"),
        },
    }
    for area in (bsol, surrey):
        hand = _by_hand(area["code"])
        needs = {n["need"]: n for n in area["needs"]}
        for need, (share, cost) in worked[area["code"]].items():
            assert Decimal(needs[need]["share"]) == hand[need] == Decimal(share), need
            assert needs[need]["cost_gbp"] == cost, need
            assert needs[need]["source"] == "area indicators"
            # No platform cell is used, so there is no sampling interval.
            assert needs[need]["share_lower"] == needs[need]["share"] == needs[need]["share_upper"]
        # Voluntary support (any need) lies between the largest need and their sum.
        vcs = Decimal(needs["voluntary_sector"]["share"])
        digital = hand["device_or_connectivity"] + hand["face_to_face"]
        housing = hand["housing_or_welfare"]
        assert max(digital, housing) <= vcs <= digital + housing
        total = sum(Decimal(n["cost_gbp"]) for n in area["needs"])
        assert Decimal(area["inclusion_cost_gbp"]) == total
        assert area["beds_cost_gbp"] == "179000"
    # The more deprived, more digitally excluded ICB needs more per admission.
    assert Decimal(bsol["needs"][0]["share"]) > Decimal(surrey["needs"][0]["share"])


async def test_figures_are_reproducible_from_the_working(client, auth) -> None:
    headers = auth(Role.commissioner, icbs=[BSOL_ODS])
    area = await _need(client, headers, BSOL_ODS, beds=25)
    admissions = Decimal(area["expected"]["admissions"])
    assert area["expected"]["working"] == (
        "25 beds × 0.606000 occupancy × 365 days ÷ 7 days mean stay = 789.96"
    )
    assert admissions == Decimal("789.96")  # 25 × 0.606 × 365 / 7 = 789.964…
    for need in area["needs"]:
        assert need["working"].endswith(f"= £{need['cost_gbp']}")
    assert area == await _need(client, headers, BSOL, beds=25)  # same inputs, same plan


async def test_need_is_scoped_to_the_callers_icbs(client, auth) -> None:
    headers = auth(Role.commissioner, icbs=[SURREY_ODS])
    response = await client.get(
        "/v1/inclusion/need", params={"icb": BSOL, "beds": 1, "at": AT}, headers=headers
    )
    assert response.status_code == 403
    assert response.json()["type"].endswith("wrong-icb")
    response = await client.get(
        "/v1/inclusion/need", params={"icb": "E54999999", "beds": 1}, headers=headers
    )
    assert response.status_code == 404
    response = await client.get(
        "/v1/inclusion/need", params={"icb": SURREY, "beds": -1}, headers=headers
    )
    assert response.status_code == 422


async def test_unit_costs_are_set_per_icb_with_history(client, auth) -> None:
    admin = auth(Role.admin, subject="admin-costs")
    url = "/v1/admin/inclusion/unit-costs"
    first = {"icb_code": SURREY_ODS, "item": "community_nurse_visit_gbp", "value": "70.00"}
    response = await client.post(url, json={**first, "reason": "local Band 6 rate"}, headers=admin)
    assert response.status_code == 201, response.text
    second = {**first, "value": "75.50", "reason": "2024/25 pay award"}
    response = await client.post(url, json=second, headers=admin)
    assert response.status_code == 201, response.text
    body = response.json()
    current = {c["item"]: c for c in body["current"]}
    nurse = current["community_nurse_visit_gbp"]
    assert (nurse["value"], nurse["set_by"], nurse["reason"]) == (
        "75.50",
        "admin-costs",
        "2024/25 pay award",
    )
    assert current["device_and_data_per_stay_gbp"]["set_by"] is None  # the cited default
    assert [h["value"] for h in body["history"]] == ["70.00", "75.50"]  # never overwritten

    # Surrey's face-to-face cost now uses £75.50 a visit: 423.4 × 0.0331 × 7 × 75.50.
    commissioner = auth(Role.commissioner, icbs=[SURREY_ODS, BSOL_ODS])
    surrey = await _need(client, commissioner, SURREY)
    f2f = next(n for n in surrey["needs"] if n["need"] == "face_to_face")
    assert f2f["cost_per_admission_gbp"] == "528.50"
    assert Decimal(f2f["cost_gbp"]) == _money(
        Decimal("423.4") * Decimal("0.0331") * Decimal("528.50")
    )
    # Birmingham is untouched.
    bsol = await _need(client, commissioner, BSOL)
    assert (
        next(n for n in bsol["needs"] if n["need"] == "face_to_face")["cost_per_admission_gbp"]
        == "434.00"
    )

    # A commissioner reads the history but cannot set costs; an unknown item is a 422.
    history = await client.get(
        "/v1/inclusion/unit-costs", params={"icb": SURREY}, headers=commissioner
    )
    assert history.status_code == 200 and len(history.json()["history"]) == 2
    assert (await client.post(url, json=second, headers=commissioner)).status_code == 403
    bad = {**second, "item": "champagne"}
    assert (await client.post(url, json=bad, headers=admin)).status_code == 422
    negative = {**second, "value": "-1"}
    assert (await client.post(url, json=negative, headers=admin)).status_code == 422
    other = auth(Role.commissioner, icbs=[BSOL_ODS])
    denied = await client.get("/v1/inclusion/unit-costs", params={"icb": SURREY}, headers=other)
    assert denied.status_code == 403


async def _ward(client: httpx.AsyncClient, auth, icb: str, beds: int) -> dict:
    body = {
        "name": f"Inclusion ward {uuid.uuid4().hex[:6]}",
        "icb_code": icb,
        "provider_ods_code": "RRK",
        "provider_name": "Test Trust",
        "pathways": ["frailty"],
        "beds": beds,
    }
    response = await client.post("/v1/wards", json=body, headers=auth(Role.admin))
    assert response.status_code == 201, response.text
    return response.json()


async def test_partners_are_compared_with_voluntary_hours(client, auth) -> None:
    ward = await _ward(client, auth, BSOL_ODS, beds=5)
    clinician = auth(Role.clinician, wards=[ward["id"]])
    partner = {
        "organisation": "Solihull Carers Centre",
        "service": "carer support",
        "hours_per_week": "3.5",
        "contact_role": "volunteer coordinator",
    }
    url = f"/v1/wards/{ward['id']}/partners"
    response = await client.post(url, json=partner, headers=clinician)
    assert response.status_code == 201, response.text
    assert response.json()["created_by"] == "test-clinician"
    second = {**partner, "organisation": "Age UK Birmingham", "service": "befriending"}
    second["hours_per_week"] = "2"
    assert (await client.post(url, json=second, headers=clinician)).status_code == 201
    listed = await client.get(url, headers=auth(Role.commissioner, icbs=[BSOL_ODS]))
    assert [p["organisation"] for p in listed.json()] == [
        "Solihull Carers Centre",
        "Age UK Birmingham",
    ]
    # Another ward's clinician and another ICB's commissioner see nothing.
    stranger = auth(Role.clinician, wards=[str(uuid.uuid4())])
    assert (await client.get(url, headers=stranger)).status_code == 403
    outsider = auth(Role.commissioner, icbs=[SURREY_ODS])
    assert (await client.get(url, headers=outsider)).status_code == 403
    assert (await client.post(url, json=partner, headers=outsider)).status_code == 403

    area = await _need(client, auth(Role.commissioner, icbs=[BSOL_ODS]), BSOL)
    vcs = next(n for n in area["needs"] if n["need"] == "voluntary_sector")
    # Hours a week: voluntary admissions × 4 hours ÷ (365 ÷ 7) weeks.
    needed = _money(Decimal(vcs["admissions"]) * 4 / (Decimal(365) / 7))
    assert area["voluntary"] == {
        "hours_needed_per_week": str(needed),
        "partner_hours_per_week": "5.50",
        "shortfall_hours_per_week": str(max(needed - Decimal("5.50"), Decimal(0))),
        "partners": 2,
    }


async def test_a_capacity_plan_costs_inclusion_beside_beds(client, auth) -> None:
    """20 new beds between the two ICBs; each area's inclusion cost is that of the beds given.

    June 2024: Birmingham and Solihull 170 beds for 1,628,972 people (10.4 per 100k), Surrey
    Heartlands 207 for 1,141,884 (18.1): water-filling lifts Birmingham first, so it gets all
    20 (190 / 1,628,972 = 11.7 per 100k, still below Surrey's 18.1).
    """
    headers = auth(Role.commissioner, icbs=[BSOL_ODS, SURREY_ODS])
    body = {"new_beds": 20, "icb_codes": [BSOL, SURREY], "at": AT, "include_inclusion": True}
    response = await client.post("/v1/capacity/plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    given = {a["code"]: a["beds_given"] for a in plan["areas"]}
    assert given == {BSOL: 20, SURREY: 0}
    inclusion = {a["code"]: a for a in plan["inclusion"]["areas"]}
    assert set(inclusion) == {BSOL, SURREY}
    assert inclusion[BSOL]["beds_cost_gbp"] == str(20 * 17_900)
    assert inclusion[SURREY]["inclusion_cost_gbp"] == "0.00"  # no beds, no admissions
    # The plan's figures are the need report's for the same beds: reproducible from inputs.
    assert inclusion[BSOL] == await _need(client, headers, BSOL, beds=20)
    assert "Open Government Licence" in plan["inclusion"]["attribution"]
    stored = await client.get(f"/v1/capacity/plans/{plan['id']}", headers=headers)
    assert stored.json()["inclusion"] == plan["inclusion"]
    # Without the option a plan is as before.
    del body["include_inclusion"]
    plain = await client.post("/v1/capacity/plans", json=body, headers=headers)
    assert plain.status_code == 201 and plain.json()["inclusion"] is None


def _core20_share(icb: str) -> Decimal:
    """Share of the ICB's mid-2019 population in IMD 2019 deciles 1–2, from the CSVs."""
    d = require_data()
    with (d / "lsoa11_to_icb.csv").open(encoding="utf-8", newline="") as handle:
        in_icb = {r["lsoa11cd"] for r in csv.DictReader(handle) if r["icb_code"] == icb}
    with (d / "imd2019_lsoa11_england.csv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["lsoa11cd"] in in_icb]
    core20 = sum(int(r["population_mid2019"]) for r in rows if int(r["imd2019_decile"]) <= 2)
    total = sum(int(r["population_mid2019"]) for r in rows)
    return Decimal(repr(core20 / total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


async def test_a_budget_is_shared_between_beds_and_inclusion(client, auth) -> None:
    """£200,000 between the two ICBs, beds and their inclusion both paid for.

    Beds alone: floor(200,000 ÷ 17,900) = 11 beds, all to Birmingham and Solihull (lowest
    rate). With its inclusion cost c a bed (£2,000-odd: about 31.6 admissions a bed a year ×
    some £70 an admission), each bed costs 17,900 + c, so floor(200,000 ÷ (17,900 + c)) = 9
    beds fit: the budget buys fewer beds but every admission they bring can be taken.
    """
    headers = auth(Role.commissioner, icbs=[BSOL_ODS, SURREY_ODS])
    body = {
        "budget_gbp": "200000",
        "icb_codes": [BSOL, SURREY],
        "at": AT,
        "budget_includes_inclusion": True,
    }
    response = await client.post("/v1/capacity/plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    per_bed = Decimal((await _need(client, headers, BSOL, beds=1))["inclusion_cost_per_bed_gbp"])
    assert Decimal(2_000) < per_bed < Decimal(2_500)
    beds = int(Decimal(200_000) // (Decimal(17_900) + per_bed))
    assert beds == 9
    given = {a["code"]: a["beds_given"] for a in plan["areas"]}
    assert given == {BSOL: 9, SURREY: 0}
    inclusion = {a["code"]: a for a in plan["inclusion"]["areas"]}
    spent = Decimal(plan["cost_gbp"]) + Decimal(plan["inclusion"]["inclusion_cost_gbp"])
    assert plan["cost_gbp"] == str(9 * 17_900)
    # The unspent figure is exact; the shown inclusion cost is rounded per need to the penny.
    assert abs(Decimal(plan["unspent_gbp"]) - (Decimal(200_000) - spent)) < Decimal("0.05")
    assert Decimal(plan["unspent_gbp"]) >= 0
    assert Decimal(plan["unspent_gbp"]) < Decimal(17_900) + per_bed  # a 10th bed would not fit
    core20 = inclusion[BSOL]["core20"]
    assert Decimal(core20["population_share"]) == _core20_share(BSOL) == Decimal("0.5150")
    assert core20["admissions_share_with_inclusion"] == core20["population_share"]
    # Without inclusion Birmingham's more digitally excluded Core20 areas would lose more.
    assert Decimal(core20["admissions_share_without_inclusion"]) < Decimal(
        core20["population_share"]
    )
    assert any("Core20" in n for n in plan["notes"])
    # Asking to split without a budget is the client's mistake, not a 500.
    bad = {"new_beds": 5, "budget_includes_inclusion": True}
    refused = await client.post("/v1/capacity/plans", json=bad, headers=headers)
    assert refused.status_code == 422


async def test_a_ward_plan_costs_inclusion_on_each_catchment(client, auth) -> None:
    """Two Cheshire and Merseyside wards on different sub-ICB catchments: each ward's shares
    come from its own catchment's LSOAs (poor housing checked against the CSV)."""
    icb, ods = "E54000008", "QYG"

    async def ward(sub_icb: str) -> dict:
        body = {
            "name": f"Catchment ward {uuid.uuid4().hex[:6]}",
            "icb_code": ods,
            "provider_ods_code": "RBL",
            "provider_name": "Test Trust",
            "pathways": ["frailty"],
            "beds": 2,
            "catchment": {"sub_icb_codes": [sub_icb]},
        }
        response = await client.post("/v1/wards", json=body, headers=auth(Role.admin))
        assert response.status_code == 201, response.text
        return response.json()

    halton, knowsley = await ward("01F"), await ward("01J")
    headers = auth(Role.commissioner, icbs=[ods])
    body: dict = {"new_beds": 4, "include_inclusion": True}  # today: the wards are new
    body["ward_ids"] = [halton["id"], knowsley["id"]]
    response = await client.post(
        "/v1/capacity/plans", params={"level": "ward", "icb": ods}, json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    given = {a["code"]: a["beds_given"] for a in plan["areas"]}
    inclusion = {a["code"]: a for a in plan["inclusion"]["areas"]}
    assert set(inclusion) == {halton["id"], knowsley["id"]}
    d = require_data()
    with (d / "lsoa11_to_icb.csv").open(encoding="utf-8", newline="") as handle:
        lookup = list(csv.DictReader(handle))
    with (d / "imd2019_lsoa11_england.csv").open(encoding="utf-8", newline="") as handle:
        pop = {r["lsoa11cd"]: int(r["population_mid2019"]) for r in csv.DictReader(handle)}
    with (d / "housing_lsoa.csv").open(encoding="utf-8", newline="") as handle:
        poor = {
            r["lsoa11cd"]: float(r["housing_in_poor_condition_prop"])
            for r in csv.DictReader(handle)
        }
    for w, sub in ((halton, "01F"), (knowsley, "01J")):
        area = inclusion[w["id"]]
        assert area["icb_code"] == icb and area["expected"]["beds"] == given[w["id"]]
        lsoas = [r["lsoa11cd"] for r in lookup if r["sicbl_ods_code"] == sub]
        mean = sum(pop[x] * poor[x] for x in lsoas) / sum(pop[x] for x in lsoas)
        housing = next(n for n in area["needs"] if n["need"] == "housing_or_welfare")
        assert Decimal(housing["share"]) == Decimal(repr(mean)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


async def test_a_cell_with_30_admissions_uses_the_platform_share(client, auth) -> None:
    """30 admissions from one Solihull LSOA: 10 without broadband, 3 offline, 9 housing.

    Their cell's device share is 10/30 = 0.3333, Wilson 95% limits (20 + z² ± z√(z² + 26.67))
    ÷ 2(30 + z²) = 0.1923 to 0.5122, in place of its indicator share 0.06 × DERI ÷ England's.
    Face to face (3 of 30) is a count the audit would suppress, so it stays on the indicator.
    So the area's share moves by w × (0.2 − indicator) and its limits open by w × the
    cell's, where w is the cell's share of the ICB's population.
    """
    lsoa = "E01009288"  # Solihull, IMD decile 4
    ward = await _ward(client, auth, BSOL_ODS, beds=30)
    headers = auth(Role.clinician, wards=["*"])
    before = await _need(client, auth(Role.commissioner, icbs=[BSOL_ODS]), BSOL)
    for i in range(30):
        patient = {
            "nhs_number": nhs_number(),
            "date_of_birth": "1950-01-01",
            "sex": "male",
            "ethnic_category": "A",
            "lsoa11cd": lsoa,
            "own_device": not (10 <= i < 13),
            "broadband": i >= 13,
            "housing_concern": i % 10 < 3,
        }
        response = await client.post("/v1/patients", json=patient, headers=headers)
        assert response.status_code == 201, response.text
        admission = await client.post(
            "/v1/admissions",
            json=admit_body(response.json(), ward, pathway="frailty"),
            headers={**headers, **key()},
        )
        assert admission.status_code == 201, admission.text
    after = await _need(client, auth(Role.commissioner, icbs=[BSOL_ODS]), BSOL)
    needs = {n["need"]: n for n in after["needs"]}
    device = needs["device_or_connectivity"]
    assert device["source"] == "platform admissions and area indicators (30 admissions)"
    w, cell_deri, england = _cell_of(BSOL, lsoa)
    assert Decimal(device["population_from_platform_pct"]) == _money(Decimal(repr(100 * w)))
    old = float(next(n for n in before["needs"] if n["need"] == "device_or_connectivity")["share"])
    indicator = 0.06 * cell_deri / england
    assert float(device["share"]) == pytest.approx(old + w * (1 / 3 - indicator), abs=1e-4)
    share = float(device["share"])
    assert float(device["share_lower"]) == pytest.approx(share - w * (1 / 3 - 0.19230), abs=1e-4)
    assert float(device["share_upper"]) == pytest.approx(share + w * (0.51220 - 1 / 3), abs=1e-4)
    assert needs["face_to_face"]["source"] == "area indicators"
    assert needs["housing_or_welfare"]["source"].startswith("platform")
    assert "patient" not in str(after).lower()
