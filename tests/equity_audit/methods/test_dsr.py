"""Directly standardised rates by the Dobson method."""

import pytest

from services.equity_audit.methods import ESP2013, directly_standardised_rate, rate
from services.equity_audit.methods.esp2013 import AGE_BANDS


def test_esp2013_has_nineteen_bands_summing_to_100000() -> None:
    assert len(ESP2013) == len(AGE_BANDS) == 19
    assert sum(ESP2013) == 100_000
    assert (AGE_BANDS[0], AGE_BANDS[-1], ESP2013[0], ESP2013[-1]) == ("0-4", "90+", 5000, 1000)


def test_same_rate_in_every_band_standardises_to_that_rate() -> None:
    populations = [10_000 + 500 * i for i in range(19)]
    counts = [p * 0.002 for p in populations]
    result = directly_standardised_rate(counts, populations)
    assert result.estimate == pytest.approx(200.0)
    assert result.method == "Dobson"
    assert result.reason is None


def test_equal_weights_and_populations_reduce_to_the_crude_rate_limits() -> None:
    # Dobson's limits scale the total count's limits by sqrt(var/O); with equal weights and
    # equal band populations that factor is 1/total population, giving the crude limits.
    counts = [3, 0, 7, 12, 5]
    result = directly_standardised_rate(counts, [2000] * 5, standard_population=[1] * 5)
    crude = rate(sum(counts), 10_000)
    assert result.estimate == pytest.approx(crude.estimate)
    for level in (0.95, 0.998):
        assert result.at(level).lower == pytest.approx(crude.at(level).lower)
        assert result.at(level).upper == pytest.approx(crude.at(level).upper)


def test_dobson_limits_by_hand() -> None:
    counts, populations, weights = [10, 20, 30], [1000.0, 2000.0, 1500.0], [1.0, 2.0, 3.0]
    result = directly_standardised_rate(
        counts, populations, standard_population=weights, multiplier=1000, confidence=(0.95,)
    )
    value = (10 / 1000 * 1 + 20 / 2000 * 2 + 30 / 1500 * 3) / 6
    variance = (10 * (1 / 1000) ** 2 + 20 * (2 / 2000) ** 2 + 30 * (3 / 1500) ** 2) / 36
    z = 1.959963984540054
    lower_count = 60 * (1 - 1 / 540 - z / (3 * 60**0.5)) ** 3
    assert result.estimate == pytest.approx(value * 1000)
    assert result.at(0.95).lower == pytest.approx(
        (value + (variance / 60) ** 0.5 * (lower_count - 60)) * 1000
    )


def test_total_count_below_ten_is_not_reported() -> None:
    result = directly_standardised_rate([1] * 9 + [0] * 10, [5000] * 19)
    assert result.estimate is None
    assert result.limits == ()
    assert result.total_count == 9
    assert result.reason == "total count 9 is below 10"
