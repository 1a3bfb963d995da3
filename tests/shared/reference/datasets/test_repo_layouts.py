"""The four repository-layout loaders against small bad files: each problem becomes a rejection."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shared.reference import IMD_COLUMNS, LOOKUP_COLUMNS
from shared.reference.datasets import (
    SYNTHETIC_MARKER,
    load_digital_exclusion,
    load_housing,
    load_icb_lookup,
    load_imd2019,
    load_reference,
)

from .conftest import WriteCsv

IMD_HEADER = list(IMD_COLUMNS)
ICB_HEADER = list(LOOKUP_COLUMNS)
HOUSING_HEADER = [
    "lsoa11cd",
    "barriers_housing_services_decile",
    "barriers_housing_services_rank",
    "wider_barriers_subdomain_decile",
    "wider_barriers_subdomain_rank",
    "geographical_barriers_subdomain_decile",
    "living_environment_decile",
    "living_environment_rank",
    "indoors_subdomain_decile",
    "indoors_subdomain_rank",
    "household_overcrowding_prop",
    "houses_without_central_heating_prop",
    "housing_in_poor_condition_prop",
    "homelessness_rate_per_1000_households",
    "housing_affordability_indicator",
    "road_distance_gp_surgery_km",
]
DIGITAL_HEADER = [
    "lsoa11cd",
    "deri_broadband_component",
    "deri_demography_component",
    "deri_deprivation_component",
    "deri_score",
    "iuc2018_group_code",
    "iuc2018_group_label",
]
NE_LONDON = ["E38000255", "A3A8R", "E54000029", "QMF", "NHS North East London ICB", "E09000001"]


def housing_row(code: str, **changes: object) -> list[object]:
    row: dict[str, object] = dict.fromkeys(HOUSING_HEADER[1:10], 5)
    row.update(
        dict.fromkeys(HOUSING_HEADER[10:13], 0.1),
        homelessness_rate_per_1000_households=4.681,
        housing_affordability_indicator=-1.5,
        road_distance_gp_surgery_km=0.8,
    )
    row.update(changes)
    return [code, *(row[h] for h in HOUSING_HEADER[1:])]


def reasons(loaded: object) -> dict[int, str]:
    return {r.row_number: r.reason for r in loaded.report.rejected}  # type: ignore[attr-defined]


# --- IMD ------------------------------------------------------------------------------------


def test_imd_rejects_bad_rows_with_line_numbers_and_keeps_good_ones(write_csv: WriteCsv) -> None:
    path = write_csv(
        "imd.csv",
        IMD_HEADER,
        [
            ["E01000001", "6.208", "9", "1636"],  # line 2
            ["X01000002", "5.1", "10", "1558"],  # bad code
            ["E01000003", "19.4", "11", "1500"],  # decile out of range
            ["E01000004", "19.4", "ten", "1500"],  # decile not a number
            ["E01000005", "19.4", "0", "1500"],  # decile 0
            ["E01000006", "12.0", "4", "-3"],  # negative population
            ["E01000001", "6.208", "9", "1636"],  # duplicate of line 2
            ["E01000008", "nan", "4", "1200"],  # score not finite
            ["E01000009", "12.0", "4"],  # missing field
            ["E01000010", " 12.5 ", "4.0", "1200"],  # padded and 4.0: accepted
            ["E0100001", "12.0", "4", "1200"],  # code too short
        ],
    )
    loaded = load_imd2019(path)
    assert set(loaded.rows) == {"E01000001", "E01000010"}
    assert loaded.rows["E01000010"].imd_decile == 4
    found = reasons(loaded)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9, 10, 12]
    assert "lsoa11cd" in found[3] and "'X01000002'" in found[3]
    assert "imd2019_decile" in found[4] and "1–10" in found[4]
    assert "not a whole number" in found[5]
    assert "imd2019_decile" in found[6]
    assert "population_mid2019" in found[7] and "below 0" in found[7]
    assert "duplicate of row 2" in found[8]
    assert "finite" in found[9]
    assert "expected 4 fields, found 3" in found[10]
    assert not loaded.report.ok
    assert loaded.report.accepted == 2
    assert loaded.report.rejected[0].area_code == "X01000002"


def test_unrecognised_header_is_reported_not_raised(write_csv: WriteCsv) -> None:
    path = write_csv("imd.csv", ["code", "score"], [["E01000001", "1"]])
    loaded = load_imd2019(path)
    assert loaded.rows == {}
    assert loaded.report.layout is None
    assert loaded.report.rejected[0].row_number == 1
    assert "header does not match" in loaded.report.rejected[0].reason
    assert "layout not recognised" in loaded.report.summary()


def test_headers_tolerate_a_byte_order_mark_case_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "imd.csv"
    path.write_text(
        "\ufeffLSOA11CD, IMD2019_Score ,imd2019_decile,population_mid2019\n"
        "E01000001,6.208,9,1636\n\nE01000002,5.143,10,1558\n",
        encoding="utf-8",
    )
    loaded = load_imd2019(path)
    assert loaded.report.ok and loaded.report.accepted == 2


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_imd2019(tmp_path / "absent.csv")


# --- ICB lookup -----------------------------------------------------------------------------


def test_icb_lookup_validates_codes_and_hierarchy(write_csv: WriteCsv) -> None:
    path = write_csv(
        "icb.csv",
        ICB_HEADER,
        [
            ["E01000001", *NE_LONDON],  # line 2
            ["E01000002", "E38000255", "A3A8R", "E55000029", "QMF", "x", "E09000001"],  # bad ICB
            ["E01000003", "E3800025", "A3A8R", "E54000029", "QMF", "x", "E09000001"],  # bad sub-ICB
            ["E01999999", *NE_LONDON],  # unknown LSOA
            ["E01000005", "E38000255", "A3A8R", "E54000030", "QMG", "Other", "E09000001"],
            ["E01000006", "E38000256", "X1", "E54000029", "QMF", "x", "E09000001"],  # bad ODS
            ["E01000007", "E38000257", "07T", "E54000029", "QMF", "Renamed", "E09000002"],
            ["E01000008", "E38000255", "A3A8R", "E54000029", "QMF", "", "E09000001"],  # no name
            ["E01000009", "E38000255", "A3A8R", "E54000029", "QMF", NE_LONDON[4], "W06000001"],
        ],
    )
    known = {f"E0100000{i}" for i in range(1, 10)}
    loaded = load_icb_lookup(path, known_lsoas=known)
    assert set(loaded.rows) == {"E01000001"}
    found = reasons(loaded)
    assert "icb_code" in found[3] and "E54" in found[3]
    assert "sicbl_code" in found[4]
    assert "unknown area E01999999" in found[5]
    assert "sub-ICB E38000255" in found[6] and "row 2" in found[6]
    assert "sicbl_ods_code" in found[7]
    assert "ICB E54000029" in found[8] and "row 2" in found[8]
    assert "icb_name: empty" in found[9]
    assert "lad22cd" in found[10]


# --- housing --------------------------------------------------------------------------------


def test_housing_row_for_an_lsoa_not_in_the_imd_file_is_rejected(write_csv: WriteCsv) -> None:
    path = write_csv(
        "housing.csv",
        HOUSING_HEADER,
        [
            housing_row("E01000001"),
            housing_row("E01000099"),  # not in IMD
            housing_row("E01000002", indoors_subdomain_decile=0),
            housing_row("E01000003", household_overcrowding_prop=1.2),
            housing_row("E01000004", living_environment_rank=0),
            housing_row("E01000005", barriers_housing_services_rank=40_000),
            housing_row("E01000006", road_distance_gp_surgery_km=-1),
            housing_row("E01000001"),  # duplicate
        ],
    )
    known = {"E01000001", "E01000002", "E01000003", "E01000004", "E01000005", "E01000006"}
    loaded = load_housing(path, known_lsoas=known)
    assert set(loaded.rows) == {"E01000001"}
    found = reasons(loaded)
    assert "unknown area E01000099: not in the IMD 2019 LSOA list" in found[3]
    assert "indoors_subdomain_decile" in found[4]
    assert "household_overcrowding_prop" in found[5]
    assert "living_environment_rank" in found[6]
    assert "barriers_housing_services_rank" in found[7] and "32844" in found[7]
    assert "road_distance_gp_surgery_km" in found[8]
    assert "duplicate of row 2" in found[9]
    assert loaded.rows["E01000001"].affordability_indicator == -1.5


# --- digital exclusion ----------------------------------------------------------------------


def test_digital_exclusion_checks_scale_and_iuc_labels(write_csv: WriteCsv) -> None:
    path = write_csv(
        "digital.csv",
        DIGITAL_HEADER,
        [
            ["E01000001", "4.6", "2.5", "0.3", "2.49", "3", "e-Veterans"],
            ["E01000002", "4.6", "2.5", "0.3", "12.0", "3", "e-Veterans"],  # DERI > 10
            ["E01000003", "4.6", "2.5", "0.3", "2.49", "3", "e-Withdrawn"],  # wrong label
            ["E01000004", "4.6", "2.5", "0.3", "2.49", "11", "e-Veterans"],  # bad group
            ["E01000005", "4.6", "2.5", "0.3", "2.49", "3", "e-Veterans"],  # unknown LSOA
        ],
    )
    loaded = load_digital_exclusion(path, known_lsoas={f"E0100000{i}" for i in range(1, 5)})
    assert set(loaded.rows) == {"E01000001"}
    found = reasons(loaded)
    assert "deri_score" in found[3] and "0–10" in found[3]
    assert "'e-Withdrawn' is not the label of group 3" in found[4]
    assert "iuc2018_group_code" in found[5]
    assert "unknown area E01000005" in found[6]


# --- the four files together ----------------------------------------------------------------


def test_load_reference_cross_checks_the_files(write_csv: WriteCsv, tmp_path: Path) -> None:
    write_csv(
        "imd2019_lsoa11_england.csv",
        IMD_HEADER,
        [["E01000001", "6.2", "9", "1636"], ["E01000002", "40.1", "1", "1558"]],
    )
    write_csv(
        "lsoa11_to_icb.csv",
        ICB_HEADER,
        [["E01000001", *NE_LONDON], ["E01000002", *NE_LONDON]],
    )
    write_csv(
        "housing_lsoa.csv", HOUSING_HEADER, [housing_row("E01000001"), housing_row("E01000003")]
    )
    write_csv(
        "digital_exclusion_lsoa.csv",
        DIGITAL_HEADER,
        [
            ["E01000001", "4.6", "2.5", "0.3", "2.49", "3", "e-Veterans"],
            ["E01000002", "4.6", "2.5", "6.3", "4.40", "10", "e-Withdrawn"],
        ],
    )
    reference = load_reference(tmp_path)
    assert reference.imd.report.ok and reference.icb.report.ok and reference.digital.report.ok
    housing = reference.housing.report
    assert housing.missing_areas == ("E01000002",)
    assert [r.area_code for r in housing.rejected] == ["E01000003"]
    assert not reference.synthetic

    profiles = reference.profiles()
    assert profiles["E01000002"].core20 and profiles["E01000002"].housing_quintile is None
    assert profiles["E01000002"].digital_exclusion_quintile == 1
    assert profiles["E01000001"].housing_quintile == 3

    (tmp_path / SYNTHETIC_MARKER).write_text("seed=7\n", encoding="utf-8")
    relabelled = load_reference(tmp_path)
    assert relabelled.synthetic
    assert all(d.synthetic and "SYNTHETIC" in d.vintage for d in relabelled.descriptors)


# --- unreadable files -----------------------------------------------------------------------


def test_a_file_that_is_not_utf8_is_one_rejection_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "housing.csv"
    good = ",".join(str(v) for v in housing_row("E01000001"))
    path.write_bytes(
        (",".join(HOUSING_HEADER) + "\n" + good + "\n").encode() + b"E01000002,\xff\xfe\n"
    )
    loaded = load_housing(path)
    assert loaded.report.layout is None and loaded.report.accepted == 0 and not loaded.rows
    (rejection,) = loaded.report.rejected
    assert rejection.row_number == 3
    assert "not UTF-8" in rejection.reason


def test_a_utf8_byte_order_mark_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "housing.csv"
    good = ",".join(str(v) for v in housing_row("E01000001"))
    path.write_bytes(("\ufeff" + ",".join(HOUSING_HEADER) + "\n" + good + "\n").encode())
    assert set(load_housing(path).rows) == {"E01000001"}


def test_a_field_past_the_csv_size_limit_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "housing.csv"
    huge = "x" * (csv.field_size_limit() + 1)
    good = ",".join(str(v) for v in housing_row("E01000001"))
    path.write_text(",".join(HOUSING_HEADER) + "\n" + good + "\n" + f'"{huge}",1\n')
    loaded = load_housing(path)
    assert loaded.report.layout is None and not loaded.rows
    (rejection,) = loaded.report.rejected
    assert rejection.row_number == 3
    assert "not a readable CSV file" in rejection.reason
