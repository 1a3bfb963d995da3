"""Equity audit benchmark: full-England audit on 32,844 LSOAs and a million admissions.

Compute only: `build_audit` (grouping, disclosure control, rates, SII with 100,000
repetitions, rate ratio, Core20 share and the ICB need funnel) on 250,000 aggregate rows
like ward_api's, for England, one ICB and ten ICBs (total and per ICB). Uses the real LSOAs
when VWARD_DATA_DIR has them, else a synthetic England of the same size.

End to end: in a fresh database (on DATABASE_URL's server, else a throwaway embedded
PostgreSQL) it loads the reference data, takes a snapshot of 250,000 uptake rows as a
refresh would (COPY, then the per-LSOA totals), and times the reads on their own and the
audit as a request runs it (`run_audit`: datasets, cached areas, snapshot, uptake read,
build with disclosure control) for 1 ICB, 10 ICBs and England, against the 1 s target.
Figures are medians of several runs; the machine may be shared, so the load is printed.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from services.equity_audit.audit.frame import Areas, Uptake
from services.equity_audit.audit.report import build_audit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

LSOAS = 32_844
ADMISSIONS = 1_000_000
REPETITIONS = 100_000
TARGET_SECONDS = 1.0
RUNS = 7  # timed runs per figure; the median is reported
ICB_RUNS = 3  # runs of the ten-ICB set


def _areas(rng: np.random.Generator) -> tuple[Areas, str]:
    from services.equity_audit.settings import EquitySettings
    from shared.reference.datasets import load_reference

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
    """Figures for the database reads and whole audits on a loaded reference and snapshot."""
    from shared.database import create_engine, create_sessionmaker

    loaded = await _load_reference(url)
    engine = create_engine(url, pool_size=2, application_name="bench")
    sessions = create_sessionmaker(engine)
    figures: list[tuple[str, str]] = [("DB reference loaded", loaded)]
    try:
        areas = await _write_snapshot(sessions, figures)
        await _time_uptake_reads(sessions, areas, figures)
        await _time_audits(url, sessions, areas, figures)
        figures.append(("load average at end (1/5/15 min)", _load()))
    finally:
        await engine.dispose()
    return figures


async def _load_reference(url: str) -> str:
    """Load the reference data (with a throwaway synthetic directory); what was loaded."""
    from services.equity_audit.reference_data import load_async
    from services.equity_audit.settings import EquitySettings

    synthetic_dir = Path(tempfile.mkdtemp(prefix="vward-bench-synthetic-"))
    try:
        return await load_async(url, EquitySettings().data_dir, synthetic_dir=synthetic_dir)
    finally:
        shutil.rmtree(synthetic_dir, ignore_errors=True)


async def _write_snapshot(
    sessions: async_sessionmaker[AsyncSession], figures: list[tuple[str, str]]
) -> Areas:
    """Read the areas and write a 250,000-row snapshot with its totals, timing both."""
    from services.equity_audit.audit import repository
    from services.equity_audit.snapshots.repository import rebuild_totals
    from shared.database import driver_connection

    async with sessions() as session:
        started = time.perf_counter()
        areas: Areas = await repository.load_areas(session)
        figures.append(("DB read: reference areas (once per version)", _took(started, areas)))
        records = _uptake_records(np.random.default_rng(7), areas, 250_000)
        conn = await driver_connection(session)
        # A snapshot as a refresh writes it: its rows, then the per-LSOA totals.
        await conn.execute(
            """INSERT INTO equity.snapshots (id, period_from, period_to, row_count)
               OVERRIDING SYSTEM VALUE VALUES (1, '2025-01-01', '2026-01-01', $1)""",
            len(records),
        )
        await conn.copy_records_to_table(
            "uptake", schema_name="equity", columns=list(UPTAKE_COLUMNS), records=records
        )
        # 250,000 tuples left alive would make every cyclic GC pass in the timed reads slow.
        del records
        gc.collect()
        started = time.perf_counter()
        await rebuild_totals(conn, snapshot_id=1)
        rebuilt = time.perf_counter() - started
        await session.commit()
        await conn.execute("ANALYZE equity.uptake")
        await conn.execute("ANALYZE equity.uptake_totals")
    figures.append(("refresh: per-LSOA totals rebuilt", f"{rebuilt:.3f} s (once per refresh)"))
    return areas


async def _time_uptake_reads(
    sessions: async_sessionmaker[AsyncSession], areas: Areas, figures: list[tuple[str, str]]
) -> None:
    """Median time of the snapshot's uptake reads, from the totals and from raw rows."""
    from services.equity_audit.audit import repository

    async def read(cut: str, from_month: str | None) -> Any:
        async with sessions() as session:
            uptake, _ = await repository.load_uptake(
                session, areas, cut=cut, from_month=from_month, to_month=None, snapshot_id=1
            )
            return uptake

    for label, cut, from_month in (
        ("per LSOA (totals)", "imd_quintile", None),
        ("per LSOA, part year (raw rows)", "imd_quintile", "2025-02"),
        ("per LSOA x age band (raw rows)", "age_band", None),
    ):
        seconds, uptake = await _median(functools.partial(read, cut, from_month))
        figures.append((f"DB read: uptake {label}", f"{seconds:.3f} s ({len(uptake):,} rows)"))


async def _time_audits(
    url: str,
    sessions: async_sessionmaker[AsyncSession],
    areas: Areas,
    figures: list[tuple[str, str]],
) -> None:
    """Median time of whole audits: England, one ICB and ten ICBs."""
    from services.equity_audit.audit import service
    from services.equity_audit.clients.ward_api import WardApiClient
    from services.equity_audit.settings import EquitySettings
    from shared.auth import Principal, Role

    settings = EquitySettings(
        database_url=url, sii_repetitions=REPETITIONS, snapshot_max_age_seconds=86_400
    )
    cache = service.AreaCache()
    national = Principal(subject="bench", role=Role.admin)
    client = cast(WardApiClient, None)  # the snapshot is fresh: ward_api is not called

    async def audit(icb: str | None) -> dict[str, Any]:
        async with sessions() as session:
            return await service.run_audit(
                session, client=client, settings=settings, cache=cache, principal=national,
                icb=icb, cut="imd_quintile", from_month=None, to_month=None,
            )  # fmt: skip

    started = time.perf_counter()
    await audit(None)
    figures.append(
        ("audit: England, first request (areas read)", f"{time.perf_counter() - started:.3f} s")
    )
    england, result = await _median(lambda: audit(None))
    admissions = result["total"]["admissions"]
    figures.append(
        (
            f"audit: England end-to-end, median of {RUNS}",
            f"{england:.3f} s = {england / TARGET_SECONDS:.2f} x the 1 s target"
            f" ({admissions:,} admissions published)",
        )
    )
    icbs = sorted(areas.icb_names)
    one, _ = await _median(lambda: audit(icbs[0]))

    async def ten() -> None:
        for icb in icbs[:10]:
            await audit(icb)

    tens, _ = await _median(ten, runs=ICB_RUNS)
    figures += [
        ("audit: per ICB (10 ICB audits / 10)", f"{tens / 10:.3f} s"),
        ("growth: 1 ICB audit", f"{one:.3f} s"),
        ("growth: 10 ICB audits", f"{tens:.3f} s ({tens / one:.1f} x 1 ICB)"),
        (
            f"growth: England audit ({len(icbs)} ICBs)",
            f"{england:.3f} s ({england / one:.1f} x 1 ICB)",
        ),
    ]


async def _median(run: Callable[[], Awaitable[Any]], runs: int = RUNS) -> tuple[float, Any]:
    """Median seconds of `runs` timed calls after one warm-up, and the last result."""
    result = await run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _took(started: float, areas: Areas) -> str:
    return f"{time.perf_counter() - started:.3f} s ({len(areas):,} rows returned)"


def with_database() -> list[tuple[str, str]]:
    """Fresh database on DATABASE_URL's server, else a throwaway embedded PostgreSQL."""
    from shared.scratch_db import scratch_database

    with scratch_database("vward_bench") as url:
        return asyncio.run(_measure_with_database(url))


def run() -> list[tuple[str, str]]:
    rng = np.random.default_rng(20_240_401)
    areas, kind = _areas(rng)
    uptake = _uptake(rng, areas)
    icbs = sorted(set(areas.icb.tolist()))
    figures = [
        ("load average at start (1/5/15 min)", _load()),
        ("LSOAs", f"{len(areas):,} ({kind})"),
        ("admissions (aggregate rows)", f"{int(uptake.admissions.sum()):,} ({len(uptake):,})"),
    ]

    def timed(scopes: list[str | None], runs: int = RUNS) -> float:
        build_audit(areas, uptake, cut="imd_quintile", icb=scopes[0], repetitions=REPETITIONS)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            for scope in scopes:
                build_audit(areas, uptake, cut="imd_quintile", icb=scope, repetitions=REPETITIONS)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    england = timed([None])
    one = timed(icbs[:1])
    ten = timed(icbs[:10], runs=ICB_RUNS)
    figures += [
        ("compute: England (SII 100k reps)", f"{england:.3f} s"),
        ("compute: 1 ICB", f"{one:.3f} s"),
        ("compute: 10 ICBs", f"{ten:.3f} s ({ten / 10:.3f} s per ICB)"),
    ]
    return figures + with_database()


if __name__ == "__main__":
    for figure, value in run():
        print(f"{figure:44} {value}")
