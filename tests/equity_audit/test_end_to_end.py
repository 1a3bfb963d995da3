"""ward_api for real (in-process ASGI): admit and discharge patients across LSOAs of every
IMD decile in one ICB, pull the uptake snapshot, and check the audit's figures by hand.

The run shares one database with every other test, so the scenario is scoped to an ICB
whose residents have no admissions in the window before it starts (checked against
ward_api's own aggregate feed) and to the months its admissions fall in; after the pull it
checks that the snapshot holds exactly the admissions made here for that ICB.
"""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import numpy as np
import pytest

from shared.auth import Role
from tests.conftest import serve_in_process

# Admissions per IMD decile of residence (one real LSOA per decile):
#   quintiles 42, 23, 20, 17, 12 (total 114) all survive, published as 40, 25, 20, 15, 10
#   (total 115); by decile, 3 in decile 10 is hidden and so is its partner, the smallest
#   other cell (8 in decile 8).
PER_DECILE = {1: 30, 2: 12, 3: 13, 4: 10, 5: 10, 6: 10, 7: 9, 8: 8, 9: 9, 10: 3}
# Per quintile: patients without their own device / without broadband; escalations.
NO_DEVICE = {1: 20, 2: 8, 3: 5, 4: 3, 5: 1}
NO_BROADBAND = {1: 10, 2: 0, 3: 0, 4: 0, 5: 0}
ESCALATED = {1: 10, 2: 0, 3: 0, 4: 0, 5: 0}
Z95 = 1.959963984540054


def _nhs_number(rng: random.Random) -> str:
    """A valid NHS number (modulus 11) in the 9xx range, which is never issued to people."""
    while True:
        digits = [9, *(rng.randint(0, 9) for _ in range(8))]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, [*digits, check]))


def _rounded(count: int) -> int:
    """NHS Digital rounding to the nearest 5, halves up (counts 1-7 are hidden instead)."""
    return (2 * count + 5) // 10 * 5


@dataclass(frozen=True)
class Area:
    icb_code: str
    icb_ods_code: str
    lsoa_by_decile: dict[int, str]
    population_by_quintile: dict[int, float]
    need_share: float  # Core20 share of the ICB's population x IMD score, by hand


async def _candidate_areas(database_url: str) -> list[Area]:
    """ICBs with LSOAs in every IMD decile, with the figures the hand calculation needs."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT g.icb_code, g.icb_ods_code, l.imd_decile, min(l.lsoa11cd) AS lsoa,
                      sum(l.population)::float8 AS population,
                      sum(l.population * l.imd_score)::float8 AS need
               FROM equity.lsoas l JOIN equity.lsoa_geography g USING (lsoa11cd)
               GROUP BY 1, 2, 3 ORDER BY 1, 3"""
        )
    finally:
        await conn.close()
    by_icb: dict[tuple[str, str], list] = {}
    for r in rows:
        by_icb.setdefault((r["icb_code"], r["icb_ods_code"]), []).append(r)
    areas = []
    for (code, ods), deciles in by_icb.items():
        if {r["imd_decile"] for r in deciles} != set(range(1, 11)):
            continue
        population = {q: 0.0 for q in range(1, 6)}
        for r in deciles:
            population[(r["imd_decile"] + 1) // 2] += r["population"]
        need_all = sum(r["need"] for r in deciles)
        need_core20 = sum(r["need"] for r in deciles if r["imd_decile"] <= 2)
        areas.append(
            Area(
                icb_code=code,
                icb_ods_code=ods,
                lsoa_by_decile={r["imd_decile"]: r["lsoa"] for r in deciles},
                population_by_quintile=population,
                need_share=need_core20 / need_all,
            )
        )
    return areas


async def _lsoas_of(database_url: str, icb_code: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT lsoa11cd FROM equity.lsoa_geography WHERE icb_code = $1", icb_code
        )
    finally:
        await conn.close()
    return {r["lsoa11cd"] for r in rows}


@pytest.fixture(scope="module")
def ward_reference(database_url: str) -> str:
    from services.ward_api import reference_data
    from tests.support.data import require_data

    return reference_data.load(database_url, require_data())


def _patients() -> list[dict]:
    """One entry per admission: decile of residence and what is recorded about the patient."""
    plan = []
    seen = {q: 0 for q in range(1, 6)}
    for decile, count in PER_DECILE.items():
        quintile = (decile + 1) // 2
        for _ in range(count):
            i = seen[quintile]
            seen[quintile] += 1
            plan.append(
                {
                    "decile": decile,
                    "quintile": quintile,
                    "own_device": i >= NO_DEVICE[quintile],
                    "broadband": i >= NO_BROADBAND[quintile],
                    "housing_concern": quintile == 1 and i < 9,
                    "pathway": "frailty" if decile == 3 else "acute_respiratory_infection",
                    "outcome": "escalated_to_hospital" if i < ESCALATED[quintile] else "completed",
                }
            )
    return plan


@pytest.fixture(scope="module")
async def scenario(database_url, reference_loaded, ward_reference, ward_client, auth):
    """Admit and discharge the planned patients in a fresh ward; the audit app over ward_api."""
    from services.equity_audit.app import create_app
    from services.equity_audit.settings import EquitySettings

    today = datetime.now(UTC).date()
    feed = await ward_client.get(
        "/v1/internal/aggregates/admissions",
        params={"from": today.replace(day=1).isoformat(), "to": (today + timedelta(2)).isoformat()},
        headers=auth(Role.service),
    )
    assert feed.status_code == 200, feed.text
    busy_lsoas = {r["lsoa11cd"] for r in feed.json()["rows"]}
    candidates = await _candidate_areas(database_url)
    busy_icbs = {r["icb_code"] for r in feed.json()["rows"]} | {"E54000008", "E54000050"}
    for area in sorted(candidates, key=lambda a: a.icb_code, reverse=True):
        if area.icb_code not in busy_icbs and not busy_lsoas & await _lsoas_of(
            database_url, area.icb_code
        ):
            break
    else:
        pytest.fail("no ICB without admissions this month to run the scenario in")

    admin = auth(Role.admin)
    ward = await ward_client.post(
        "/v1/wards",
        json={
            "name": f"E2E equity ward {uuid.uuid4().hex[:6]}",
            "icb_code": area.icb_ods_code,
            "provider_ods_code": "RBL",
            "provider_name": "Equity Test Trust",
            "pathways": ["acute_respiratory_infection", "frailty"],
            "beds": 200,
        },
        headers=admin,
    )
    assert ward.status_code == 201, ward.text
    ward_id = ward.json()["id"]
    clinician = auth(Role.clinician, wards=[ward_id])
    rng = random.Random(20_240_401)
    gate = asyncio.Semaphore(8)

    async def admit_and_discharge(p: dict) -> str:
        async with gate:
            patient = await ward_client.post(
                "/v1/patients",
                json={
                    "nhs_number": _nhs_number(rng),
                    "date_of_birth": "1950-06-15",
                    "sex": "female",
                    "ethnic_category": "A",
                    "lsoa11cd": area.lsoa_by_decile[p["decile"]],
                    "own_device": p["own_device"],
                    "broadband": p["broadband"],
                    "housing_concern": p["housing_concern"],
                },
                headers=auth(Role.clinician, wards=["*"]),
            )
            assert patient.status_code == 201, patient.text
            admitted = await ward_client.post(
                "/v1/admissions",
                json={
                    "patient_id": patient.json()["id"],
                    "ward_id": ward_id,
                    "pathway": p["pathway"],
                    "referral_source": "gp",
                },
                headers={**clinician, "Idempotency-Key": uuid.uuid4().hex},
            )
            assert admitted.status_code == 201, admitted.text
            admission = admitted.json()
            discharged = await ward_client.post(
                f"/v1/admissions/{admission['id']}/discharge",
                json={"outcome": p["outcome"]},
                headers=clinician,
            )
            assert discharged.status_code == 200, discharged.text
            return admission["admitted_at"][:7]

    months = sorted(set(await asyncio.gather(*map(admit_and_discharge, _patients()))))

    settings = EquitySettings(
        database_url=database_url, snapshot_max_age_seconds=0, sii_repetitions=20_000
    )
    app = create_app(settings, ward_api_transport=httpx.ASGITransport(app=ward_client.app))
    async with serve_in_process(app) as equity:
        refreshed = await equity.post("/v1/admin/snapshots/refresh", headers=admin)
        assert refreshed.status_code == 200, refreshed.text

        async def audit(**params: str) -> httpx.Response:
            window = {"icb": area.icb_code, "from": months[0], "to": months[-1]}
            return await equity.get("/v1/audit", params={**window, **params}, headers=admin)

        yield area, months, audit


def _group(body: dict, key: str) -> dict:
    return next(g for g in body["groups"] if g["group"] == key)


async def test_the_snapshot_holds_exactly_these_admissions(scenario, database_url):
    """The premise of every hand calculation below: no other admissions in scope."""
    area, months, _ = scenario
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            """SELECT u.lsoa11cd, sum(u.admissions)::int AS n
               FROM equity.uptake u JOIN equity.lsoa_geography g USING (lsoa11cd)
               WHERE g.icb_code = $1 AND u.month BETWEEN $2 AND $3 GROUP BY 1""",
            area.icb_code,
            months[0],
            months[-1],
        )
    finally:
        await conn.close()
    expected = {area.lsoa_by_decile[d]: n for d, n in PER_DECILE.items()}
    assert {r["lsoa11cd"]: r["n"] for r in rows} == expected


async def test_counts_rates_and_core20_by_hand(scenario):
    area, _, audit = scenario
    response = await audit()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["snapshot"]["stale"] is False
    true = {q: PER_DECILE[2 * q - 1] + PER_DECILE[2 * q] for q in range(1, 6)}
    assert true == {1: 42, 2: 23, 3: 20, 4: 17, 5: 12}
    published = {q: _rounded(n) for q, n in true.items()}
    assert published == {1: 40, 2: 25, 3: 20, 4: 15, 5: 10}
    assert {g["group"]: g["admissions"] for g in body["groups"]} == {
        str(q): n for q, n in published.items()
    }
    assert body["total"]["admissions"] == _rounded(114) == 115

    # Crude rate per 100,000 residents of the ICB's quintile-1 LSOAs, Byars 95% limits.
    q1, pop1 = _group(body, "1"), area.population_by_quintile[1]
    assert q1["population"] == round(pop1)
    assert q1["crude_rate_per_100k"] == pytest.approx(round(40 / pop1 * 1e5, 2))
    lower = 40 * (1 - 1 / (9 * 40) - Z95 / (3 * math.sqrt(40))) ** 3 / pop1 * 1e5
    upper = 41 * (1 - 1 / (9 * 41) + Z95 / (3 * math.sqrt(41))) ** 3 / pop1 * 1e5
    assert q1["crude_rate_method"] == "Byars"
    assert q1["crude_rate_lower_95"] == pytest.approx(round(lower, 2), abs=0.011)
    assert q1["crude_rate_upper_95"] == pytest.approx(round(upper, 2), abs=0.011)
    # Escalation: 10 of 42 discharged, published 10 of 40.
    assert q1["escalated"] == 10 and q1["escalation_pct"] == pytest.approx(25.0)

    # Core20 share from the published quintile counts: 40 of 40+25+20+15+10 = 110.
    core20 = body["inequality"]["core20"]
    n, p = 110, 40 / 110
    assert core20["admissions_with_known_area"] == n
    assert core20["admission_share_pct"] == pytest.approx(round(p * 100, 1))
    population_share = pop1 / sum(area.population_by_quintile.values())
    assert core20["population_share_pct"] == pytest.approx(round(population_share * 100, 1))
    assert core20["share_ratio"] == pytest.approx(round(p / population_share, 3), abs=1e-3)
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / (1 + Z95**2 / n)
    assert core20["admission_share_lower_95"] == pytest.approx(round((centre - half) * 100, 1))
    assert core20["admission_share_upper_95"] == pytest.approx(round((centre + half) * 100, 1))

    # SII and RII both ways round, from a population-weighted fit of the log of the published
    # rates (phe_sii transform = TRUE, the package's advice for rates), back-transformed.
    pops = np.array([area.population_by_quintile[q] for q in range(1, 6)])
    rates = np.array([published[q] for q in range(1, 6)]) / pops * 1e5
    share = pops / pops.sum()
    x = np.cumsum(share) - share / 2
    slope, intercept = np.polyfit(x, np.log(rates), 1, w=np.sqrt(share))
    sii = body["inequality"]["imd_quintile"]
    assert sii["available"] is True
    assert sii["transform"] == "log"
    assert sii["sii"] == pytest.approx(np.exp(intercept + slope) - np.exp(intercept), abs=0.01)
    assert sii["rii"] == pytest.approx(np.exp(slope), abs=1e-3)
    most_over_least = np.exp(-slope)
    assert sii["rii_most_over_least_deprived"] == pytest.approx(most_over_least, abs=1e-3)
    assert (
        sii["rii_most_over_least_deprived_lower_95"]
        < sii["rii_most_over_least_deprived"]
        < sii["rii_most_over_least_deprived_upper_95"]
    )
    assert sii["rii_most_over_least_deprived"] == pytest.approx(1 / sii["rii"], abs=2e-3)


async def test_a_small_cell_and_its_secondary_partner_are_hidden(scenario):
    _, _, audit = scenario
    body = (await audit(cut="imd_decile")).json()
    admissions = {g["group"]: g["admissions"] for g in body["groups"]}
    # 3 (decile 10) is hidden; 8 (decile 8), the smallest other cell, is hidden with it so
    # that 3 cannot be found from the total. Everything else is rounded to 5.
    assert admissions == {
        "1": 30, "2": 10, "3": 15, "4": 10, "5": 10,
        "6": 10, "7": 10, "8": None, "9": 10, "10": None,
    }  # fmt: skip
    assert body["total"]["admissions"] == 115
    for key in ("8", "10"):
        group = _group(body, key)
        assert "admissions" in group["suppressed"]
        assert group["crude_rate_per_100k"] is None


async def test_need_funnel_point_by_hand(scenario):
    """Expected Core20 admissions = ICB admissions x Core20 share of population x IMD score."""
    area, _, audit = scenario
    body = (await audit()).json()
    assert "IMD 2019 score stands in for need" in body["need_rule"]
    point = next(p for p in body["need"]["points"] if p["icb_code"] == area.icb_code)
    expected = 115 * area.need_share  # published total (114 -> 115) x need share
    assert point["in_scope"] is True
    assert point["observed_core20_admissions"] == 40  # 42 published
    assert point["expected_core20_admissions"] == pytest.approx(round(expected, 1))
    assert point["ratio"] == pytest.approx(round(40 / expected, 3), abs=1e-3)


async def test_person_cuts_and_digital_access(scenario):
    _, _, audit = scenario
    device = (await audit(cut="own_device")).json()
    # 37 without a device (20 + 8 + 5 + 3 + 1), 77 with: published 35 and 75.
    assert {g["group"]: g["admissions"] for g in device["groups"]} == {"yes": 75, "no": 35}
    assert _group(device, "no")["label"] == "No own device"
    pathway = (await audit(cut="pathway")).json()
    assert {g["group"]: g["admissions"] for g in pathway["groups"]} == {
        "acute_respiratory_infection": 100,  # 101
        "frailty": 15,  # 13 in decile 3
    }
    housing = (await audit(cut="housing_concern")).json()
    assert {g["group"]: g["admissions"] for g in housing["groups"]} == {"yes": 10, "no": 105}

    digital = {r["group"]: r for r in device["digital_access"]["rows"]}
    # Quintile 1: 22 of 42 with their own device (published 20 of 40); 32 of 42 broadband.
    assert digital["1"]["own_device_recorded"] == 40
    assert digital["1"]["own_device"] == 20
    assert digital["1"]["own_device_pct"] == pytest.approx(50.0)
    assert digital["1"]["broadband"] == 30
    assert digital["1"]["broadband_pct"] == pytest.approx(75.0)
    # Quintile 5: 1 of 12 without a device, so the device cells there are protected.
    assert digital["5"]["own_device_recorded"] == 10
    html = (await audit(format="html")).text
    assert '<h2 id="digital">Digital access by IMD quintile</h2>' in html
    assert "<td>1 (most deprived)</td><td>40</td><td>20</td><td>50.0</td>" in html


async def test_what_inclusion_would_cost_here(scenario, ward_client, auth):
    """Issue #15: the audit shows ward_api's costing of 10 new beds in the ICB, unchanged."""
    area, _, audit = scenario
    body = (await audit()).json()
    section = body["inclusion"]
    assert section["available"] is True, section
    assert section["beds"] == 10
    direct = await ward_client.get(
        "/v1/inclusion/need", params={"icb": area.icb_code, "beds": 10}, headers=auth(Role.service)
    )
    assert direct.status_code == 200, direct.text
    (own,) = direct.json()["areas"]
    assert section["inclusion_cost_gbp"] == own["inclusion_cost_gbp"]
    assert section["beds_cost_gbp"] == own["beds_cost_gbp"] == "179000"
    assert [n["need"] for n in section["needs"]] == [n["need"] for n in own["needs"]]
    assert "nhs_number" not in str(section) and "patient_id" not in str(section)
    html = (await audit(format="html")).text
    assert '<h2 id="inclusion">What inclusion would cost here</h2>' in html
    assert f"£{own['inclusion_cost_gbp']} more" in html
