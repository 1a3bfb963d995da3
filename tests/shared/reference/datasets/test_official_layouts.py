"""Official layouts of newer releases, recognised by header, on small inline sample files.

Headers follow the published files: IoD2025 File 1 and File 7 (MHCLG), Nomis bulk Census
2021 TS052 and TS046, and the ONS LSOA11 to LSOA21 to LAD22 lookup.
"""

from __future__ import annotations

import pytest

from shared.reference.datasets import (
    ChangeIndicator,
    Geography,
    build_mapping,
    load_iod,
    load_lsoa_lookup,
    load_ts046,
    load_ts052,
)

from .conftest import WriteCsv

RANK = "Rank (where 1 is most deprived)"
DECILE = "Decile (where 1 is most deprived 10% of LSOAs)"
IMD = "Index of Multiple Deprivation (IMD)"
DOMAINS = [
    ("Income", "Score (rate)"),
    ("Employment", "Score (rate)"),
    ("Education, Skills and Training", "Score"),
    ("Health Deprivation and Disability", "Score"),
    ("Crime", "Score"),
    ("Barriers to Housing and Services", "Score"),
    ("Living Environment", "Score"),
    ("Income Deprivation Affecting Children Index (IDACI)", "Score (rate)"),
    ("Income Deprivation Affecting Older People Index (IDAOPI)", "Score (rate)"),
    ("Children and Young People Sub-domain", "Score"),
    ("Adult Skills Sub-domain", "Score"),
    ("Geographical Barriers Sub-domain", "Score"),
    ("Wider Barriers Sub-domain", "Score"),
    ("Indoors Sub-domain", "Score"),
    ("Outdoors Sub-domain", "Score"),
]


def file7_header(
    vintage: str = "2021", lad: str = "2024", population: str = "mid 2022"
) -> list[str]:
    header = [
        f"LSOA code ({vintage})",
        f"LSOA name ({vintage})",
        f"Local Authority District code ({lad})",
        f"Local Authority District name ({lad})",
        f"{IMD} Score",
        f"{IMD} {RANK}",
        f"{IMD} {DECILE}",
    ]
    for domain, score in DOMAINS:
        header += [f"{domain} {score}", f"{domain} {RANK}", f"{domain} {DECILE}"]
    header += [
        f"Total population: {population}",
        f"Dependent Children aged 0-15: {population}",
        f"Older population aged 60 and over: {population}",
        f"Working age population 18-66 (for use with Employment Deprivation Domain): {population}",
    ]
    # The published File 7 truncates some long headers.
    truncated = header.index(f"Children and Young People Sub-domain {DECILE}")
    header[truncated] = header[truncated][:80]
    return header


def file7_row(
    code: str, *, imd: tuple[str, str, str], barriers: str, indoors: str, population: str
) -> list[str]:
    header = file7_header()
    row = {h: "5" for h in header}
    row[header[0]], row[header[1]] = code, f"{code} name"
    row[header[2]], row[header[3]] = "E09000001", "City of London"
    row[header[4]], row[header[5]], row[header[6]] = imd
    row[f"Barriers to Housing and Services {DECILE}"] = barriers
    row[f"Indoors Sub-domain {DECILE}"] = indoors
    row["Total population: mid 2022"] = population
    return [row[h] for h in header]


# --- IoD ------------------------------------------------------------------------------------


def test_iod2025_file7_is_recognised_and_parsed(write_csv: WriteCsv) -> None:
    path = write_csv(
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv",
        file7_header(),
        [
            file7_row(
                "E01000001",
                imd=("8.742", "26525", "8"),
                barriers="3",
                indoors="6",
                population="1795",
            ),
            file7_row(
                "E01035000", imd=("45.1", "120", "1"), barriers="2", indoors="1", population="1612"
            ),
            file7_row(
                "E01000003", imd=("12.0", "0", "4"), barriers="3", indoors="6", population="1500"
            ),
            file7_row(
                "E01000004", imd=("12.0", "200", "4"), barriers="3", indoors="11", population="1500"
            ),
        ],
    )
    loaded = load_iod(path)
    assert loaded.report.layout == "IoD2025 File 7"
    assert loaded.descriptor.geography is Geography.LSOA21
    assert loaded.descriptor.vintage.startswith("IoD2025")
    row = loaded.rows["E01000001"]
    assert row.geography is Geography.LSOA21
    assert (row.imd_score, row.imd_rank, row.imd_decile) == (8.742, 26525, 8)
    assert (row.barriers_decile, row.indoors_decile, row.population) == (3, 6, 1795)
    assert row.lad_code == "E09000001"
    assert loaded.rows["E01035000"].imd_decile == 1
    assert {r.row_number: r.area_code for r in loaded.report.rejected} == {
        4: "E01000003",
        5: "E01000004",
    }


def test_iod_file7_with_truncated_indoors_header_still_matches(write_csv: WriteCsv) -> None:
    header = file7_header()
    indoors = header.index(f"Indoors Sub-domain {DECILE}")
    header[indoors] = header[indoors][:60]
    row = file7_row(
        "E01000001", imd=("8.7", "26525", "8"), barriers="3", indoors="6", population="1795"
    )
    loaded = load_iod(write_csv("file7.csv", header, [row]))
    assert loaded.rows["E01000001"].indoors_decile == 6


def test_iod2025_file1_is_recognised(write_csv: WriteCsv) -> None:
    path = write_csv(
        "File_1_IoD2025_Index_of_Multiple_Deprivation.csv",
        [
            "LSOA code (2021)",
            "LSOA name (2021)",
            "Local Authority District code (2024)",
            "Local Authority District name (2024)",
            f"{IMD} {RANK}",
            f"{IMD} {DECILE}",
        ],
        [["E01000001", "City of London 001A", "E09000001", "City of London", "26525", "8"]],
    )
    loaded = load_iod(path)
    assert loaded.report.layout == "IoD2025 File 1"
    row = loaded.rows["E01000001"]
    assert (row.imd_rank, row.imd_decile, row.imd_score, row.population) == (26525, 8, None, None)
    assert row.geography is Geography.LSOA21


def test_iod2019_file7_is_recognised_as_lsoa_2011(write_csv: WriteCsv) -> None:
    header = file7_header(vintage="2011", lad="2019", population="mid 2015 (excluding prisoners)")
    values = ["5"] * len(header)
    values[:7] = [
        "E01000001",
        "City of London 001A",
        "E09000001",
        "City of London",
        "6.2",
        "29199",
        "9",
    ]
    values[header.index("Total population: mid 2015 (excluding prisoners)")] = "1296"
    loaded = load_iod(write_csv("File_7_IoD2019.csv", header, [values]))
    assert loaded.report.layout == "IoD2019 File 7"
    assert loaded.descriptor.geography is Geography.LSOA11
    assert loaded.rows["E01000001"].population == 1296


def test_an_iod_file_without_imd_columns_is_not_recognised(write_csv: WriteCsv) -> None:
    loaded = load_iod(
        write_csv("File_2.csv", ["LSOA code (2021)", f"Income {RANK}"], [["E01000001", "3"]])
    )
    assert loaded.report.layout is None and loaded.rows == {}


# --- Census 2021 ----------------------------------------------------------------------------

OCCUPANCY = "Occupancy rating for bedrooms: "
RATING = f"{OCCUPANCY}Occupancy rating of bedrooms: "
TS052_HEADER = [
    "date",
    "geography",
    "geography code",
    f"{OCCUPANCY}Total: All households",
    f"{RATING}+2 or more",
    f"{RATING}+1",
    f"{RATING}0",
    f"{RATING}-1",
    f"{RATING}-2 or less",
]

HEATING = "Type of central heating in household: "
TS046_HEADER = ["date", "geography", "geography code"] + [
    f"{HEATING}{category}"
    for category in (
        "Total: All households",
        "No central heating",
        "Mains gas only",
        "Tank or bottled gas only",
        "Electric only",
        "Oil only",
        "Wood only",
        "Solid fuel only",
        "Renewable energy only",
        "District or communal heat networks only",
        "Other central heating only",
        "Two or more types of central heating (not including renewable energy)",
        "Two or more types of central heating (including renewable energy)",
    )
]


def test_ts052_occupancy_rating(write_csv: WriteCsv) -> None:
    path = write_csv(
        "census2021-ts052-lsoa.csv",
        TS052_HEADER,
        [
            [2021, "City of London 001A", "E01000001", 860, 200, 300, 270, 70, 20],
            [2021, "Isle of Anglesey 001A", "W01000001", 700, 300, 200, 150, 40, 10],  # Wales
            [2021, "City of London 001B", "E01000002", 800, 200, 300, 270, 70, 20],  # sum 860
            [2021, "City of London 001", "E02000001", 800, 200, 300, 200, 80, 20],  # an MSOA
            [2021, "City of London 001C", "E01000003", 0, 0, 0, 0, 0, 0],
        ],
    )
    loaded = load_ts052(path)
    assert loaded.report.layout == "Census 2021 TS052 (Nomis bulk)"
    assert loaded.descriptor.geography is Geography.LSOA21
    assert loaded.report.skipped == 1
    row = loaded.rows["E01000001"]
    assert row.overcrowded == 90
    assert row.overcrowded_prop == pytest.approx(90 / 860)
    assert loaded.rows["E01000003"].overcrowded_prop is None
    found = {r.row_number: r.reason for r in loaded.report.rejected}
    assert "add up to 860, not the total 800" in found[4]
    assert "geography code" in found[5]


def test_ts046_central_heating(write_csv: WriteCsv) -> None:
    counts = [600, 12, 400, 5, 100, 10, 3, 2, 8, 20, 5, 30, 5]
    path = write_csv(
        "census2021-ts046-lsoa.csv",
        TS046_HEADER,
        [
            [2021, "City of London 001A", "E01000001", *counts],
            [2021, "City of London 001B", "E01000002", 10, 12, *counts[2:]],  # 12 of 10
            [2021, "Isle of Anglesey 001A", "W01000001", *counts],
        ],
    )
    loaded = load_ts046(path, known_lsoas={"E01000001", "E01000002"})
    assert loaded.report.layout == "Census 2021 TS046 (Nomis bulk)"
    assert loaded.rows["E01000001"].no_central_heating_prop == pytest.approx(12 / 600)
    assert loaded.report.skipped == 1
    assert "exceeds the total 10" in loaded.report.rejected[0].reason


def test_census_loader_refuses_the_other_table(write_csv: WriteCsv) -> None:
    path = write_csv("census2021-ts046-lsoa.csv", TS046_HEADER, [])
    assert load_ts052(path).report.layout is None


# --- LSOA 2011 <-> 2021 ---------------------------------------------------------------------

LOOKUP_HEADER = [
    "LSOA11CD",
    "LSOA11NM",
    "LSOA21CD",
    "LSOA21NM",
    "CHGIND",
    "LAD22CD",
    "LAD22NM",
    "LAD22NMW",
    "ObjectId",
]


def lookup_row(old: str, new: str, change: str, lad: str = "E08000025") -> list[object]:
    return [old, f"{old} nm", new, f"{new} nm", change, lad, "Somewhere", "", 1]


def test_lsoa_lookup_maps_both_ways(write_csv: WriteCsv) -> None:
    path = write_csv(
        "LSOA11_LSOA21_LAD22_EW_LU.csv",
        LOOKUP_HEADER,
        [
            lookup_row("E01000001", "E01000001", "U"),
            lookup_row("E01000002", "E01033001", "S"),
            lookup_row("E01000002", "E01033002", "S"),
            lookup_row("E01000003", "E01033003", "M"),
            lookup_row("E01000004", "E01033003", "M"),
            lookup_row("E01000005", "E01033004", "X"),
            lookup_row("E01000006", "E01033005", "X"),
            lookup_row("E01000006", "E01033006", "X"),
            lookup_row("W01000001", "W01000001", "U", "W06000001"),  # Wales: skipped
            lookup_row("E01000007", "E01033007", "Z"),  # bad indicator
            lookup_row("E01000001", "E01000001", "U"),  # duplicate pair
        ],
    )
    loaded = load_lsoa_lookup(path)
    report = loaded.report
    assert report.layout == "ONS LSOA11 to LSOA21 to LAD22 lookup"
    assert report.accepted == 8 and report.skipped == 1
    assert [r.row_number for r in report.rejected] == [11, 12]
    assert "CHGIND" in report.rejected[0].reason
    assert "duplicate of row 2" in report.rejected[1].reason
    assert report.warnings == ()

    mapping = build_mapping(loaded.rows)
    assert mapping.to_2021("E01000001") == ("E01000001",)
    assert mapping.to_2021("E01000002") == ("E01033001", "E01033002")
    assert mapping.to_2011("E01033003") == ("E01000003", "E01000004")
    assert mapping.to_2011("E01033001") == ("E01000002",)
    assert mapping.to_2021("E01999999") == ()
    assert mapping.change[("E01000002", "E01033001")] is ChangeIndicator.SPLIT
    assert mapping.comparable("E01000002") and not mapping.comparable("E01000005")
    assert not mapping.comparable("E01999999")


def test_lookup_warns_when_the_change_indicator_contradicts_the_pairs(write_csv: WriteCsv) -> None:
    path = write_csv(
        "lookup.csv",
        [h.lower() for h in LOOKUP_HEADER],  # some ONS downloads use lower-case names
        [
            lookup_row("E01000001", "E01033001", "U"),
            lookup_row("E01000001", "E01033002", "U"),  # U but one-to-many
            lookup_row("E01000003", "E01033003", "S"),  # S but one-to-one
        ],
    )
    loaded = load_lsoa_lookup(path)
    assert loaded.report.accepted == 3
    assert len(loaded.report.warnings) == 3
    assert any("E01000003 -> E01033003 is marked S" in w for w in loaded.report.warnings)
