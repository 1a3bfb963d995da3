"""Codes, months and keys take ASCII digits only (issue #9 §4).

Python's regex ``\\d`` (and pydantic's Rust regex) match every script's decimal digits, so
``E01٠١٢٣٤٥`` or ``٢٠٢٥-01`` passed checks meant for ``E01012345`` and ``2025-01``: a code in
a reference file became a second key for one area, and a month compared as a string matched
no data. Every digit class in the services' patterns is ``[0-9]``.
"""

from __future__ import annotations

import io
import sys
import tokenize
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from services.ward_api.domain.sitrep import SITREP_COLUMNS, parse_sitrep
from shared.auth import Role
from shared.reference import LOOKUP_COLUMNS, is_english_lsoa, parse_lsoa_lookup

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"
# The services' code and the reference-data library they read public files with.
PATTERN_SOURCES = (SERVICES, REPO / "shared" / "reference")

# Every non-ASCII character with a digit value, by value (Nd scripts, superscripts, ...).
_FOREIGN: dict[int, list[str]] = {d: [] for d in range(10)}
for _code in range(0x80, sys.maxunicode + 1):
    if (_value := unicodedata.digit(chr(_code), None)) is not None:
        _FOREIGN[_value].append(chr(_code))


def _respelt(data: st.DataObject, text: str) -> str:
    """`text` with at least one ASCII digit swapped for a non-ASCII digit of the same value."""
    places = [i for i, c in enumerate(text) if c.isascii() and c.isdigit()]
    chosen = data.draw(st.sets(st.sampled_from(places), min_size=1))
    chars = list(text)
    for i in chosen:
        chars[i] = data.draw(st.sampled_from(_FOREIGN[int(chars[i])]))
    return "".join(chars)


def test_no_unicode_digit_class_in_the_services_patterns() -> None:
    """Raw strings are where patterns live: none may say \\d (use [0-9])."""
    found = []
    for path in sorted(p for root in PATTERN_SOURCES for p in root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            prefix = token.string[:2].lower()
            if token.type == tokenize.STRING and "r" in prefix and "\\d" in token.string:
                found.append(f"{path.relative_to(REPO)}:{token.start[0]}")
    assert found == []


@given(data=st.data())
def test_lookup_rows_with_non_ascii_digits_are_refused(data: st.DataObject) -> None:
    row = "E01000001,E38000001,01A,E54000001,QAA,NHS Alpha ICB,E06000001"
    cells = row.split(",")
    column = data.draw(st.sampled_from([0, 1, 3, 6]))
    cells[column] = _respelt(data, cells[column])
    links, errors = parse_lsoa_lookup([",".join(LOOKUP_COLUMNS), ",".join(cells)])
    assert links == () or not links
    assert errors


@given(data=st.data())
def test_sitrep_icb_codes_and_dates_with_non_ascii_digits_are_refused(
    data: st.DataObject,
) -> None:
    basis = "GP registered population aged 16+ (April 2023)"
    cells = [
        "2023-10", "Midlands", "Y60", "QGH", "E54000019", "NHS Herefordshire and Worcestershire "
        "Integrated Care Board", "116", "16.9", "687028", basis, "80", "69.0", "",
        "9th November 2023",
    ]  # fmt: skip
    column = data.draw(st.sampled_from([2, 4, 13]))
    cells[column] = _respelt(data, cells[column])
    parsed = parse_sitrep([",".join(SITREP_COLUMNS), ",".join(cells)])
    assert parsed.errors


@given(data=st.data())
def test_equity_reference_codes_take_ascii_digits_only(data: st.DataObject) -> None:
    assert is_english_lsoa("E01012345")
    assert not is_english_lsoa(_respelt(data, "E01012345"))


async def test_http_codes_and_months_refuse_non_ascii_digits(
    ward_client, equity_client, auth
) -> None:
    arabic_2025 = "\u0662\u0660\u0662\u0665"
    clinician = auth(Role.clinician, wards=["*"])
    patient = await ward_client.post(
        "/v1/patients",
        json={
            "nhs_number": "943 476 5919",
            "date_of_birth": "1948-03-02",
            "sex": "female",
            "ethnic_category": "A",
            "lsoa11cd": "E01\uff10\uff11\uff12\uff13\uff14\uff15",
            "own_device": True,
            "broadband": True,
            "housing_concern": False,
        },
        headers=clinician,
    )
    assert patient.status_code == 422
    assert patient.json()["type"].endswith("/validation-error"), patient.text

    sitrep = await ward_client.get(
        "/v1/exports/sitrep",
        params={"period": f"{arabic_2025}-01"},
        headers=auth(Role.commissioner, icbs=["*"]),
    )
    assert sitrep.status_code == 422, sitrep.text

    audit = await equity_client.get(
        "/v1/audit", params={"from": f"{arabic_2025}-01"}, headers=auth(Role.admin)
    )
    assert audit.status_code == 422, audit.text
