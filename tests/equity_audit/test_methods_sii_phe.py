"""`POST /v1/methods/sii` answers as phe_sii does, `transform` included, on PHE's test data."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import Role
from tests.equity_audit.methods.test_sii_phe_testdata import (
    CASES,
    POINT_TOLERANCE,
    REPETITIONS,
    simulation_tolerance,
)

VALUE_TYPE = {"normal": "other", "rate": "rate", "proportion": "proportion"}


def _body(case: dict[str, Any]) -> dict[str, Any]:
    quantiles = []
    for q in case["quantiles"]:
        value = q["value"] if "value" in q else q["count"] / q["population"]
        item = {"quantile": q["quantile"], "population": q["population"], "value": value}
        item |= {k: q[k] for k in ("se", "lower", "upper") if k in q}
        quantiles.append(item)
    return {
        "quantiles": quantiles,
        "value_type": VALUE_TYPE[case["value_type"]],
        "transform": case["transform"],
        "multiplier": case["multiplier"],
        "confidence": case["confidence"],
        "repetitions": REPETITIONS,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
async def test_sii_endpoint_matches_phe(case, equity_client, auth):
    response = await equity_client.post(
        "/v1/methods/sii", json=_body(case), headers=auth(Role.admin)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    expected = case["expected"]
    assert body["sii"] == pytest.approx(expected["sii"], rel=POINT_TOLERANCE)
    if expected["rii"] is not None:
        assert body["rii"] == pytest.approx(expected["rii"], rel=POINT_TOLERANCE)
    if expected["intercept"] is not None:
        assert body["intercept"] == pytest.approx(expected["intercept"], rel=POINT_TOLERANCE)
    scales = {"normal": "natural", "rate": "log", "proportion": "logit"}
    assert body["simulation_scale"] == scales[case["value_type"]]
    ours = {"sii": body["sii_limits"], "rii": body["rii_limits"]}
    for limits in expected["limits"]:
        allowed = simulation_tolerance(limits["level"], REPETITIONS, case["sheet_repetitions"])
        for stat in ("sii", "rii"):
            (got,) = [lim for lim in ours[stat] if lim["level"] == limits["level"]]
            for side in ("lower", "upper"):
                if limits[f"{stat}_{side}"] is not None:
                    distance = abs(limits[f"{stat}_{side}"] - expected[stat])
                    assert got[side] == pytest.approx(
                        limits[f"{stat}_{side}"], abs=allowed * distance
                    ), (stat, side, limits["level"])


async def test_transform_without_rates_or_proportions_is_refused(equity_client, auth):
    body = _body(CASES[0]) | {"transform": True}
    response = await equity_client.post("/v1/methods/sii", json=body, headers=auth(Role.admin))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/method-input")


async def test_rates_without_transform_are_still_simulated_on_the_log_scale(equity_client, auth):
    # Small counts: asymmetric limits, where natural- and log-scale simulation differ most.
    from services.equity_audit.methods import QuantileValue, rate, slope_index_of_inequality

    counts, population = [20, 12, 8, 5, 3], 10_000
    quantiles = []
    for q, count in enumerate(counts, start=1):
        r = rate(count, population, multiplier=1000, confidence=(0.95,))
        quantiles.append(
            QuantileValue(q, population, r.estimate, lower_95=r.limits[0].lower,
                          upper_95=r.limits[0].upper)
        )  # fmt: skip
    body = {
        "quantiles": [
            {"quantile": q.quantile, "population": q.population, "value": q.value,
             "lower": q.lower_95, "upper": q.upper_95}
            for q in quantiles
        ],
        "value_type": "rate",
        "transform": False,
        "repetitions": 20_000,
    }  # fmt: skip
    response = await equity_client.post("/v1/methods/sii", json=body, headers=auth(Role.admin))
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["simulation_scale"] == "log"
    on_log = slope_index_of_inequality(quantiles, value_type="rate", repetitions=20_000)
    natural = slope_index_of_inequality(quantiles, value_type="normal", repetitions=20_000)
    assert got["sii"] == pytest.approx(on_log.sii) == pytest.approx(natural.sii)
    (limits,) = got["sii_limits"]
    assert (limits["lower"], limits["upper"]) == pytest.approx(
        (on_log.sii_limits[0].lower, on_log.sii_limits[0].upper), rel=1e-12
    )
    assert limits["upper"] != pytest.approx(natural.sii_limits[0].upper, rel=0.05)
