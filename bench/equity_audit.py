"""Equity audit benchmark: full-England audit on 32,844 LSOAs and a million admissions.

Times `build_audit` (grouping, disclosure control, rates, SII with 100,000 repetitions,
rate ratio, Core20 share and the ICB need funnel) on aggregate rows like ward_api's, for
England, one ICB and ten ICBs. Uses the real LSOAs when VWARD_DATA_DIR has them, else a
synthetic England of the same size.
"""

from __future__ import annotations

import time

import numpy as np

from services.equity_audit.audit.frame import Areas, Uptake
from services.equity_audit.audit.report import build_audit

LSOAS = 32_844
ADMISSIONS = 1_000_000
REPETITIONS = 100_000


def _areas(rng: np.random.Generator) -> tuple[Areas, str]:
    from services.equity_audit.domain.reference import load_reference
    from services.equity_audit.settings import EquitySettings

    data_dir = EquitySettings().data_dir
    try:
        reference = load_reference(data_dir)
        profiles = reference.profiles()
        imd = reference.imd.rows
        ordered = sorted(profiles)
        names = {r.icb_code: (r.icb_ods_code, r.icb_name) for r in reference.icb.rows.values()}
        return (
            Areas(
                codes=np.array(ordered),
                icb=np.array([profiles[c].icb_code for c in ordered]),
                sub_icb=np.array([profiles[c].sicbl_code for c in ordered]),
                population=np.array([profiles[c].population for c in ordered], float),
                imd_score=np.array([imd[c].imd_score for c in ordered], float),
                imd_decile=np.array([profiles[c].imd_decile for c in ordered], np.int64),
                housing_quintile=np.array(
                    [profiles[c].housing_quintile or 0 for c in ordered], np.int64
                ),
                digital_quintile=np.array(
                    [profiles[c].digital_exclusion_quintile or 0 for c in ordered], np.int64
                ),
                icb_names=names,
            ),
            "real",
        )
    except FileNotFoundError:
        icb = rng.integers(0, 42, LSOAS)
        decile = rng.integers(1, 11, LSOAS)
        return (
            Areas(
                codes=np.array([f"E01{i:06d}" for i in range(LSOAS)]),
                icb=np.array([f"E54{i:06d}" for i in icb]),
                sub_icb=np.array(
                    [
                        f"E38{i * 3 + k:06d}"
                        for i, k in zip(icb, rng.integers(0, 3, LSOAS), strict=True)
                    ]
                ),
                population=rng.normal(1650, 250, LSOAS).clip(700),
                imd_score=(11 - decile) * 5.0 + rng.normal(0, 2, LSOAS).clip(-4, 4),
                imd_decile=decile.astype(np.int64),
                housing_quintile=rng.integers(1, 6, LSOAS),
                digital_quintile=rng.integers(1, 6, LSOAS),
                icb_names={f"E54{i:06d}": (f"Q{i:02d}", f"ICB {i}") for i in range(42)},
            ),
            "synthetic",
        )


def _uptake(rng: np.random.Generator, areas: Areas) -> Uptake:
    """About a million admissions spread over LSOAs, age bands, sexes and outcomes."""
    rows = 250_000
    area = rng.integers(0, len(areas), rows)
    admissions = rng.poisson(ADMISSIONS / rows, rows).astype(np.int64)
    discharged = rng.binomial(admissions, 0.9)
    return Uptake(
        area=area,
        icb=areas.icb[area],
        person=rng.choice(np.array(["female", "male"]), rows),
        admissions=admissions,
        discharged=discharged,
        escalated=rng.binomial(discharged, 0.1),
        los_days_sum=discharged * 7,
        stays_over_14_days=rng.binomial(discharged, 0.05),
        readings_expected=discharged * 40,
        readings_received=discharged * 32,
    )


def run() -> list[tuple[str, str]]:
    rng = np.random.default_rng(20_240_401)
    areas, kind = _areas(rng)
    uptake = _uptake(rng, areas)
    icbs = sorted(set(areas.icb.tolist()))
    figures = [
        ("LSOAs", f"{len(areas):,} ({kind})"),
        ("admissions (aggregate rows)", f"{int(uptake.admissions.sum()):,} ({len(uptake):,})"),
    ]

    def timed(label: str, scopes: list[str | None]) -> None:
        build_audit(areas, uptake, cut="imd_quintile", icb=scopes[0], repetitions=REPETITIONS)
        started = time.perf_counter()
        for scope in scopes:
            build_audit(areas, uptake, cut="imd_quintile", icb=scope, repetitions=REPETITIONS)
        elapsed = time.perf_counter() - started
        figures.append(
            (label, f"{elapsed:.3f} s ({'< 1 s' if elapsed < 1 else 'OVER 1 s target'})")
        )

    timed("England audit (SII 100k reps)", [None])
    timed("1 ICB audit", icbs[:1])
    timed("10 ICB audits", icbs[:10])
    return figures


if __name__ == "__main__":
    for figure, value in run():
        print(f"{figure:32} {value}")
