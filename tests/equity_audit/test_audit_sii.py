"""The audit's SII of admission rates: log scale, as PHEindicatormethods recommends for rates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.equity_audit.audit.publish import gradient


def _rows(counts: list[int], populations: list[int]) -> list[dict]:
    return [
        {"group": str(q), "admissions": c, "population": p}
        for q, (c, p) in enumerate(zip(counts, populations, strict=True), start=1)
    ]


def _log_fit(counts: list[int], populations: list[int]) -> tuple[float, float]:
    share = np.array(populations) / sum(populations)
    x = np.cumsum(share) - share / 2
    rates = np.array(counts) / np.array(populations) * 1e5
    slope, intercept = np.polyfit(x, np.log(rates), 1, w=np.sqrt(share))
    return float(intercept), float(slope)


def test_steep_gradient_gives_a_positive_rii_on_the_log_scale() -> None:
    # On the natural scale the fitted line crosses zero before the least deprived end, so
    # its RII is negative (-0.022); on the log scale (transform = TRUE) it is e^b.
    counts, populations = [30, 18, 12, 9, 4], [10_000] * 5
    out = gradient(_rows(counts, populations), repetitions=10_000, basis="test")
    assert out["available"] is True
    a, b = _log_fit(counts, populations)
    assert out["sii"] == pytest.approx(np.exp(a + b) - np.exp(a), abs=0.01)
    assert out["rii"] == pytest.approx(np.exp(b), rel=1e-3)
    assert out["rii_most_over_least_deprived"] == pytest.approx(np.exp(-b), rel=1e-3)
    assert 0 < out["rii_lower_95"] < out["rii"] < out["rii_upper_95"]
    assert out["transform"] == "log"
    assert out["simulation_scale"] == "log"
    assert out["fitted_line"]["scale"] == "log"
    assert out["fitted_line"]["intercept"] == pytest.approx(a, abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(0, 500), min_size=5, max_size=5),
    populations=st.lists(st.integers(1_000, 200_000), min_size=5, max_size=5),
)
def test_the_audit_never_prints_a_meaningless_rii(counts, populations) -> None:
    out = gradient(_rows(counts, populations), repetitions=2_000, basis="test")
    if not out["available"]:
        assert out["reason"]
        return
    for name in ("rii", "rii_most_over_least_deprived"):
        if out[name] is None:
            assert out["rii_reason"]
            assert out.get(f"{name}_lower_95") is None
        else:
            assert out[name] > 0
            assert 0 < out[f"{name}_lower_95"] <= out[f"{name}_upper_95"]
    if min(counts) > 0:  # every rate has a log: the recommended transform is used
        assert out["transform"] == "log" and out["rii"] is not None


def test_report_gives_the_reason_not_a_meaningless_rii() -> None:
    # Quintile 5 has no admissions, so there is no log-scale fit; on the natural scale the
    # line crosses zero before the least deprived end and the RII is left out with a reason.
    from services.equity_audit.audit.html import render_html
    from services.equity_audit.audit.report import build_audit
    from tests.equity_audit.test_audit_rules import _areas, _uptake

    built = build_audit(
        _areas(), _uptake([0, 4, 2, 5], [300, 100, 20, 10]), cut="imd_quintile", icb=None,
        repetitions=2000,
    )  # fmt: skip
    sii = built["inequality"]["imd_quintile"]
    assert sii["available"] is True and sii["transform"].startswith("none")
    assert sii["rii"] is None and sii["rii_most_over_least_deprived"] is None
    assert "crosses zero" in sii["rii_reason"]
    audit = built | {
        "title": "t",
        "generated_at": "2026-01-01T00:00:00+00:00",
        "synthetic": True,
        "period": {"from_month": None, "to_month": None},
        "snapshot": {"taken_at": "2026-01-01T00:00:00+00:00", "age_seconds": 0, "stale": False},
        "disclosure": {"symbol": "*", "rule": "r"},
        "datasets": [],
        "caveats": [],
        "attribution": [],
    }
    html = render_html(audit)
    assert "Relative index of inequality not given: the fitted line crosses zero" in html
    assert "None" not in html.split('id="rii"')[1].split("</p>")[0]
