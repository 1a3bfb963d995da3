"""The whole release under a differencing attack (issue #13, section 2).

One release is what a national reader can ask for about one period: the audit of England
and of every ICB, by every cut. The attacker (tests/equity_audit/attacker.py, whose
docstring states the protection rule) reads all of it at once, on the synthetic reference
data and on the real one (``/work/shared/data``, via ``EquitySettings().data_dir``), with an
uptake sparse enough that many counts are small.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from services.equity_audit.audit.frame import AREA_CUTS, Areas, Uptake
from services.equity_audit.audit.report import build_audit
from services.equity_audit.domain.reference import load_reference
from services.equity_audit.domain.synthetic import write_synthetic_reference
from services.equity_audit.settings import EquitySettings
from tests.equity_audit.attacker import Attacker

PERSON_CUTS = ("pathway", "own_device", "broadband", "age_band")
PATHWAYS = np.array(["frailty", "acute_respiratory_infection", "heart_failure"])
AGE_BANDS = np.array(["60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"])


def areas_from(data_dir: Path) -> Areas:
    """Reference areas as the service loads them, read straight from the files."""
    reference = load_reference(data_dir)
    profiles = reference.profiles()
    imd = reference.imd.rows
    ordered = sorted(profiles)
    names = {r.icb_code: (r.icb_ods_code, r.icb_name) for r in reference.icb.rows.values()}
    return Areas(
        codes=np.array(ordered),
        icb=np.array([profiles[c].icb_code for c in ordered]),
        sub_icb=np.array([profiles[c].sicbl_code for c in ordered]),
        population=np.array([profiles[c].population for c in ordered], float),
        imd_score=np.array([imd[c].imd_score for c in ordered], float),
        imd_decile=np.array([profiles[c].imd_decile for c in ordered], np.int64),
        housing_quintile=np.array([profiles[c].housing_quintile or 0 for c in ordered], np.int64),
        digital_quintile=np.array(
            [profiles[c].digital_exclusion_quintile or 0 for c in ordered], np.int64
        ),
        icb_names=names,
    )


def sparse_uptake(areas: Areas, admissions: int, seed: int) -> dict[str, Uptake]:
    """One row per admission (a few without a known LSOA), viewed by each person cut."""
    rng = np.random.default_rng(seed)
    icbs = np.array(sorted(areas.icb_names))
    # Admissions concentrate in a few ICBs, so that both small and large cells occur.
    weight = rng.gamma(0.6, size=icbs.size)[np.searchsorted(icbs, areas.icb)]
    area = rng.choice(len(areas), admissions, p=weight / weight.sum())
    unknown = rng.random(admissions) < 0.02
    icb = areas.icb[area].copy()
    area[unknown] = -1
    icb[unknown & (rng.random(admissions) < 0.2)] = ""
    ones = np.ones(admissions, np.int64)
    discharged = (rng.random(admissions) < 0.85).astype(np.int64)
    own = rng.choice(3, admissions, p=[0.6, 0.3, 0.1])  # yes, no, not recorded
    broadband = rng.choice(3, admissions, p=[0.75, 0.15, 0.1])
    flag = np.array(["yes", "no", "unknown"])
    person = {
        "": np.array([""] * admissions),
        "pathway": rng.choice(PATHWAYS, admissions, p=[0.6, 0.3, 0.1]),
        "age_band": rng.choice(AGE_BANDS, admissions),
        "own_device": flag[own],
        "broadband": flag[broadband],
    }
    expected = discharged * rng.integers(10, 60, admissions)
    counts = {
        "admissions": ones,
        "discharged": discharged,
        "escalated": discharged * (rng.random(admissions) < 0.1),
        "los_days_sum": discharged * rng.integers(1, 30, admissions),
        "stays_over_14_days": discharged * (rng.random(admissions) < 0.1),
        "readings_expected": expected,
        "readings_received": (expected * rng.uniform(0.5, 1.0, admissions)).astype(np.int64),
        "own_device_yes": (own == 0).astype(np.int64),
        "own_device_no": (own == 1).astype(np.int64),
        "broadband_yes": (broadband == 0).astype(np.int64),
        "broadband_no": (broadband == 1).astype(np.int64),
    }
    return {
        cut: Uptake(area=area, icb=icb, person=values, **counts) for cut, values in person.items()
    }


def release(areas: Areas, uptakes: dict[str, Uptake]) -> Attacker:
    """Every audit a national reader can ask for, read by one attacker."""
    attacker = Attacker(areas, uptakes)
    for scope in [None, *sorted(areas.icb_names)]:
        for cut in (*AREA_CUTS, *PERSON_CUTS):
            uptake = uptakes[cut if cut in PERSON_CUTS else ""]
            audit = build_audit(areas, uptake, cut=cut, icb=scope, repetitions=200)
            attacker.read(audit, scope)
    attacker.close_person_cuts()
    return attacker


@pytest.fixture(scope="module")
def synthetic_world(tmp_path_factory) -> tuple[Areas, dict[str, Uptake]]:
    directory = tmp_path_factory.mktemp("synthetic-reference")
    write_synthetic_reference(directory)
    areas = areas_from(directory)
    return areas, sparse_uptake(areas, 1_500, seed=13)


@pytest.fixture(scope="module")
def real_world() -> tuple[Areas, dict[str, Uptake]]:
    try:
        areas = areas_from(EquitySettings().data_dir)
    except FileNotFoundError as error:  # pragma: no cover - CI has the data
        pytest.skip(f"real reference data not present: {error}")
    return areas, sparse_uptake(areas, 6_000, seed=13)


@pytest.fixture(scope="module", params=["synthetic", "real"])
def attacked(request) -> Attacker:
    areas, uptakes = request.getfixturevalue(f"{request.param}_world")
    started = time.perf_counter()
    attacker = release(areas, uptakes)
    print(f"\n{request.param}: release built and read in {time.perf_counter() - started:.1f} s")
    return attacker


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_attacker_models_what_the_release_publishes(attacked: Attacker) -> None:
    assert attacked.wrong_values() == []


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_population_hidden_anywhere_is_hidden_everywhere(attacked: Attacker) -> None:
    assert attacked.inconsistencies() == []


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_no_small_count_is_narrowed_by_the_whole_release(attacked: Attacker) -> None:
    started = time.perf_counter()
    findings = attacked.attack()
    print(f"attack: {time.perf_counter() - started:.1f} s, {len(findings)} cells narrowed")
    for finding in findings[:20]:
        print(finding)
    assert findings == []
