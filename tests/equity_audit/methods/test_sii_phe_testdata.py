"""SII, RII and intercept against PHEindicatormethods' own test data, every case it has.

The cases (tests/equity_audit/data/phe_sii_testdata.json) are the figures of the package's
testdata_SII.xlsx with the parameter combinations its testSII.R runs: normal values, rates
and proportions; SE, limits or counts given; transform on and off; multipliers 1, 100, -100
and -1; 95%, 98% and 99% limits, alone and in pairs.

Point values (SII, RII, intercept) are deterministic and must agree to 1e-6. Limits are order
statistics of a simulation, both ours and the sheet's, so they can only agree within
simulation error: see `simulation_tolerance`.
"""

import json
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest

from services.equity_audit.methods import QuantileValue, slope_index_of_inequality

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "phe_sii_testdata.json").read_text()
)["cases"]
REPETITIONS = 100_000
SEED = 20_240_401
POINT_TOLERANCE = 1e-6
# Standard deviations of the two simulations' combined error allowed before a limit fails.
LIMIT_SDS = 5.0


def quantiles(case: dict[str, Any]) -> list[QuantileValue]:
    """The case's quantiles, its value derived from the count where only a count is given."""
    return [
        QuantileValue(
            quantile=q["quantile"],
            population=q["population"],
            value=q["value"] if "value" in q else q["count"] / q["population"],
            se=q.get("se"),
            lower_95=q.get("lower"),
            upper_95=q.get("upper"),
        )
        for q in case["quantiles"]
    ]


def simulation_tolerance(level: float, ours: int, theirs: int) -> float:
    """Allowed error of a limit as a fraction of its distance from the point value.

    An order statistic at tail p of n normal draws with SD sigma has SD
    sqrt(p (1 - p) / n) / phi(z_p) * sigma (its asymptotic variance), and the limit sits
    z_p * sigma from the centre. Both sides simulate, so their variances add; LIMIT_SDS of
    those, over z_p, is the allowed fraction. On the log or logit scale the same holds to
    first order. At 95% with 100,000 draws each that is 3.1% of the half-width.
    """
    tail = (1 - level) / 2
    z = NormalDist().inv_cdf(1 - tail)
    density = NormalDist().pdf(z)
    variance = sum(tail * (1 - tail) / n for n in (ours, theirs)) / density**2
    return LIMIT_SDS * math.sqrt(variance) / z


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return {
        case["name"]: slope_index_of_inequality(
            quantiles(case),
            value_type=case["value_type"],
            transform=case["transform"],
            multiplier=case["multiplier"],
            confidence=tuple(case["confidence"]),
            repetitions=REPETITIONS,
            seed=SEED,
        )
        for case in CASES
    }


def test_every_case_of_the_package_is_here() -> None:
    assert len(CASES) == 59
    combos = {(c["value_type"], c["transform"], c["input"], c["multiplier"]) for c in CASES}
    assert ("rate", True, "limits", -1) in combos
    assert ("proportion", False, "count", 1) in combos
    levels = {tuple(c["confidence"]) for c in CASES}
    assert levels == {(0.95,), (0.99,), (0.98,), (0.95, 0.99), (0.95, 0.98)}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_point_values_match_phe(case: dict[str, Any], results: dict[str, Any]) -> None:
    result = results[case["name"]]
    expected = case["expected"]
    assert result.sii == pytest.approx(expected["sii"], rel=POINT_TOLERANCE)
    if expected["rii"] is not None:  # the sheet has none for some runs without RII
        assert result.rii == pytest.approx(expected["rii"], rel=POINT_TOLERANCE)
    if expected["intercept"] is not None:
        assert result.intercept == pytest.approx(expected["intercept"], rel=POINT_TOLERANCE)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c["expected"]["limits"]],
    ids=[c["name"] for c in CASES if c["expected"]["limits"]],
)  # fmt: skip
def test_limits_match_phe_within_simulation_error(
    case: dict[str, Any], results: dict[str, Any]
) -> None:
    result = results[case["name"]]
    expected = case["expected"]
    ours = {
        "sii": {lim.level: lim for lim in result.sii_limits},
        "rii": {lim.level: lim for lim in result.rii_limits},
    }
    for limits in expected["limits"]:
        level = limits["level"]
        allowed = simulation_tolerance(level, REPETITIONS, case["sheet_repetitions"])
        for stat in ("sii", "rii"):
            for side in ("lower", "upper"):
                want = limits[f"{stat}_{side}"]
                if want is None:
                    continue
                got = getattr(ours[stat][level], side)
                distance = abs(want - expected[stat])
                assert got == pytest.approx(want, abs=allowed * distance), (
                    f"{stat} {side} {level}: {got} vs PHE {want} (allowed"
                    f" {allowed * distance:.3g}, {allowed:.1%} of {distance:.3g})"
                )
