"""ward_api and equity_audit read the same two LSOA files by one set of rules (issue #10 §2).

Each service used to validate ``lsoa11_to_icb.csv`` and ``imd2019_lsoa11_england.csv`` with
its own parser, and the rules drifted: ward_api took a four-character sub-ICB ODS code that
the ODS standard (and the published lookup) never uses, equity_audit took digits from any
script in a decile and a zero population. Whatever a row holds, both now accept or refuse it
together.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.ward_api.domain.geography import load_geography
from shared.reference import IMD_COLUMNS, IMD_FILE, LOOKUP_COLUMNS, LSOA_ICB_FILE, DataFileError
from shared.reference.datasets import load_icb_lookup, load_imd2019

_CODE_CHARS = st.sampled_from("0123456789ABCDEFQXYZ٤a ")
_NUMBER_CHARS = st.sampled_from("0123456789.-+e٤ ")
_GOOD_LOOKUP = ["E01000001", "E38000001", "01A", "E54000001", "QAA", "NHS Alpha ICB", "E06000001"]
_GOOD_IMD = ["E01000001", "12.5", "4", "1500"]


def _write(path: Path, header: tuple[str, ...], row: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerow(row)
    return path


def _verdicts(directory: Path, lookup: list[str], imd: list[str]) -> tuple[bool, bool, bool]:
    """(ward_api loads both files, equity_audit accepts the lookup row, … the IMD row)."""
    lookup_path = _write(directory / LSOA_ICB_FILE, LOOKUP_COLUMNS, lookup)
    imd_path = _write(directory / IMD_FILE, IMD_COLUMNS, imd)
    try:
        load_geography(directory)
        ward = True
    except DataFileError:
        ward = False
    icb, deprivation = load_icb_lookup(lookup_path).report, load_imd2019(imd_path).report
    return ward, icb.accepted == 1 and not icb.rejected, deprivation.accepted == 1


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150, deadline=None
)
@given(column=st.integers(1, 6), value=st.text(_CODE_CHARS, max_size=7))
@example(column=2, value="01AB")  # four characters: no sub-ICB ODS code looks like this
@example(column=2, value="A3A8R")
@example(column=4, value="QA")
def test_both_services_accept_the_same_lookup_rows(tmp_path: Path, column: int, value: str) -> None:
    row = list(_GOOD_LOOKUP)
    row[column] = value
    ward, equity, _ = _verdicts(tmp_path, row, _GOOD_IMD)
    assert ward == equity, (row, ward, equity)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150, deadline=None
)
@given(column=st.integers(1, 3), value=st.text(_NUMBER_CHARS, max_size=6))
@example(column=2, value="٤")  # an Arabic-Indic four is not a decile
@example(column=3, value="0")  # no LSOA has nobody living in it
@example(column=1, value="150")  # IMD scores lie in 0–100
@example(column=2, value="4.0")
def test_both_services_accept_the_same_imd_rows(tmp_path: Path, column: int, value: str) -> None:
    row = list(_GOOD_IMD)
    row[column] = value
    ward, _, equity = _verdicts(tmp_path, _GOOD_LOOKUP, row)
    assert ward == equity, (row, ward, equity)


def test_every_sub_icb_ods_code_in_the_published_lookup_has_three_or_five_characters() -> None:
    from shared.reference import SUB_ICB_ODS
    from tests.support.data import require_data

    with (require_data(LSOA_ICB_FILE) / LSOA_ICB_FILE).open(newline="", encoding="utf-8") as f:
        codes = {row["sicbl_ods_code"] for row in csv.DictReader(f)}
    assert len(codes) == 106
    assert {len(code) for code in codes} == {3, 5}
    assert all(SUB_ICB_ODS.fullmatch(code) for code in codes)
