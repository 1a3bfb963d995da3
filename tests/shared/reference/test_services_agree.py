"""ward_api and equity_audit read the same two LSOA files by one set of rules (issue #10 §2).

Each service used to validate ``lsoa11_to_icb.csv`` and ``imd2019_lsoa11_england.csv`` with
its own parser, and the rules drifted: ward_api took a four-character sub-ICB ODS code that
the ODS standard (and the published lookup) never uses, equity_audit took digits from any
script in a decile and a zero population. Whatever a row holds, both now accept or refuse it
together.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.equity_audit.domain.reference import load_icb_lookup, load_imd2019
from services.ward_api.domain.geography import (
    IMD_COLUMNS,
    LOOKUP_COLUMNS,
    parse_imd,
    parse_lsoa_lookup,
)

_CODE_CHARS = st.sampled_from("0123456789ABCDEFQXYZ٤a ")
_GOOD_LOOKUP = ["E01000001", "E38000001", "01A", "E54000001", "QAA", "NHS Alpha ICB", "E06000001"]
_GOOD_IMD = ["E01000001", "12.5", "4", "1500"]


def _csv(header: tuple[str, ...], row: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(row)
    return out.getvalue()


def _ward_accepts_lookup(text: str) -> bool:
    links, errors = parse_lsoa_lookup(io.StringIO(text, newline=""))
    return bool(links) and not errors


def _equity_accepts(loader, path: Path, text: str) -> bool:  # type: ignore[no-untyped-def]
    path.write_text(text, encoding="utf-8")
    loaded = loader(path)
    return loaded.report.accepted == 1 and not loaded.report.rejected


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(column=st.integers(0, 6), value=st.text(_CODE_CHARS, max_size=7))
@example(column=2, value="01AB")  # four characters: no sub-ICB ODS code looks like this
@example(column=2, value="A3A8R")
@example(column=4, value="QA")
def test_both_services_accept_the_same_lookup_rows(tmp_path: Path, column: int, value: str) -> None:
    row = list(_GOOD_LOOKUP)
    row[column] = value
    text = _csv(LOOKUP_COLUMNS, row)
    ward = _ward_accepts_lookup(text)
    equity = _equity_accepts(load_icb_lookup, tmp_path / "lsoa11_to_icb.csv", text)
    assert ward == equity, (row, ward, equity)


_NUMBER_CHARS = st.sampled_from("0123456789.-+e٤ ")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(column=st.integers(1, 3), value=st.text(_NUMBER_CHARS, max_size=6))
@example(column=2, value="٤")  # an Arabic-Indic four is not a decile
@example(column=3, value="0")  # no LSOA has nobody living in it
@example(column=1, value="150")  # IMD scores lie in 0–100
@example(column=2, value="4.0")
def test_both_services_accept_the_same_imd_rows(tmp_path: Path, column: int, value: str) -> None:
    row = list(_GOOD_IMD)
    row[column] = value
    text = _csv(IMD_COLUMNS, row)
    rows, errors = parse_imd(io.StringIO(text, newline=""))
    ward = bool(rows) and not errors
    equity = _equity_accepts(load_imd2019, tmp_path / "imd2019_lsoa11_england.csv", text)
    assert ward == equity, (row, ward, equity)
