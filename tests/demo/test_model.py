"""The demo's pure models: patient mix, physiology, payloads (fast, no services)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from statistics import mean

import nhs_number
import pytest

from services.monitoring_ingest.domain.adapters import fhir, native, openmhealth
from services.monitoring_ingest.domain.canonical import Acvpu, CanonicalReading
from services.monitoring_ingest.domain.news2 import ObservationSet, RiskBand, score
from services.monitoring_ingest.domain.outcomes import Refusal, RefusalReason
from tests.support.data import require_data
from vward.demo.areas import Area, Icb, load_icbs
from vward.demo.mix import (
    FRAILTY,
    RESPIRATORY,
    AreaSampler,
    p_broadband,
    p_housing_concern,
    p_own_device,
    referral_weights,
    sample_patient,
    synthetic_nhs_number,
)
from vward.demo.payloads import FORMATS, Observed, build
from vward.demo.physiology import Connectivity, Physiology, Vitals

TODAY = date(2026, 11, 23)


def area(
    lsoa: str = "E01000001",
    *,
    imd: int = 5,
    deri: float = 3.0,
    broadband: float = 3.5,
    indoors: int = 5,
    population: int = 1500,
) -> Area:
    return Area(lsoa, imd, population, deri, broadband, indoors)


SYNTHETIC_ICB = Icb(
    "E54999999",
    "QZZ",
    "NHS Test Integrated Care Board",
    tuple(
        area(
            f"E01{i:06d}",
            imd=1 + i % 10,
            deri=1.5 + (i % 9) * 0.5,
            broadband=2 + i % 7,
            indoors=1 + (i * 3) % 10,
        )
        for i in range(200)
    ),
)


def cohort(seed: int, n: int = 300, icb: Icb = SYNTHETIC_ICB, pathway: str = RESPIRATORY):
    rng, sampler = random.Random(seed), AreaSampler(icb)
    return [sample_patient(rng, sampler, index=i, pathway=pathway, today=TODAY) for i in range(n)]


def test_same_seed_same_patients_other_seed_others() -> None:
    assert cohort(3) == cohort(3)
    assert [p.nhs_number for p in cohort(3)] != [p.nhs_number for p in cohort(4)]


def test_nhs_numbers_are_valid_and_never_issued() -> None:
    rng = random.Random(1)
    numbers = [synthetic_nhs_number(rng) for _ in range(500)]
    assert all(nhs_number.is_valid(n) and n.startswith("999") for n in numbers)
    assert all(nhs_number.REGION_SYNTHETIC.contains_number(n) for n in numbers)


def test_digital_access_falls_with_digital_exclusion_and_age() -> None:
    assert p_own_device(area(deri=2.0), 70) > p_own_device(area(deri=5.0), 70)
    assert p_own_device(area(), 70) > p_own_device(area(), 90)
    assert p_broadband(area(broadband=3.0), 75) > p_broadband(area(broadband=7.0), 75)
    assert 0.9 < p_own_device(area(deri=2.0), 60) < 1 and p_own_device(area(deri=5.5), 90) < 0.3


def test_housing_concern_follows_the_indoors_decile() -> None:
    assert p_housing_concern(area(indoors=1)) == pytest.approx(0.31)
    assert p_housing_concern(area(indoors=10)) == pytest.approx(0.04)


def test_referrals_weigh_need_up_and_digital_exclusion_down() -> None:
    deprived, affluent, excluded = area(imd=1), area(imd=10), area(imd=1, deri=5.0)
    weights = referral_weights([deprived, affluent, excluded])
    assert weights[0] == pytest.approx(1.9 * weights[1])
    assert weights[2] < weights[0]


def test_sampled_mix_shows_the_gradients() -> None:
    patients = cohort(7, n=2000)
    high = [p for p in patients if p.area.deri_score >= 4.0]
    low = [p for p in patients if p.area.deri_score <= 2.5]
    assert mean(p.own_device for p in low) > mean(p.own_device for p in high) + 0.2
    assert mean(p.miss_probability for p in high) > mean(p.miss_probability for p in low)
    poor = [p for p in patients if p.area.indoors_decile <= 2]
    good = [p for p in patients if p.area.indoors_decile >= 9]
    assert mean(p.housing_concern for p in poor) > mean(p.housing_concern for p in good)
    assert not any(p.uses_app and not p.own_device for p in patients)
    assert all(70 <= p.age <= 100 for p in cohort(2, 100, pathway=FRAILTY))


def test_real_lsoas_of_the_icb() -> None:
    (cornwall,) = load_icbs(require_data(), ["QT6"])
    assert cornwall.code == "E54000036" and len(cornwall.areas) == 327
    patients = cohort(5, n=50, icb=cornwall)
    codes = {a.lsoa11cd for a in cornwall.areas}
    assert all(p.area.lsoa11cd in codes and p.icb_code == "E54000036" for p in patients)


def _news2(v: Vitals) -> RiskBand | None:
    return score(
        ObservationSet(
            v.respiratory_rate,
            v.spo2,
            v.on_oxygen,
            v.systolic_bp,
            v.heart_rate,
            Acvpu(v.acvpu),
            v.temperature,
        )
    ).band


def test_deterioration_reaches_news2_medium_or_high_and_recovery_stays_low() -> None:
    worst = []
    for seed in range(20):
        patient = Physiology(random.Random(seed), pathway=RESPIRATORY, deteriorates=True)
        patient.peak = 5.0
        bands = []
        for _ in range(12):
            patient.step()
            bands.append(_news2(patient.vitals()))
        worst.append(bands)
    assert all({RiskBand.MEDIUM, RiskBand.HIGH} & set(bands) for bands in worst)
    calm = Physiology(random.Random(1), pathway=RESPIRATORY, deteriorates=False)
    for _ in range(12):
        calm.step()
    assert calm.severity < 1.0 and _news2(calm.vitals()) is RiskBand.LOW


def test_connectivity_is_deterministic_and_outages_last() -> None:
    def run(seed: int) -> list[bool]:
        link = Connectivity(random.Random(seed), miss=0.1, outage=0.02)
        return [link.delivers() for _ in range(400)]

    assert run(9) == run(9)
    delivered = run(9)
    assert 0.6 < mean(delivered) < 0.9
    assert "F" * 6 in "".join("T" if d else "F" for d in delivered)


@pytest.mark.parametrize("format_name", FORMATS)
def test_payloads_parse_in_monitoring_ingest(format_name: str) -> None:
    """Contract check against the ingest adapters: every reading parses, artifacts refused."""
    now = datetime.now(UTC)
    sick = Physiology(random.Random(2), pathway=RESPIRATORY, deteriorates=True)
    sick.severity = 4.2
    rounds = [Observed(1, now, sick.vitals()), Observed(2, now, sick.vitals(), artifact=True)]
    payload = build(format_name, [("DEV-1", rounds), ("DEV-2", rounds[:1])])
    parser = {"native": native, "fhir": fhir, "openmhealth": openmhealth}[format_name]
    outcomes = parser.parse(payload)
    readings = [o for o in outcomes if isinstance(o, CanonicalReading)]
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert [r.reason for r in refused] == [RefusalReason.IMPLAUSIBLE_VALUE]  # SpO2 0 %
    per_round = {"native": 8, "fhir": 9, "openmhealth": 7}[format_name]  # +1: O2 flow on FHIR
    assert len(readings) == 3 * per_round - 1
    assert {r.device_id for r in readings} == {"DEV-1", "DEV-2"}
    assert len({r.vendor_reading_id for r in readings}) == len(readings)
