from datetime import date

import pytest

from services.ward_api.domain.length_of_stay import (
    DischargeOutcome,
    Pathway,
    ReferralSource,
    is_long_stay,
    length_of_stay_days,
    measure_stay,
)

ADMITTED = date(2024, 2, 20)  # a leap-year February


@pytest.mark.parametrize(
    ("discharged", "days", "long_stay"),
    [
        (date(2024, 2, 20), 0, False),  # same day
        (date(2024, 3, 5), 14, False),  # 14 days is not past 14
        (date(2024, 3, 6), 15, True),
    ],
)
def test_length_and_long_stay_flag(discharged: date, days: int, long_stay: bool) -> None:
    stay = measure_stay(ADMITTED, discharged, as_of=date(2030, 1, 1))
    assert (stay.days, stay.long_stay, stay.ongoing) == (days, long_stay, False)
    assert length_of_stay_days(ADMITTED, discharged) == days
    assert is_long_stay(days) is long_stay


def test_ongoing_stay_is_measured_to_as_of() -> None:
    stay = measure_stay(ADMITTED, None, as_of=date(2024, 3, 6))
    assert (stay.days, stay.long_stay, stay.ongoing) == (15, True, True)


def test_discharge_before_admission_is_rejected() -> None:
    with pytest.raises(ValueError, match="before admission"):
        length_of_stay_days(ADMITTED, date(2024, 2, 19))


def test_vocabularies() -> None:
    assert {o.value for o in DischargeOutcome} == {
        "completed",
        "escalated_to_hospital",
        "died",
        "self_discharged",
        "transferred",
    }
    assert {s.value for s in ReferralSource} == {
        "gp",
        "ed",
        "ambulance",
        "hospital_step_down",
        "community",
        "other",
    }
    assert Pathway("acute_respiratory_infection") is Pathway.ACUTE_RESPIRATORY_INFECTION
    assert {"covid_19", "heart_failure", "frailty", "other"} <= {p.value for p in Pathway}
