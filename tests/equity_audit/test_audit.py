"""The audit: disclosure control, statistics from published counts, ICB scoping, formats."""

from __future__ import annotations

import csv
import io

import pytest

from shared.auth import Role
from tests.equity_audit.cases import IcbCase, icb_cases
from tests.equity_audit.conftest import StubWardApi, aggregate_row

# Admissions per IMD quintile in the small ICB: 3 is primary-suppressed, 12 then hidden too.
SMALL = {1: 50, 2: 33, 3: 22, 4: 12, 5: 3}
# A larger ICB where nothing is suppressed.
LARGE = {1: 150, 2: 120, 3: 90, 4: 75, 5: 60}


def _rows(case: IcbCase, counts: dict[int, int]) -> list[dict]:
    rows = []
    for quintile, n in counts.items():
        lsoa = case.lsoa_by_quintile[quintile]
        escalated = n // 5 if quintile == 1 else 0
        rows.append(
            aggregate_row(
                icb_code=case.icb_code,
                lsoa11cd=lsoa,
                admissions=n - escalated,
                los_days_sum=7 * (n - escalated),
                readings_expected=100 * (n - escalated),
                readings_received=80 * (n - escalated),
            )
        )
        if escalated:
            rows.append(
                aggregate_row(
                    icb_code=case.icb_code,
                    lsoa11cd=lsoa,
                    outcome="escalated_to_hospital",
                    sex="male",
                    admissions=escalated,
                    los_days_sum=3 * escalated,
                    readings_expected=100 * escalated,
                    readings_received=80 * escalated,
                )
            )
    return rows


@pytest.fixture(scope="module")
async def scenario(database_url, reference_loaded, stub_client, stub_ward: StubWardApi, auth):
    small, large = await icb_cases(database_url, 2)
    stub_ward.down = False
    stub_ward.rows = _rows(small, SMALL) + _rows(large, LARGE)
    response = await stub_client.post(
        "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=auth(Role.admin)
    )
    assert response.status_code == 200, response.text
    return small, large


def _group(body: dict, key: str) -> dict:
    return next(g for g in body["groups"] if g["group"] == key)


async def test_small_counts_suppressed_and_others_rounded(stub_client, scenario, auth, ward_up):
    small, _ = scenario
    response = await stub_client.get(
        "/v1/audit",
        params={"icb": small.icb_ods_code},
        headers=auth(Role.commissioner, icbs=[small.icb_ods_code]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"]["icb_code"] == small.icb_code
    admissions = {g["group"]: g["admissions"] for g in body["groups"]}
    # 3 is primary-suppressed; 12 hidden as secondary so 3 cannot be found from the total.
    assert admissions == {"1": 50, "2": 35, "3": 20, "4": None, "5": None}
    assert body["total"]["admissions"] == 120
    assert "admissions" in _group(body, "5")["suppressed"]
    assert "admissions" in _group(body, "4")["suppressed"]


async def test_rates_come_from_published_counts_and_hide_with_them(
    stub_client, scenario, auth, ward_up
):
    small, _ = scenario
    body = (
        await stub_client.get("/v1/audit", params={"icb": small.icb_code}, headers=auth(Role.admin))
    ).json()
    q2 = _group(body, "2")
    expected = round(35 / small.population_by_quintile[2] * 100_000, 2)  # 33 published as 35
    assert q2["crude_rate_per_100k"] == pytest.approx(expected)
    assert q2["crude_rate_lower_95"] < q2["crude_rate_per_100k"] < q2["crude_rate_upper_95"]
    assert q2["crude_rate_method"] == "Byars"
    for key in ("4", "5"):
        group = _group(body, key)
        assert group["crude_rate_per_100k"] is None
        assert group["crude_rate_upper_95"] is None
        assert "crude_rate_per_100k" in group["suppressed"]
        assert group["monitoring_completeness_pct"] is None
    assert body["groups"][0]["age_standardised_rate_per_100k"] is None
    assert any("Age-standardised rates are not reported" in c for c in body["caveats"])
    sii = body["inequality"]["imd_quintile"]
    assert sii["available"] is False and "suppressed" in sii["reason"]


async def test_outcomes_and_inequality_in_a_larger_icb(stub_client, scenario, auth, ward_up):
    _, large = scenario
    body = (
        await stub_client.get("/v1/audit", params={"icb": large.icb_code}, headers=auth(Role.admin))
    ).json()
    q1 = _group(body, "1")
    assert q1["admissions"] == 150
    assert q1["escalated"] == 30
    assert q1["escalation_pct"] == pytest.approx(20.0)
    assert q1["escalation_lower_95"] < 20 < q1["escalation_upper_95"]
    assert q1["mean_length_of_stay_days"] == pytest.approx((7 * 120 + 3 * 30) / 150, abs=0.05)
    assert q1["monitoring_completeness_pct"] == pytest.approx(80.0)
    inequality = body["inequality"]
    sii = inequality["imd_quintile"]
    assert sii["available"] is True
    assert sii["sii_lower_95"] <= sii["sii"] <= sii["sii_upper_95"]
    assert sii["rii"] is not None
    ratio = inequality["rate_ratio_most_vs_least_deprived"]
    pop = large.population_by_quintile
    assert ratio["rate_ratio"] == pytest.approx((150 / pop[1]) / (60 / pop[5]), rel=1e-3)
    assert ratio["method"] == "Log-normal"
    core20 = inequality["core20"]
    assert core20["admission_share_pct"] == pytest.approx(150 / 495 * 100, abs=0.1)
    assert core20["population_share_pct"] == pytest.approx(
        pop[1] / sum(pop.values()) * 100, abs=0.1
    )


async def test_need_funnel_places_icbs_and_states_the_rule(stub_client, scenario, auth, ward_up):
    small, large = scenario
    body = (await stub_client.get("/v1/audit", headers=auth(Role.admin))).json()
    need = body["need"]
    assert "99.8%" in need["rule"]
    placed = {p["icb_code"]: p for p in need["points"]}
    assert large.icb_code in placed and small.icb_code in placed
    point = placed[large.icb_code]
    assert point["ratio"] == pytest.approx(
        point["observed_core20_admissions"] / point["expected_core20_admissions"], rel=1e-2
    )
    assert point["significance"] in {"within", "above_95", "above_99_8", "below_95", "below_99_8"}
    assert set(need["flagged"]) <= set(placed)
    assert need["limits"] and need["limits"][0]["lower_99_8"] <= need["limits"][0]["lower_95"]


async def test_need_funnel_shows_a_one_icb_commissioner_only_their_icb(
    stub_client, scenario, auth, ward_up
):
    """Issue #9 §4: other ICBs' Core20 counts (and, by E / need share, their totals) stay
    hidden from a commissioner scoped to one ICB; a national commissioner still sees all."""
    small, large = scenario
    response = await stub_client.get(
        "/v1/audit",
        params={"icb": large.icb_ods_code},
        headers=auth(Role.commissioner, icbs=[large.icb_ods_code]),
    )
    assert response.status_code == 200, response.text
    need = response.json()["need"]
    assert need["coverage"] == "icbs_in_scope"
    assert [p["icb_code"] for p in need["points"]] == [large.icb_code]
    listed = need["flagged"] + need["watch"] + need["suppressed_icbs"]
    assert set(listed + need["icbs_without_core20_areas"]) <= {large.icb_code}
    for other in (small.icb_code, small.icb_ods_code):
        assert other not in response.text
    # The limit grid spans this ICB's expectation only, not the others' range.
    (point,) = need["points"]
    expected = point["expected_core20_admissions"]
    assert need["limits"][0]["expected"] == pytest.approx(max(expected / 1.5, 0.5), abs=0.1)
    assert need["limits"][-1]["expected"] == pytest.approx(expected * 1.5, abs=0.1)

    for fmt in ("csv", "html"):
        rendered = await stub_client.get(
            "/v1/audit",
            params={"icb": large.icb_ods_code, "format": fmt},
            headers=auth(Role.commissioner, icbs=[large.icb_ods_code]),
        )
        assert rendered.status_code == 200, rendered.text
        assert small.icb_code not in rendered.text and small.icb_ods_code not in rendered.text

    national = await stub_client.get(
        "/v1/audit",
        params={"icb": large.icb_ods_code},
        headers=auth(Role.commissioner, icbs=["*"]),
    )
    assert national.status_code == 200, national.text
    assert national.json()["need"]["coverage"] == "england"
    placed = {p["icb_code"] for p in national.json()["need"]["points"]}
    assert {small.icb_code, large.icb_code} <= placed


async def test_person_cut_has_no_rates(stub_client, scenario, auth, ward_up):
    _, large = scenario
    body = (
        await stub_client.get(
            "/v1/audit", params={"icb": large.icb_code, "cut": "sex"}, headers=auth(Role.admin)
        )
    ).json()
    groups = {g["group"]: g for g in body["groups"]}
    assert set(groups) == {"female", "male"}
    assert groups["male"]["admissions"] == 30
    assert groups["male"]["population"] is None
    assert groups["male"]["crude_rate_per_100k"] is None


@pytest.mark.parametrize(
    "cut",
    ["imd_decile", "core20", "digital_exclusion_quintile", "housing_quintile", "icb", "sub_icb",
     "ethnic_category", "age_band"],
)  # fmt: skip
async def test_every_cut_answers(stub_client, scenario, auth, ward_up, cut):
    _, large = scenario
    response = await stub_client.get(
        "/v1/audit", params={"icb": large.icb_code, "cut": cut}, headers=auth(Role.admin)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"]["admissions"] == 495
    if cut in ("digital_exclusion_quintile", "housing_quintile", "imd_decile"):
        assert "cut_gradient" in body


async def test_wrong_icb_is_403(stub_client, scenario, auth):
    small, large = scenario
    headers = auth(Role.commissioner, icbs=[small.icb_ods_code])
    response = await stub_client.get("/v1/audit", params={"icb": large.icb_code}, headers=headers)
    assert response.status_code == 403
    assert response.json()["type"].endswith("/wrong-icb")
    england = await stub_client.get("/v1/audit", headers=headers)
    assert england.status_code == 403
    assert england.json()["type"].endswith("/wrong-icb")


async def test_national_commissioner_sees_england(stub_client, scenario, auth, ward_up):
    response = await stub_client.get("/v1/audit", headers=auth(Role.commissioner, icbs=["*"]))
    assert response.status_code == 200
    assert response.json()["scope"]["level"] == "england"


@pytest.mark.parametrize("role", [Role.clinician, Role.vendor])
async def test_clinicians_and_vendors_are_refused(stub_client, scenario, auth, role):
    response = await stub_client.get("/v1/audit", headers=auth(role, icbs=["*"], wards=["*"]))
    assert response.status_code == 403
    assert response.json()["type"].endswith("/wrong-role")


async def test_unknown_icb(stub_client, scenario, auth):
    assert (
        await stub_client.get("/v1/audit", params={"icb": "E54999999"}, headers=auth(Role.admin))
    ).status_code == 404
    scoped = auth(Role.commissioner, icbs=["QXX"])
    assert (
        await stub_client.get("/v1/audit", params={"icb": "QZZ"}, headers=scoped)
    ).status_code == 403


async def test_csv_download_hides_small_counts(stub_client, scenario, auth, ward_up):
    small, _ = scenario
    response = await stub_client.get(
        "/v1/audit", params={"icb": small.icb_code, "format": "csv"}, headers=auth(Role.admin)
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    header = rows[0]
    table = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:7]}
    assert table["5"]["admissions"] == "*"
    assert table["4"]["admissions"] == "*"
    assert table["5"]["crude_rate_per_100k"] == "*"
    assert table["1"]["admissions"] == "50"
    assert table["total"]["admissions"] == "120"
    notes = [r[1] for r in rows if r and r[0] == "note"]
    assert any("Open Government Licence v3.0" in n for n in notes)
    assert "3" not in {table["5"][c] for c in header}


async def test_csv_and_json_carry_rii_both_ways(stub_client, scenario, auth, ward_up):
    _, large = scenario
    params = {"icb": large.icb_code}
    body = (await stub_client.get("/v1/audit", params=params, headers=auth(Role.admin))).json()
    sii = body["inequality"]["imd_quintile"]
    assert sii["rii_most_over_least_deprived"] == pytest.approx(1 / sii["rii"], rel=2e-3)
    assert "PHEindicatormethods" in sii["rii_convention"]
    text = (
        await stub_client.get(
            "/v1/audit", params={**params, "format": "csv"}, headers=auth(Role.admin)
        )
    ).text
    stats = {r[1]: r for r in csv.reader(io.StringIO(text)) if r and r[0] == "statistic"}
    assert float(stats["rii"][2]) == sii["rii"]
    row = stats["rii_most_over_least_deprived"]
    assert float(row[2]) == sii["rii_most_over_least_deprived"]
    assert float(row[3]) == sii["rii_most_over_least_deprived_lower_95"]
    assert float(row[4]) == sii["rii_most_over_least_deprived_upper_95"]
    assert "most deprived end over least deprived end" in row[5]


@pytest.mark.parametrize(
    ("cut", "groups"),
    [("own_device", {"no"}), ("broadband", {"yes"}), ("housing_concern", {"no"}),
     ("pathway", {"acute_respiratory_infection"})],
)  # fmt: skip
async def test_flag_and_pathway_cuts(stub_client, scenario, auth, ward_up, cut, groups):
    _, large = scenario
    response = await stub_client.get(
        "/v1/audit", params={"icb": large.icb_code, "cut": cut}, headers=auth(Role.admin)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {g["group"] for g in body["groups"]} == groups
    assert body["total"]["admissions"] == 495
    assert all(g["population"] is None for g in body["groups"])


async def test_stale_snapshot_when_ward_api_is_down(stub_client, scenario, auth, stub_ward):
    small, _ = scenario
    stub_ward.down = True
    try:
        response = await stub_client.get(
            "/v1/audit", params={"icb": small.icb_code}, headers=auth(Role.admin)
        )
        refresh = await stub_client.post("/v1/admin/snapshots/refresh", headers=auth(Role.admin))
    finally:
        stub_ward.down = False
    assert response.status_code == 200
    snapshot = response.json()["snapshot"]
    assert snapshot["stale"] is True
    assert snapshot["age_seconds"] >= 0 and snapshot["taken_at"]
    assert refresh.status_code == 503
    assert refresh.headers["retry-after"]
    assert refresh.json()["type"].endswith("/uptake-unavailable")
    assert refresh.json()["last_snapshot"]["taken_at"]


@pytest.mark.parametrize(
    ("cut", "scoped"), [("imd_quintile", True), ("housing_quintile", False), ("pathway", True)]
)
async def test_the_documented_schema_describes_the_answer(
    stub_client, scenario, auth, cut: str, scoped: bool
):
    """`AuditReport` (the OpenAPI schema of the JSON answer) reads it back exactly."""
    from services.equity_audit.audit.schemas import AuditReport

    small, _ = scenario
    params = {"cut": cut, **({"icb": small.icb_code} if scoped else {})}
    response = await stub_client.get("/v1/audit", params=params, headers=auth(Role.admin))
    assert response.status_code == 200, response.text
    body = response.json()
    assert AuditReport.model_validate(body).model_dump(mode="json") == body
