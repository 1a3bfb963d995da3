import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ward_api.domain.nhs_number import (
    InvalidNhsNumber,
    NhsNumberProblem,
    check_nhs_number,
    format_nhs_number,
    normalise_nhs_number,
)


@pytest.mark.parametrize("raw", ["943 476 5919", "9434765919", "943-476-5919", "  9434765919 "])
def test_published_test_number_is_valid_in_every_format(raw: str) -> None:
    # Modulus 11 by hand: 9·10 + 4·9 + 3·8 + 4·7 + 7·6 + 6·5 + 5·4 + 9·3 + 1·2 = 299;
    # 299 mod 11 = 2; 11 − 2 = 9, the last digit.
    check = check_nhs_number(raw)
    assert check.valid and check.normalised == "9434765919"
    assert check.synthetic  # 9xx numbers are test patients, never real people


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", NhsNumberProblem.EMPTY),
        ("   ", NhsNumberProblem.EMPTY),
        ("abc", NhsNumberProblem.BAD_FORMAT),
        ("943 4765919", NhsNumberProblem.BAD_FORMAT),
        ("94347659190", NhsNumberProblem.BAD_FORMAT),
        ("9434765918", NhsNumberProblem.CHECK_DIGIT_MISMATCH),
        ("1234567890", NhsNumberProblem.CHECK_DIGIT_IS_TEN),  # 123456789 sums to 1 mod 11
        ("3102991238", NhsNumberProblem.NOT_A_DATE),  # CHI range, 31 Feb 99, good check digit
    ],
)
def test_invalid_numbers_say_why(raw: str, problem: NhsNumberProblem) -> None:
    check = check_nhs_number(raw)
    assert (check.valid, check.normalised, check.problem) == (False, None, problem)


def test_normalise_and_format() -> None:
    assert normalise_nhs_number("943-476-5919") == "9434765919"
    assert format_nhs_number("9434765919") == "943 476 5919"
    with pytest.raises(InvalidNhsNumber) as caught:
        normalise_nhs_number("9434765918")
    assert caught.value.problem is NhsNumberProblem.CHECK_DIGIT_MISMATCH


# Every character Python's str.isdigit()/int()/regex \d may take for a digit, bar ASCII 0-9,
# by value: other scripts' decimal digits (Nd: fullwidth, Arabic-Indic, Devanagari...) and the
# digit-like No characters (superscripts, subscripts, circled digits).
_FOREIGN_DIGITS: dict[int, list[str]] = {d: [] for d in range(10)}
for _code in range(sys.maxunicode + 1):
    _char = chr(_code)
    if _char not in "0123456789" and (_value := unicodedata.digit(_char, None)) is not None:
        _FOREIGN_DIGITS[_value].append(_char)


def test_the_digit_table_covers_both_unicode_classes() -> None:
    found = {unicodedata.category(c) for chars in _FOREIGN_DIGITS.values() for c in chars}
    assert (
        {"Nd", "No"} <= found and "\uff15" in _FOREIGN_DIGITS[5] and "\u00b2" in _FOREIGN_DIGITS[2]
    )


@given(data=st.data(), positions=st.sets(st.integers(0, 9), min_size=1))
def test_non_ascii_digits_are_refused_even_when_their_values_check(data, positions) -> None:
    """One person, one record: a valid number re-spelt in another script's digits is refused."""
    spelt = list("9434765919")
    for i in positions:
        spelt[i] = data.draw(st.sampled_from(_FOREIGN_DIGITS[int(spelt[i])]))
    check = check_nhs_number("".join(spelt))
    assert (check.valid, check.normalised) == (False, None)
    assert check.problem is NhsNumberProblem.NOT_ASCII_DIGITS


@given(raw=st.text(min_size=1, max_size=20))
def test_anything_accepted_is_ten_ascii_digits(raw: str) -> None:
    check = check_nhs_number(raw)
    if check.valid:
        assert check.normalised is not None
        assert len(check.normalised) == 10 and all(c in "0123456789" for c in check.normalised)
        assert all(c in "0123456789 -" for c in raw)


@pytest.mark.parametrize(
    "raw",
    [
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # fullwidth
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic
        "943\u00a0476\u00a05919",  # no-break spaces
        "\u30009434765919",  # ideographic space
        "943\u2010476\u20105919",  # Unicode hyphen
    ],
)
def test_only_ascii_digits_spaces_and_dashes(raw: str) -> None:
    check = check_nhs_number(raw)
    assert check.normalised is None and check.problem is NhsNumberProblem.NOT_ASCII_DIGITS
