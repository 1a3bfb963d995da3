"""`/v1/methods/*`: item-by-item answers, and a 422 naming the item for bad input."""

from __future__ import annotations

import numpy as np
import pytest

from shared.auth import Role


async def test_rates_item_by_item(equity_client, auth):
    response = await equity_client.post(
        "/v1/methods/rates",
        json={
            "items": [{"count": 5, "denominator": 10_000}, {"count": 250, "denominator": 100_000}],
            "multiplier": 100_000,
            "confidence": [0.95, 0.998],
        },
        headers=auth(Role.commissioner, icbs=["QWE"]),
    )
    assert response.status_code == 200, response.text
    first, second = response.json()["items"]
    assert first["estimate"] == pytest.approx(50.0)
    assert first["method"] == "Exact" and second["method"] == "Byars"
    assert [lim["level"] for lim in first["limits"]] == [0.95, 0.998]
    # Exact Poisson 95% limits for 5 events: 1.6235 to 11.6683 (per 10,000 -> per 100,000).
    assert first["limits"][0]["lower"] == pytest.approx(16.235, abs=0.01)
    assert first["limits"][0]["upper"] == pytest.approx(116.683, abs=0.01)
    assert second["limits"][1]["lower"] < second["limits"][0]["lower"]


async def test_proportions_wilson(equity_client, auth):
    response = await equity_client.post(
        "/v1/methods/proportions",
        json={"items": [{"numerator": 20, "denominator": 100}], "confidence": [0.95]},
        headers=auth(Role.admin),
    )
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["method"] == "Wilson"
    assert item["limits"][0]["lower"] == pytest.approx(0.1333, abs=1e-4)
    assert item["limits"][0]["upper"] == pytest.approx(0.2888, abs=1e-4)


async def test_sii(equity_client, auth):
    quantiles = [
        {"quantile": q, "population": 10_000, "value": v, "lower": v * 0.8, "upper": v * 1.2}
        for q, v in zip(range(1, 6), [500, 400, 300, 250, 200], strict=True)
    ]
    response = await equity_client.post(
        "/v1/methods/sii",
        json={
            "quantiles": quantiles,
            "value_type": "rate",
            "transform": True,
            "repetitions": 10_000,
            "confidence": [0.95, 0.998],
        },
        headers=auth(Role.admin),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    # transform=true is phe_sii's: fit log(rate) and back-transform the ends of the line.
    share = np.full(5, 0.2)
    x = np.cumsum(share) - share / 2
    slope, intercept = np.polyfit(x, np.log([500, 400, 300, 250, 200]), 1)
    assert body["sii"] == pytest.approx(np.exp(intercept + slope) - np.exp(intercept))
    assert body["intercept"] == pytest.approx(np.exp(intercept))
    assert body["sii_limits"][0]["lower"] < body["sii"] < body["sii_limits"][0]["upper"]
    assert body["simulation_scale"] == "log"
    # Rates fall away from the most deprived quantile: the package's RII (least over most
    # deprived) is below 1 and its reciprocal, most over least deprived, above 1.
    assert body["rii"] == pytest.approx(np.exp(slope))
    assert body["rii"] < 1
    assert body["rii_most_over_least_deprived"] == pytest.approx(np.exp(-slope))
    assert body["rii_most_over_least_deprived"] == pytest.approx(1 / body["rii"])
    (low, high) = body["rii_most_over_least_deprived_limits"]
    assert low["level"] == 0.95 and high["level"] == 0.998
    assert high["lower"] < low["lower"] < body["rii_most_over_least_deprived"] < low["upper"]


async def test_sii_openapi_states_the_rii_direction(equity_client):
    schema = (await equity_client.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/methods/sii"]["post"]
    assert "least deprived over most deprived" in operation["description"]
    fields = schema["components"]["schemas"]["SiiResponse"]["properties"]
    assert "LEAST" in fields["rii"]["description"]
    assert (
        "MOST deprived end over the LEAST" in fields["rii_most_over_least_deprived"]["description"]
    )


@pytest.mark.parametrize(
    ("path", "payload", "item", "field"),
    [
        (
            "/v1/methods/rates",
            {"items": [{"count": 1, "denominator": 10}, {"count": -1, "denominator": 10}]},
            1,
            "count",
        ),
        ("/v1/methods/rates", {"items": [{"count": 1, "denominator": 0}]}, 0, "denominator"),
        ("/v1/methods/rates", {"items": [{"count": 1}]}, 0, "denominator"),
        ("/v1/methods/rates", {"items": [{"count": None, "denominator": 5}]}, 0, "count"),
        (
            "/v1/methods/proportions",
            {"items": [{"numerator": 1, "denominator": 2}, {"numerator": 3, "denominator": 2}]},
            1,
            "numerator",
        ),
        (
            "/v1/methods/rates",
            {"items": [{"count": 1, "denominator": 5}], "confidence": [95]},
            None,
            "confidence",
        ),
    ],
)
async def test_bad_input_names_the_item(equity_client, auth, path, payload, item, field):
    response = await equity_client.post(path, json=payload, headers=auth(Role.admin))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422
    if body["type"].endswith("/method-input"):
        assert (body["item"], body["field"]) == (item, field)
    else:
        pointers = [e["pointer"] for e in body["errors"]]
        expected = f"/body/items/{item}/{field}" if item is not None else f"/body/{field}"
        assert any(p.startswith(expected) for p in pointers), pointers


async def test_sii_input_errors(equity_client, auth):
    quantiles = [{"quantile": q, "population": 100, "value": 0.5, "lower": 0.4, "upper": 0.6}
                 for q in range(1, 6)]  # fmt: skip
    quantiles[2]["value"] = 1.5
    response = await equity_client.post(
        "/v1/methods/sii",
        json={"quantiles": quantiles, "value_type": "proportion", "repetitions": 1000},
        headers=auth(Role.admin),
    )
    assert response.status_code == 422
    assert (response.json()["item"], response.json()["field"]) == (2, "value")
    too_many = await equity_client.post(
        "/v1/methods/sii",
        json={"quantiles": quantiles, "repetitions": 2_000_000},
        headers=auth(Role.admin),
    )
    assert too_many.status_code == 422
    huge = [{"quantile": q, "population": 100, "value": 1.0, "se": 0.1} for q in range(1, 101)]
    capped = await equity_client.post(
        "/v1/methods/sii",
        json={"quantiles": huge, "repetitions": 1_000_000},
        headers=auth(Role.admin),
    )
    assert capped.status_code == 422
    assert capped.json()["field"] == "repetitions"


async def test_item_count_is_capped(equity_client, auth):
    items = [{"count": 1, "denominator": 10}] * 5_001
    response = await equity_client.post(
        "/v1/methods/rates", json={"items": items}, headers=auth(Role.admin)
    )
    assert response.status_code == 422


@pytest.mark.parametrize("role", [Role.clinician, Role.vendor, Role.service])
async def test_methods_roles(equity_client, auth, role):
    response = await equity_client.post(
        "/v1/methods/rates",
        json={"items": [{"count": 1, "denominator": 10}]},
        headers=auth(role),
    )
    assert response.status_code == 403


async def test_a_rate_that_is_not_finite_is_refused(equity_client, auth):
    """A denominator so small the rate overflows: 422 naming the item, never a 200 of nulls."""
    response = await equity_client.post(
        "/v1/methods/rates",
        json={"items": [{"count": 1, "denominator": 10}, {"count": 0, "denominator": 5e-324}]},
        headers=auth(Role.admin),
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"].endswith("/method-input")
    assert (body["item"], body["field"]) == (1, "denominator")


@pytest.mark.parametrize(
    ("path", "item", "field"),
    [
        ("/v1/methods/rates", {"count": 1e13, "denominator": 1e13}, "count"),
        ("/v1/methods/rates", {"count": 1, "denominator": 1e13}, "denominator"),
        ("/v1/methods/proportions", {"numerator": 4.49e307, "denominator": 7.75e307}, "numerator"),
        ("/v1/methods/proportions", {"numerator": 1, "denominator": 1e13}, "denominator"),
    ],
)
async def test_counts_above_a_trillion_are_refused(equity_client, auth, path, item, field):
    response = await equity_client.post(path, json={"items": [item]}, headers=auth(Role.admin))
    assert response.status_code == 422, response.text
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert f"/body/items/0/{field}" in pointers, pointers


async def test_largest_allowed_counts_give_finite_limits(equity_client, auth):
    rates = await equity_client.post(
        "/v1/methods/rates",
        json={"items": [{"count": 1e12, "denominator": 1e-3}], "multiplier": 1e9},
        headers=auth(Role.admin),
    )
    proportions = await equity_client.post(
        "/v1/methods/proportions",
        json={"items": [{"numerator": 1e12 - 1, "denominator": 1e12}], "multiplier": 1e9},
        headers=auth(Role.admin),
    )
    for response in (rates, proportions):
        assert response.status_code == 200, response.text
        item = response.json()["items"][0]
        numbers = [item["estimate"], *(v for lim in item["limits"] for v in lim.values())]
        assert all(isinstance(n, float) and np.isfinite(n) for n in numbers), item


async def test_sii_that_overflows_is_refused(equity_client, auth):
    # A standard error of 1,000 on the log scale: exp() of the draws leaves the float range.
    quantiles = [{"quantile": q, "population": 100, "value": 5.0, "se": 1e3} for q in range(1, 6)]
    response = await equity_client.post(
        "/v1/methods/sii",
        json={
            "quantiles": quantiles,
            "value_type": "rate",
            "transform": True,
            "repetitions": 1000,
        },
        headers=auth(Role.admin),
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/method-input")


async def test_openapi_documents_the_bounds(equity_client):
    schemas = (await equity_client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["RateItem"]["properties"]["count"]["maximum"] == 1e12
    assert schemas["ProportionItem"]["properties"]["denominator"]["maximum"] == 1e12
    assert schemas["SiiQuantile"]["properties"]["population"]["maximum"] == 1e12
