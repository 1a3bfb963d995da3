"""Equity audit benchmark: full-England audit on 32,844 LSOAs and a million admissions.

Times `build_audit` (grouping, disclosure control, rates, SII with 100,000 repetitions,
rate ratio, Core20 share and the ICB need funnel) on aggregate rows like ward_api's, for
England, one ICB and ten ICBs. Uses the real LSOAs when VWARD_DATA_DIR has them, else a
synthetic England of the same size.

Then the same with I/O: in a fresh database (on DATABASE_URL's server, else a throwaway
embedded PostgreSQL) it loads the reference data, writes 250,000 uptake rows, and times
the audit's reads (reference areas; uptake rows summed per LSOA, as the IMD cuts read them,
and per LSOA and age band) and the full England audit read + build.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

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
        own_device_yes=(own := rng.binomial(admissions, 0.7)),
        own_device_no=admissions - own,
        broadband_yes=(broadband := rng.binomial(admissions, 0.85)),
        broadband_no=admissions - broadband,
    )


AGE_BANDS = np.array([f"{5 * i}-{5 * i + 4}" for i in range(18)] + ["90+"])
OUTCOMES = np.array(["completed", "escalated_to_hospital", "ongoing", "self_discharged"])
UPTAKE_COLUMNS = (
    "snapshot_id", "month", "icb_code", "lsoa11cd", "age_band", "sex", "ethnic_category",
    "pathway", "outcome", "own_device", "broadband", "housing_concern", "admissions",
    "los_days_sum", "stays_over_14_days", "escalations", "readings_expected",
    "readings_received",
)  # fmt: skip


def _uptake_records(rng: np.random.Generator, areas: Areas, rows: int) -> list[tuple]:
    """Rows as ward_api's aggregate feed sends them, over a year, about a million admissions."""
    area = rng.integers(0, len(areas), rows)
    admissions = rng.poisson(ADMISSIONS / rows, rows).clip(1)
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    month = rng.integers(0, 12, rows)
    age = rng.integers(10, 19, rows)
    outcome = rng.integers(0, len(OUTCOMES), rows)
    flags = rng.random((rows, 3)) < (0.7, 0.85, 0.1)
    codes, icbs = areas.codes.tolist(), areas.icb.tolist()
    return [
        (
            1, months[month[i]], icbs[area[i]], codes[area[i]], str(AGE_BANDS[age[i]]),
            "female" if i % 2 else "male", "A", "frailty", str(OUTCOMES[outcome[i]]),
            bool(flags[i, 0]), bool(flags[i, 1]), bool(flags[i, 2]), int(admissions[i]),
            7 * int(admissions[i]), 0, int(outcome[i] == 1) * int(admissions[i]),
            40 * int(admissions[i]), 32 * int(admissions[i]),
        )
        for i in range(rows)
    ]  # fmt: skip


async def _measure_with_database(url: str) -> list[tuple[str, str]]:
    from services.equity_audit.audit import repository
    from services.equity_audit.db import driver_connection
    from services.equity_audit.reference_data import load_async
    from services.equity_audit.settings import EquitySettings
    from shared.database import create_engine, create_sessionmaker

    synthetic_dir = Path(tempfile.mkdtemp(prefix="vward-bench-synthetic-"))
    try:
        loaded = await load_async(url, EquitySettings().data_dir, synthetic_dir=synthetic_dir)
    finally:
        shutil.rmtree(synthetic_dir, ignore_errors=True)
    engine = create_engine(url, pool_size=2, application_name="bench")
    sessions = create_sessionmaker(engine)
    figures: list[tuple[str, str]] = [("DB reference loaded", loaded)]
    try:
        async with sessions() as session:
            started = time.perf_counter()
            areas = await repository.load_areas(session)
            figures.append(("DB read: reference areas", _seconds(started, len(areas))))
            records = _uptake_records(np.random.default_rng(7), areas, 250_000)
            conn = await driver_connection(session)
            await conn.copy_records_to_table(
                "uptake", schema_name="equity", columns=list(UPTAKE_COLUMNS), records=records
            )
            await session.commit()
            await conn.execute("ANALYZE equity.uptake")
        for label, cut in (("per LSOA", "imd_quintile"), ("per LSOA x age band", "age_band")):
            async with sessions() as session:
                started = time.perf_counter()
                uptake, _ = await repository.load_uptake(
                    session, areas, cut=cut, from_month=None, to_month=None
                )
                figures.append(
                    (
                        f"DB read: {len(records):,} uptake rows {label}",
                        _seconds(started, len(uptake)),
                    )
                )
        async with sessions() as session:
            started = time.perf_counter()
            uptake, _ = await repository.load_uptake(
                session, areas, cut="imd_quintile", from_month=None, to_month=None
            )
            read = time.perf_counter() - started
            build_audit(areas, uptake, cut="imd_quintile", icb=None, repetitions=REPETITIONS)
            total = time.perf_counter() - started
        figures.append(
            (
                "England audit incl. DB read",
                f"{total:.3f} s (read {read:.3f} s + build {total - read:.3f} s;"
                f" {int(uptake.admissions.sum()):,} admissions)",
            )
        )
    finally:
        await engine.dispose()
    return figures


def _seconds(started: float, rows: int) -> str:
    return f"{time.perf_counter() - started:.3f} s ({rows:,} rows returned)"


def with_database() -> list[tuple[str, str]]:
    """Fresh database on DATABASE_URL's server, else a throwaway embedded PostgreSQL."""
    from shared.db_url import ensure_database
    from shared.migrate import upgrade

    server = os.environ.get("DATABASE_URL")
    embedded = root = None
    if not server:
        from shared.embedded_pg import EmbeddedPostgres, free_port

        root = Path(tempfile.mkdtemp(prefix="vward-bench-"))
        embedded = EmbeddedPostgres(root=root, port=free_port())
        server = embedded.start()
    name = f"vward_bench_{uuid.uuid4().hex[:8]}"
    ensure_database(server, name)
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        return asyncio.run(_measure_with_database(url))
    finally:
        if embedded is not None:
            embedded.stop(mode="immediate")
            shutil.rmtree(root or "", ignore_errors=True)
        else:
            asyncio.run(_drop_database(server, name))


async def _drop_database(server: str, name: str) -> None:
    import asyncpg

    admin = make_url(server).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


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
    return figures + with_database()


if __name__ == "__main__":
    for figure, value in run():
        print(f"{figure:44} {value}")
