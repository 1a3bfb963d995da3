"""Funnel plot limits and classification against PHEindicatormethods' published test data."""

import csv
import io

import pytest

from services.equity_audit.methods import (
    FunnelSignificance,
    FunnelUnit,
    classify_units,
    funnel_limits,
)
from services.equity_audit.methods.intervals import exact_lower, exact_upper

PHE_LABELS = {
    "High (0.001)": FunnelSignificance.ABOVE_99_8,
    "High (0.025)": FunnelSignificance.ABOVE_95,
    "Low (0.001)": FunnelSignificance.BELOW_99_8,
    "Low (0.025)": FunnelSignificance.BELOW_95,
    "Not significant": FunnelSignificance.WITHIN,
}

# tests/testthat/testdata_funnel_prop_outputs.csv (commit 63894a99), rows for populations
# 1, 3, 18, 41, 1008 and 110000: Population, Lower2s, Upper2s, Lower3s, Upper3s (percent),
# all around its Baseline of 80.642448%.
PROPORTION_LIMITS = [
    (1, 3.204264, 100, 0, 100),
    (3, 35.933491, 100, 10.150815, 100),
    (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]

# tests/testthat/testdata_funnel_rate_outputs.csv (commit 8ac28e54), rows for 1, 5, 10, 20,
# 52, 136, 442 and 1360 events: Events, then (population per year, limit) for the lower 2s,
# upper 2s, lower 3s and upper 3s funnels; baseline 116.1720835 per 100,000 over 3 years.
RATE_LIMITS = [
    (1, 1598.675694, 20.85059119, 7.264481402, 4588.535848,
     2649.348525, 12.58170943, 0.287087625, 116108.569),
    (5, 3348.002593, 49.78092521, 465.8280129, 357.7858395,
     4721.370883, 35.30048174, 212.14848, 785.6132963),
    (10, 5276.757672, 63.17010446, 1375.943768, 242.2579623,
     6924.776769, 48.13632908, 849.4639547, 392.4043292),
    (20, 8862.823734, 75.22057153, 3505.293872, 190.1885237,
     10915.38389, 61.07587907, 2570.385518, 259.3644657),
    (52, 19566.11366, 88.58853442, 11143.26175, 155.5499074,
     22486.79062, 77.08229077, 9333.044596, 185.7200312),
    (136, 46159.34061, 98.21053059, 32740.07485, 138.4643546,
     50510.1338, 89.75096663, 29493.60565, 153.7056333),
    (442, 139216.2474, 105.8305594, 115274.2091, 127.8111856,
     146593.2143, 100.5048795, 108996.3791, 135.1726861),
    (1360, 411529.9259, 110.158048, 369759.5622, 122.6021934,
     424043.2424, 106.9073359, 358342.3275, 126.5084525),
]  # fmt: skip
RATE_BASELINE, RATE_YEARS = 116.1720835, 3

# tests/testthat/testdata_funnel_ratio_outputs.csv (commit 8ac28e54), rows for 10, 100 and
# 716 observed events: expected events and ISR (x100) for lower 2s, upper 2s, lower 3s, upper 3s.
RATIO_LIMITS = [
    (10, 18.39035799, 54.3763205, 4.795387629, 208.5337156,
     24.13397235, 41.43536693, 2.960519925, 337.778507),
    (100, 121.6268111, 82.21871402, 81.36400699, 122.9044681,
     134.9243187, 74.11562345, 71.92139974, 139.0406755),
    (716, 770.4222128, 92.93605352, 664.5083011, 107.7488421,
     802.60414, 89.20960712, 636.1521174, 112.5516964),
]  # fmt: skip

# tests/testthat/testdata_funnel_prop_inputs.csv (commit 3352ce5d), rows 2, 3, 4, 17, 44, 72,
# 80, 39, 125, 127, 104 and 32: area, numerator, denominator, significance. The baseline is
# that of the whole file (testdata_funnel_prop_outputs.csv, 80.642448%).
PROPORTION_UNITS = [
    ("New Forest PCT", 35078.4880000, 41980, "High (0.001)"),
    ("Norwich PCT", 24803.6256000, 31824, "Low (0.001)"),
    ("South Gloucestershire PCT", 50050.7443000, 61921, "Not significant"),
    ("Central Derby PCT", 24648.7596000, 30521, "Not significant"),
    ("West Norfolk PCT", 26789.2380000, 33012, "High (0.025)"),
    ("North Tees PCT", 36850.0492000, 45449, "High (0.025)"),
    ("Mid-Hampshire PCT", 34502.0685000, 42485, "High (0.025)"),
    ("Hertsmere PCT", 18550.7595000, 22905, "Not significant"),
    ("North Devon PCT", 30277.5312000, 37828, "Low (0.025)"),
    ("East Devon PCT", 21139.2936000, 25992, "High (0.025)"),
    ("Heywood and Middleton PCT", 14493.3552000, 17964, "Not significant"),
    ("Bradford City PCT", 18365.4621000, 29277, "Low (0.001)"),
]

# tests/testthat/testdata_funnel_rate_dsr_inputs.csv (commit 5adcb8c4), all 40 rows; columns
# count, rate_dsr, pop, then the significance expected for dsr per 100,000 without the zero
# row, and for crude rates per 100,000 with and without the zero row.
RATE_UNITS_CSV = """\
2419,907.6174266,264102,High (0.001),High (0.001),High (0.001)
2337,948.5620216,259711,High (0.001),High (0.001),High (0.001)
2291,799.9690496,289247,High (0.001),High (0.001),High (0.001)
2242,852.5637927,265029,High (0.001),High (0.001),High (0.001)
2218,868.5358183,284649,High (0.001),High (0.001),High (0.001)
2159,769.6242217,293578,High (0.001),High (0.001),High (0.001)
2130,752.3254955,286718,High (0.025),High (0.001),High (0.001)
2111,710.2689402,307381,Not significant,Not significant,Not significant
2105,815.3530325,274145,High (0.001),High (0.001),High (0.001)
2083,717.7035916,297424,Not significant,High (0.025),Not significant
2078,755.8016993,272628,High (0.001),High (0.001),High (0.001)
2062,825.9742848,269656,High (0.001),High (0.001),High (0.001)
2061,702.2972468,294692,Not significant,High (0.025),Not significant
2033,785.6210132,277710,High (0.001),High (0.001),High (0.025)
2033,743.6763018,259213,High (0.025),High (0.001),High (0.001)
2010,781.8323058,285516,High (0.001),High (0.025),Not significant
2004,772.6781064,269449,High (0.001),High (0.001),High (0.001)
2002,652.3391553,290888,Low (0.001),Not significant,Not significant
1977,648.4969973,287112,Low (0.001),Not significant,Not significant
1944,727.5777428,286492,Not significant,Not significant,Not significant
1932,625.6551186,287012,Low (0.001),Not significant,Not significant
1922,688.5582424,291277,Not significant,Not significant,Not significant
1912,662.4465438,289859,Low (0.025),Not significant,Not significant
1881,627.1624732,289653,Low (0.001),Not significant,Low (0.025)
1844,657.1114147,282519,Low (0.025),Not significant,Low (0.025)
1835,724.8456714,274220,Not significant,Not significant,Not significant
1833,659.7820553,280271,Low (0.025),Not significant,Low (0.025)
1825,654.7053631,284206,Low (0.001),Not significant,Low (0.025)
1816,624.4435507,274508,Low (0.001),Not significant,Not significant
1809,646.7588823,288384,Low (0.001),Low (0.025),Low (0.001)
1798,703.1689982,287072,Not significant,Low (0.025),Low (0.001)
1754,567.9922764,282744,Low (0.001),Low (0.001),Low (0.001)
1746,617.7750715,289208,Low (0.001),Low (0.001),Low (0.001)
1709,610.8327232,287736,Low (0.001),Low (0.001),Low (0.001)
1694,608.5089462,296175,Low (0.001),Low (0.001),Low (0.001)
1688,662.3775859,303255,Low (0.025),Low (0.001),Low (0.001)
1649,667.6454503,285959,Low (0.025),Low (0.001),Low (0.001)
1553,604.1141693,274661,Low (0.001),Low (0.001),Low (0.001)
1332,469.5645784,281425,Low (0.001),Low (0.001),Low (0.001)
"""
ZERO_ROW_POPULATION, ZERO_ROW_CRUDE_WITH_0 = 297820, "Low (0.001)"
RATE_UNITS = [
    (int(r[0]), float(r[1]), int(r[2]), r[3], r[4], r[5])
    for r in csv.reader(io.StringIO(RATE_UNITS_CSV))
]


@pytest.mark.parametrize(("population", "lo95", "hi95", "lo998", "hi998"), PROPORTION_LIMITS)
def test_proportion_limits_match_published_rows(
    population: int, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    (point,) = funnel_limits(80.642448, [population], statistic="proportion", multiplier=100)
    assert point.baseline == pytest.approx(80.642448)
    # Published to six decimal places around a baseline also rounded to six.
    assert point.at(0.95).lower == pytest.approx(lo95, abs=1e-6)
    assert point.at(0.95).upper == pytest.approx(hi95, abs=1e-6)
    assert point.at(0.998).lower == pytest.approx(lo998, abs=1e-6)
    assert point.at(0.998).upper == pytest.approx(hi998, abs=1e-6)


@pytest.mark.parametrize("row", RATE_LIMITS, ids=lambda row: f"{row[0]}-events")
def test_rate_limits_match_published_rows(row: tuple[float, ...]) -> None:
    events, *pairs = row
    # The package finds each funnel point by bisection to a step of 1e-7 (about 3e-7
    # relative), which for 1 to 9 events moves a limit by up to about 1e-5 relative.
    rel = 1e-6 if events >= 10 else 2e-5
    levels_sides = [(0.95, "lower"), (0.95, "upper"), (0.998, "lower"), (0.998, "upper")]
    for (level, side), (population_per_year, limit) in zip(
        levels_sides, zip(pairs[::2], pairs[1::2], strict=True), strict=True
    ):
        (point,) = funnel_limits(
            RATE_BASELINE,
            [population_per_year * RATE_YEARS],
            statistic="rate",
            multiplier=100_000,
            confidence=(level,),
        )
        assert getattr(point.limits[0], side) == pytest.approx(limit, rel=rel)


@pytest.mark.parametrize("row", [r for r in RATE_LIMITS if r[0] >= 10], ids=lambda r: str(r[0]))
def test_rate_funnel_passes_through_each_event_count_at_the_published_population(
    row: tuple[float, ...],
) -> None:
    events, lower_2s_population = row[0], row[1]
    expected = float(exact_upper(events, 0.95))
    population = expected / (RATE_BASELINE / 100_000) / RATE_YEARS
    assert population == pytest.approx(lower_2s_population, rel=1e-6)
    upper_3s_population = float(exact_lower(events, 0.998)) / (RATE_BASELINE / 100_000) / 3
    assert upper_3s_population == pytest.approx(row[7], rel=1e-6)


@pytest.mark.parametrize("row", RATIO_LIMITS, ids=lambda row: f"{row[0]}-observed")
def test_ratio_limits_match_published_rows(row: tuple[float, ...]) -> None:
    _, *columns = row
    levels_sides = [(0.95, "lower"), (0.95, "upper"), (0.998, "lower"), (0.998, "upper")]
    for (level, side), (expected_events, isr) in zip(
        levels_sides, zip(columns[::2], columns[1::2], strict=True), strict=True
    ):
        (point,) = funnel_limits(
            100, [expected_events], statistic="ratio", multiplier=100, confidence=(level,)
        )
        assert getattr(point.limits[0], side) == pytest.approx(isr, rel=1e-6)


def test_proportion_units_are_classified_as_published() -> None:
    units = [
        FunnelUnit(numerator, denominator) for _, numerator, denominator, _ in PROPORTION_UNITS
    ]
    points = classify_units(units, statistic="proportion", multiplier=100, baseline=80.642448)
    expected = [PHE_LABELS[label] for *_, label in PROPORTION_UNITS]
    assert [p.significance for p in points] == expected
    assert points[0].value == pytest.approx(35078.488 / 41980 * 100)


def test_crude_rates_are_classified_as_published_with_and_without_a_zero_count() -> None:
    units = [FunnelUnit(count, population) for count, _, population, *_ in RATE_UNITS]
    without_zero = classify_units(units, statistic="rate", multiplier=100_000)
    assert [p.significance for p in without_zero] == [PHE_LABELS[r[5]] for r in RATE_UNITS]

    with_zero = classify_units(
        [*units, FunnelUnit(0, ZERO_ROW_POPULATION)], statistic="rate", multiplier=100_000
    )
    expected = [PHE_LABELS[r[4]] for r in RATE_UNITS] + [PHE_LABELS[ZERO_ROW_CRUDE_WITH_0]]
    assert [p.significance for p in with_zero] == expected


def test_dsrs_are_classified_as_published_on_their_derived_denominators() -> None:
    # The package places a DSR at the population that gives its count the same crude rate.
    units = [FunnelUnit(count, count / dsr * 100_000) for count, dsr, *_ in RATE_UNITS]
    points = classify_units(units, statistic="rate", multiplier=100_000)
    assert [p.significance for p in points] == [PHE_LABELS[r[3]] for r in RATE_UNITS]


def test_limits_for_many_denominators_widen_as_denominators_shrink() -> None:
    points = funnel_limits(0.8, [10, 100, 1000, 10_000], statistic="proportion", multiplier=1)
    widths = [p.at(0.998).upper - p.at(0.998).lower for p in points]
    assert widths == sorted(widths, reverse=True)
    assert all(p.at(0.998).lower <= p.at(0.95).lower <= 0.8 for p in points)
