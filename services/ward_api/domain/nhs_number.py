"""NHS number checks through the maintained ``nhs-number`` package, with a typed failure reason."""

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
    """Normalise spaces/dashes and apply the modulus-11 check digit."""
    if not raw.strip():
        return NhsNumberCheck(raw, None, NhsNumberProblem.EMPTY)
    digits = _nhs.standardise_format(raw)
    if not digits:
        return NhsNumberCheck(raw, None, NhsNumberProblem.BAD_FORMAT)
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
