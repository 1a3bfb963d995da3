from collections import Counter
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from services.ward_api.domain.capacity import PopulationBasis, beds_per_100k, occupancy_pct
from services.ward_api.domain.errors import DataFileError
from services.ward_api.domain.sitrep import (
    SITREP_COLUMNS,
    Figure,
    OccupancyNote,
    Outcome,
    SitrepRow,
    check_england_totals,
    load_sitrep,
    parse_sitrep,
    published_precision,
    reproduce_sitrep,
)

HEADER = ",".join(SITREP_COLUMNS)
BASIS = "GP registered population aged 16+ (April 2023)"
ENGLAND = (
    f"2023-10,,,ENGLAND,E92000001,ENGLAND,300,15.0,2000000,{BASIS},200,66.7,,9th November 2023"
)
ICB = (
    "2023-10,Midlands,Y60,QGH,E54000019,NHS Herefordshire and Worcestershire Integrated Care "
    f"Board,116,16.9,687028,{BASIS},{{patients}},{{occupancy}},{{note}},9th November 2023"
)


def _icb(patients: str = "80", occupancy: str = "69.0", note: str = "") -> str:
    return ICB.format(patients=patients, occupancy=occupancy, note=note)


def _parse(*lines: str):
    return parse_sitrep([HEADER, *lines])


def test_good_rows_become_typed_records() -> None:
    parsed = _parse(ENGLAND, _icb())
    assert parsed.errors == ()
    england, icb = parsed.rows
    assert england.is_england and england.region is None
    assert icb.capacity == 116 and icb.capacity_per_100k == Decimal("16.9")
    assert icb.denominator.basis is PopulationBasis.GP_REGISTERED_16_PLUS
    assert icb.denominator.effective == date(2023, 4, 1)
    assert icb.published == date(2023, 11, 9)
    assert (icb.line, icb.occupancy_note) == (3, None)


@pytest.mark.parametrize(
    ("line", "column"),
    [
        (_icb().replace("2023-10", "2023-13"), "period"),
        (_icb().replace("QGH", "XGH"), "icb_ods_code"),
        (_icb().replace("E54000019", "E38000019"), "icb_code"),
        (_icb().replace("Y60", "60"), "region_code"),
        (_icb().replace(",116,", ",-116,"), "capacity"),
        (_icb().replace(",16.9,", ",abc,"), "capacity_per_100k"),
        (_icb().replace(",687028,", ",0,"), "population"),
        (_icb().replace("aged 16+", "aged 18+"), "population_basis"),
        (_icb(note="made_up_note"), "occupancy_note"),
        (_icb(occupancy="101.0"), "occupancy_pct"),
        (_icb(occupancy=""), "occupancy_pct"),
        (_icb(patients=""), "patients"),
        (_icb(occupancy="98.0", note="over_100pct_shown_as_100"), "occupancy_pct"),
        (_icb(occupancy="50.0", note="over_100pct_suppressed"), "occupancy_pct"),
        (
            _icb(occupancy="5.0", note="no_successful_submission_occupancy_shown_as_zero"),
            "occupancy_pct",
        ),
        (_icb().replace("9th November", "9 Nov"), "published"),
        (ENGLAND.replace("E92000001", "E54000001"), "icb_code"),
        (ENGLAND.replace(",,,ENGLAND", ",London,Y56,ENGLAND"), "region"),
    ],
)
def test_bad_cells_are_reported_with_their_line(line: str, column: str) -> None:
    parsed = _parse(_icb().replace("QGH", "QUY").replace("E54000019", "E54000039"), line)
    assert len(parsed.rows) == 1
    assert {(e.line, e.column) for e in parsed.errors} == {(3, column)}


def test_notes_that_explain_blank_occupancy_are_accepted() -> None:
    parsed = _parse(
        _icb(patients="148", occupancy="", note="over_100pct_suppressed"),
        ENGLAND.replace("2023-10", "2023-11"),
        _icb(patients="", occupancy="", note="no_activity_submission").replace(
            "2023-10", "2024-07"
        ),
    )
    assert parsed.errors == ()
    assert [r.occupancy_note for r in parsed.rows] == [
        OccupancyNote.OVER_100PCT_SUPPRESSED,
        None,
        OccupancyNote.NO_ACTIVITY_SUBMISSION,
    ]


def test_header_and_duplicates_are_checked() -> None:
    assert parse_sitrep(["period,capacity", "2023-10,1"]).errors[0].line == 1
    parsed = _parse(_icb(), _icb())
    assert [(e.line, e.column) for e in parsed.errors] == [(3, "icb_code")]


def test_load_raises_with_every_error(tmp_path) -> None:
    (tmp_path / "virtual_ward_sitrep_icb.csv").write_text(
        "\n".join([HEADER, _icb().replace("2023-10", "bad"), _icb(patients="x")]) + "\n"
    )
    with pytest.raises(DataFileError) as caught:
        load_sitrep(tmp_path)
    assert [e.line for e in caught.value.errors] == [2, 3]


def test_over_100_note_contradicted_by_the_counts_is_a_mismatch() -> None:
    (row,) = _parse(_icb(patients="80", occupancy="100.0", note="over_100pct_shown_as_100")).rows
    (rate, occupancy) = reproduce_sitrep([row]).checks
    assert rate.outcome is Outcome.MATCHES
    assert occupancy.outcome is Outcome.MISMATCH


def test_a_wrong_published_figure_is_a_mismatch() -> None:
    (row,) = _parse(_icb(occupancy="70.0")).rows  # 80 / 116 = 68.97% → 69.0
    report = reproduce_sitrep([row])
    (mismatch,) = report.with_outcome(Outcome.MISMATCH)
    assert mismatch.figure is Figure.OCCUPANCY_PCT and mismatch.rounded == Decimal("69.0")


# The real file, NHS England July 2023 – July 2024.


def test_real_file_validates_completely(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    assert len(sitrep_rows) == 559
    periods = Counter(r.period for r in sitrep_rows)
    assert len(periods) == 13 and set(periods.values()) == {43}
    assert sum(r.is_england for r in sitrep_rows) == 13


def test_published_precision_is_per_month(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    precision = published_precision(sitrep_rows)
    two_dp = {"2023-07", "2023-09", "2024-02"}
    for (period, figure), places in precision.items():
        assert places == (2 if period in two_dp else 1), (period, figure)
    assert len(precision) == 26


def test_every_reproducible_figure_matches(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    report = reproduce_sitrep(sitrep_rows)
    assert report.count(Outcome.MISMATCH) == 0, report.with_outcome(Outcome.MISMATCH)[:3]
    assert report.count(Outcome.MATCHES, Figure.CAPACITY_PER_100K) == 559
    assert report.count(Outcome.MATCHES, Figure.OCCUPANCY_PCT) == 530
    assert report.count(Outcome.NOT_REPRODUCIBLE, Figure.CAPACITY_PER_100K) == 0


def test_noted_occupancies_are_reported_not_passed(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    report = reproduce_sitrep(sitrep_rows)
    assert report.count(Outcome.NOT_REPRODUCIBLE, Figure.OCCUPANCY_PCT) == 29
    assert report.not_reproducible_by_note() == {
        OccupancyNote.OVER_100PCT_SHOWN_AS_100: 24,
        OccupancyNote.OVER_100PCT_SUPPRESSED: 3,
        OccupancyNote.NO_ACTIVITY_SUBMISSION: 1,
        OccupancyNote.NO_SUCCESSFUL_SUBMISSION_SHOWN_AS_ZERO: 1,
    }
    for check in report.with_outcome(Outcome.NOT_REPRODUCIBLE):
        assert check.reason
        if check.row.occupancy_note in {
            OccupancyNote.OVER_100PCT_SHOWN_AS_100,
            OccupancyNote.OVER_100PCT_SUPPRESSED,
        }:
            assert check.recomputed is not None and check.recomputed > 100


def test_published_rounding_is_half_up(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    precision = published_precision(sitrep_rows)
    ties = []
    for row in sitrep_rows:
        if row.occupancy_note or row.patients is None:
            continue
        places = precision[(row.period, Figure.OCCUPANCY_PCT)]
        exact = occupancy_pct(row.patients, row.capacity)
        assert exact is not None
        if exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN) != row.occupancy_pct:
            ties.append((row.period, row.icb_ods_code, exact, row.occupancy_pct))
    assert ties == [
        ("2023-11", "QE1", Decimal("54.25"), Decimal("54.3")),
        ("2023-11", "QR1", Decimal("31.25"), Decimal("31.3")),
        ("2024-01", "QE1", Decimal("58.25"), Decimal("58.3")),
    ]


@pytest.mark.parametrize(
    ("period", "beds", "per_100k", "occupancy"),
    [("2023-10", 10_737, "20.9", "68.1"), ("2023-11", 11_231, "21.9", "70.2")],
)
def test_england_totals_quoted_in_sources(
    sitrep_rows: tuple[SitrepRow, ...], period: str, beds: int, per_100k: str, occupancy: str
) -> None:
    (england,) = [r for r in sitrep_rows if r.period == period and r.is_england]
    assert england.capacity == beds
    assert england.capacity_per_100k == Decimal(per_100k)
    assert england.occupancy_pct == Decimal(occupancy)
    rate = beds_per_100k(england.capacity, england.population)
    assert rate.quantize(Decimal("0.1")) == Decimal(per_100k)


def test_england_rows_are_the_sum_of_icbs(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    assert check_england_totals(sitrep_rows) == []


def test_denominator_changes_in_april_2024(sitrep_rows: tuple[SitrepRow, ...]) -> None:
    bases = {
        (r.period >= "2024-04", r.denominator.basis, r.denominator.effective) for r in sitrep_rows
    }
    assert bases == {
        (False, PopulationBasis.GP_REGISTERED_16_PLUS, date(2023, 4, 1)),
        (True, PopulationBasis.GP_REGISTERED_ALL_AGES, date(2024, 4, 1)),
    }
