"""Core20 share of admissions against Core20 share of population."""

import pytest

from services.equity_audit.methods import (
    core20_share,
    core20_share_by_decile,
    is_core20,
    proportion,
)


def test_share_ratio_and_its_limits() -> None:
    result = core20_share(
        core20_admissions=300,
        total_admissions=1000,
        core20_population=20_000,
        total_population=100_000,
    )
    wilson = proportion(300, 1000)
    assert result.admission_share == pytest.approx(0.3)
    assert result.population_share == pytest.approx(0.2)
    assert result.share_ratio == pytest.approx(1.5)
    for share_limits, ratio_limits, expected in zip(
        result.admission_share_limits, result.share_ratio_limits, wilson.limits, strict=True
    ):
        assert share_limits == expected
        assert ratio_limits.lower == pytest.approx(expected.lower / 0.2)
        assert ratio_limits.upper == pytest.approx(expected.upper / 0.2)


def test_by_decile_sums_deciles_one_and_two() -> None:
    admissions = [120, 100, 90, 80, 70, 60, 50, 45, 40, 45]
    populations = [9000, 9500, 10_000, 10_000, 10_500, 10_000, 10_000, 10_500, 10_000, 10_500]
    result = core20_share_by_decile(admissions, populations)
    assert result.core20_admissions == 220
    assert result.total_admissions == 700
    assert result.population_share == pytest.approx(18_500 / 100_000)
    assert result.share_ratio == pytest.approx((220 / 700) / 0.185)


@pytest.mark.parametrize(("decile", "core20"), [(1, True), (2, True), (3, False), (10, False)])
def test_core20_deciles(decile: int, core20: bool) -> None:
    assert is_core20(decile) is core20
