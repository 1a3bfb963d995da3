"""NHS number checks through the maintained ``nhs-number`` package, with a typed failure reason.

Only ASCII is accepted: the digits 0-9, grouped 3-3-4 by ASCII spaces or dashes. The package's
format check is a regex ``\\d``, which (like ``str.isdigit()`` and ``int()``) also takes
fullwidth, Arabic-Indic and every other script's digits, so ``９４３…`` and ``٩٤٣…`` would be
stored as three different people. They are refused here, before the package sees them, and
what is stored is always the canonical 10 ASCII digits.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

import nhs_number as _nhs

__all__ = [
    "InvalidNhsNumber",
    "NhsNumberCheck",
    "NhsNumberProblem",
    "check_nhs_number",
    "format_nhs_number",
    "normalise_nhs_number",
]


class NhsNumberProblem(StrEnum):
    """Why a string is not a valid NHS number."""

    EMPTY = "empty"
    BAD_FORMAT = "bad_format"  # not 10 digits, optionally grouped 3-3-4 by spaces or dashes
    CHECK_DIGIT_IS_TEN = "check_digit_is_ten"  # modulus 11 gives 10: never issued
    CHECK_DIGIT_MISMATCH = "check_digit_mismatch"
    NOT_A_DATE = "not_a_date"  # Scottish CHI range, but the first six digits are not DDMMYY
    NOT_ASCII_DIGITS = "not_ascii_digits"  # a non-ASCII character, e.g. ９ or ٩ or ²


# Not \d: that matches any script's decimal digits.
_ASCII_FORM = re.compile(r"[0-9]{10}|[0-9]{3} [0-9]{3} [0-9]{4}|[0-9]{3}-[0-9]{3}-[0-9]{4}")


@dataclass(frozen=True, slots=True)
class NhsNumberCheck:
    """Outcome of checking one NHS number: normalised digits or the problem."""

    raw: str
    normalised: str | None
    problem: NhsNumberProblem | None
    synthetic: bool = False  # 9xx xxx xxxx: PDS test-patient range, never issued to a person

    @property
    def valid(self) -> bool:
        """True when there is no problem."""
        return self.problem is None


class InvalidNhsNumber(ValueError):
    """A string failed the NHS number check; ``problem`` says why."""

    def __init__(self, raw: str, problem: NhsNumberProblem) -> None:
        self.raw = raw
        self.problem = problem
        super().__init__(f"invalid NHS number ({problem})")


def check_nhs_number(raw: str) -> NhsNumberCheck:
    """Normalise ASCII spaces/dashes and apply the modulus-11 check digit."""
    if not raw.strip(" "):
        return NhsNumberCheck(raw, None, NhsNumberProblem.EMPTY)
    if not raw.isascii():
        return NhsNumberCheck(raw, None, NhsNumberProblem.NOT_ASCII_DIGITS)
    stripped = raw.strip(" ")
    if _ASCII_FORM.fullmatch(stripped) is None:
        return NhsNumberCheck(raw, None, NhsNumberProblem.BAD_FORMAT)
    digits = stripped.replace(" ", "").replace("-", "")
    synthetic = _nhs.REGION_SYNTHETIC.contains_number(digits)
    if _nhs.is_valid(digits):
        return NhsNumberCheck(raw, digits, None, synthetic)
    expected = _nhs.calculate_checksum(digits[:9])
    if expected == 10:
        problem = NhsNumberProblem.CHECK_DIGIT_IS_TEN
    elif expected != int(digits[9]):
        problem = NhsNumberProblem.CHECK_DIGIT_MISMATCH
    else:
        problem = NhsNumberProblem.NOT_A_DATE
    return NhsNumberCheck(raw, None, problem, synthetic)


def normalise_nhs_number(raw: str) -> str:
    """The 10 digits of a valid NHS number; raise InvalidNhsNumber otherwise."""
    check = check_nhs_number(raw)
    if check.normalised is None:
        assert check.problem is not None
        raise InvalidNhsNumber(raw, check.problem)
    return check.normalised


def format_nhs_number(raw: str) -> str:
    """A valid NHS number in the 3 3 4 display form, e.g. 943 476 5919."""
    digits = normalise_nhs_number(raw)
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
