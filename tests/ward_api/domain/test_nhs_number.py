import pytest

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
