"""Who gets referred to the demo's virtual wards: a simple, documented patient-mix model.

Everything here is pure and driven by a `random.Random` the caller seeds, so one seed gives
the same patients every time. The model is deliberately simple; it is a demonstration of how
the platform behaves, not an epidemiological claim.

Where patients live
    A referral comes from an LSOA of the ward's ICB with probability proportional to
    population x need x access:
    need = 1 + 0.1 x (10 - IMD decile)   (decile 1, most deprived, weighs 1.9; decile 10, 1.0)
    access = exp(-0.35 x (DERI - 3))     (fewer referrals where digital exclusion is high:
                                          remote monitoring is judged "unsuitable" more often)
    The equity audit should therefore find more uptake in deprived areas, yet less than their
    need, and fewer admissions from digitally excluded neighbourhoods.

Who they are
    Age from a triangular distribution per pathway (respiratory 30-95, mode 72; heart
    failure 50-98, mode 80; frailty 70-100, mode 85). Sex 49/49 female/male, 2% other or
    unknown. Ethnic category from England's Census 2021 shares mapped to NHS codes, with 5%
    not stated or unknown (not local, not age-adjusted). NHS numbers are valid modulus-11
    numbers in the 999 range, which is never issued to a person.

Digital access and housing (logistic, centred on England's median DERI of about 3)
    P(own device) = sigmoid(2.0 - 1.1 x (DERI - 3) - 0.04 x max(0, age - 65))
    P(broadband)  = sigmoid(2.4 - 1.2 x (DERI broadband - 3.5) - 0.03 x max(0, age - 70))
    P(housing concern) = 0.04 + 0.03 x (10 - Indoors decile)   (IoD2019 Indoors sub-domain:
                                          damp, cold, no central heating; decile 1 = worst)

Monitoring (what the patient's device will do, see physiology.py for the vitals)
    Own-device patients outside the frailty pathway use the vendor app (Open mHealth) 60% of
    the time; everyone else gets a loaned kit from the ward's hub vendor (native JSON or FHIR).
    A round's reading is missed with P = 0.03 + 0.04 x max(0, DERI - 2) (+0.06 without
    broadband), and a device drops offline for 6-12 rounds with P per round
    = 0.004 + 0.008 x max(0, DERI - 2.5), doubled without broadband.
    About 15% of admissions deteriorate (20% on frailty, +5 points from IMD deciles 1-2).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

import nhs_number as _nhs

from vward.demo.areas import Area, Icb

__all__ = [
    "ETHNIC_SHARES",
    "EXCLUDED_DERI",
    "PATHWAY_AGES",
    "SyntheticPatient",
    "p_broadband",
    "p_housing_concern",
    "p_own_device",
    "referral_weights",
    "sample_patient",
    "synthetic_nhs_number",
]

RESPIRATORY = "acute_respiratory_infection"
HEART_FAILURE = "heart_failure"
FRAILTY = "frailty"

PATHWAY_AGES: dict[str, tuple[float, float, float]] = {  # (low, high, mode) in years
    RESPIRATORY: (30, 95, 72),
    HEART_FAILURE: (50, 98, 80),
    FRAILTY: (70, 100, 85),
}
# Census 2021, England, mapped to NHS ethnic category codes; Z not stated, unknown missing.
ETHNIC_SHARES: dict[str, float] = {
    "A": 70.0, "B": 0.9, "C": 6.3, "D": 0.9, "E": 0.5, "F": 0.8, "G": 0.7, "H": 3.1,
    "J": 2.7, "K": 1.0, "L": 1.5, "M": 1.0, "N": 2.4, "P": 0.5, "R": 0.7, "S": 2.0,
    "Z": 3.0, "unknown": 2.0,
}  # fmt: skip
REFERRAL_SOURCES: dict[str, dict[str, float]] = {
    RESPIRATORY: {"gp": 35, "ed": 30, "ambulance": 10, "hospital_step_down": 20, "community": 5},
    HEART_FAILURE: {"hospital_step_down": 45, "gp": 25, "ed": 15, "community": 15},
    FRAILTY: {"community": 35, "gp": 30, "ambulance": 15, "ed": 10, "hospital_step_down": 10},
}
URGENCY = {"urgent": 70, "emergency": 10, "routine": 20}
SEXES = {"female": 49, "male": 49, "other": 1, "unknown": 1}
APP_SHARE = 0.6  # own-device patients on an acute ward who use the app rather than a kit
EXCLUDED_DERI = 3.54  # England's most digitally excluded fifth of LSOAs score at least this


@dataclass(frozen=True, slots=True)
class SyntheticPatient:
    """A made-up patient in a real LSOA, with what the simulator needs to play them."""

    index: int
    nhs_number: str
    date_of_birth: date
    age: int
    sex: str
    ethnic_category: str
    area: Area
    icb_code: str
    pathway: str
    referral_source: str
    urgency: str
    own_device: bool
    broadband: bool
    housing_concern: bool
    uses_app: bool  # Open mHealth app on their own phone, else a loaned kit
    miss_probability: float  # chance a round's reading never arrives
    outage_probability: float  # chance per round that the device drops offline for a while
    deteriorates: bool

    @property
    def digitally_excluded_area(self) -> bool:
        """Lives in one of England's 20% of LSOAs at highest risk of digital exclusion."""
        return self.area.deri_score >= EXCLUDED_DERI

    def registration(self) -> dict[str, object]:
        """The body of POST /v1/patients (no names: the demo does not need them)."""
        return {
            "nhs_number": self.nhs_number,
            "date_of_birth": self.date_of_birth.isoformat(),
            "sex": self.sex,
            "ethnic_category": self.ethnic_category,
            "lsoa11cd": self.area.lsoa11cd,
            "own_device": self.own_device,
            "broadband": self.broadband,
            "housing_concern": self.housing_concern,
        }


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def p_own_device(area: Area, age: int) -> float:
    """Chance the patient has a smartphone or tablet of their own."""
    return _sigmoid(2.0 - 1.1 * (area.deri_score - 3.0) - 0.04 * max(0, age - 65))


def p_broadband(area: Area, age: int) -> float:
    """Chance of a broadband connection at home."""
    return _sigmoid(2.4 - 1.2 * (area.deri_broadband - 3.5) - 0.03 * max(0, age - 70))


def p_housing_concern(area: Area) -> float:
    """Chance a housing concern (cold, damp, overcrowded) is recorded at referral."""
    return 0.04 + 0.03 * (10 - area.indoors_decile)


def referral_weights(areas: Sequence[Area]) -> list[float]:
    """Relative chance each LSOA is where the next referral lives (see the module docstring)."""
    return [
        a.population * (1 + 0.1 * (10 - a.imd_decile)) * math.exp(-0.35 * (a.deri_score - 3.0))
        for a in areas
    ]


def synthetic_nhs_number(rng: random.Random) -> str:
    """A valid NHS number (modulus 11) in the 999 range that is never issued to anyone."""
    while True:
        stem = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = _nhs.calculate_checksum(stem)
        if check != 10:
            return f"{stem}{check}"


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class AreaSampler:
    """Draws referral LSOAs for one ICB (cumulative weights computed once)."""

    def __init__(self, icb: Icb) -> None:
        self.icb = icb
        self._cumulative = list(accumulate(referral_weights(icb.areas)))

    def draw(self, rng: random.Random) -> Area:
        return rng.choices(self.icb.areas, cum_weights=self._cumulative)[0]


def sample_patient(
    rng: random.Random,
    sampler: AreaSampler,
    *,
    index: int,
    pathway: str,
    today: date,
) -> SyntheticPatient:
    """One referral to a ward of `sampler.icb` on `pathway`."""
    area = sampler.draw(rng)
    low, high, mode = PATHWAY_AGES[pathway]
    age = int(rng.triangular(low, high, mode))
    birthday = today - timedelta(days=365 * age + rng.randrange(365) + age // 4)
    own_device = rng.random() < p_own_device(area, age)
    broadband = rng.random() < p_broadband(area, age)
    housing_concern = rng.random() < p_housing_concern(area)
    uses_app = own_device and pathway != FRAILTY and rng.random() < APP_SHARE
    miss = 0.03 + 0.04 * max(0.0, area.deri_score - 2.0) + (0.0 if broadband else 0.06)
    outage = (0.004 + 0.008 * max(0.0, area.deri_score - 2.5)) * (1 if broadband else 2)
    deterioration = (0.20 if pathway == FRAILTY else 0.15) + (0.05 if area.imd_decile <= 2 else 0)
    return SyntheticPatient(
        index=index,
        nhs_number=synthetic_nhs_number(rng),
        date_of_birth=birthday,
        age=age,
        sex=_pick(rng, SEXES),
        ethnic_category=_pick(rng, ETHNIC_SHARES),
        area=area,
        icb_code=sampler.icb.code,
        pathway=pathway,
        referral_source=_pick(rng, REFERRAL_SOURCES[pathway]),
        urgency=_pick(rng, URGENCY),
        own_device=own_device,
        broadband=broadband,
        housing_concern=housing_concern,
        uses_app=uses_app,
        miss_probability=round(miss, 4),
        outage_probability=round(outage, 4),
        deteriorates=rng.random() < deterioration,
    )
