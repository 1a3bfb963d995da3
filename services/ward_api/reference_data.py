"""Load ward_api's public reference data: ICBs, sub-ICBs, LSOAs, denominators, sitrep history.

Called by `vward up` at every start, so it is idempotent (upserts) and quick (COPY into
temporary tables, then one INSERT … ON CONFLICT per table). When `data_dir` lacks the LSOA
files, the SYNTHETIC areas of shared.reference.synthetic (the ones equity_audit loads too)
are written under `.vward/` and loaded instead, and the summary says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from services.ward_api.domain.capacity import PopulationBasis
from services.ward_api.domain.geography import ONS_MID_2019, Geography, build_geography
from services.ward_api.domain.inclusion import deri_quintile
from services.ward_api.domain.sitrep import ENGLAND_CODE, SitrepRow, load_sitrep
from services.ward_api.domain.sources import (
    DIGITAL_EXCLUSION_FILE,
    HOUSING_FILE,
    IMD_FILE,
    LSOA_ICB_FILE,
    SITREP_FILE,
)
from shared.database import driver_free_url
from shared.reference import LsoaDeprivation, LsoaLink, load_lsoa_files
from shared.reference.datasets.digital import load_digital_exclusion
from shared.reference.datasets.housing import load_housing
from shared.reference.synthetic import (
    DEFAULT_SEED,
    ensure_files,
    synthetic_seed,
    write_marker,
    write_synthetic_lsoa_files,
)
from shared.settings import SYNTHETIC_DIR

ONS_SOURCE = "ONS mid-2019 LSOA population estimates summed (LSOA11 → ICB July 2022)"


def load(database_url: str, data_dir: Path, *, synthetic_dir: Path = SYNTHETIC_DIR) -> str:
    """Load every reference table from `data_dir`; a one-line summary of what was loaded."""
    source = ensure_files(Path(data_dir), Path(synthetic_dir), (LSOA_ICB_FILE, IMD_FILE), _write)
    seed = synthetic_seed(source)
    links, deprivation = load_lsoa_files(source)
    geography = build_geography(links, deprivation)
    lsoa_rows = _lsoa_rows(links, deprivation)
    # The sitrep is NHS England's published history; a synthetic set has none.
    sitrep = load_sitrep(source) if (source / SITREP_FILE).is_file() else []
    inclusion = inclusion_rows(Path(data_dir))
    asyncio.run(_load(driver_free_url(database_url), geography, lsoa_rows, sitrep, inclusion))
    periods = sorted({r.period for r in sitrep})
    history = (
        f"sitrep {periods[0]}–{periods[-1]} ({len(sitrep)} rows)" if sitrep else "no sitrep history"
    )
    label = "" if seed is None else f"SYNTHETIC reference data (seed {seed}) from {source}: "
    return (
        f"{label}{len(geography.icbs)} ICBs, {len(geography.sub_icbs)} sub-ICBs, "
        f"{len(lsoa_rows)} LSOAs, {history}, {len(inclusion)} LSOA inclusion rows"
    )


def _write(directory: Path) -> None:
    """The synthetic LSOA files every service shares, marked SYNTHETIC."""
    write_synthetic_lsoa_files(directory, seed=DEFAULT_SEED)
    write_marker(directory, DEFAULT_SEED)


def inclusion_rows(data_dir: Path) -> list[tuple[str, float, int, float]]:
    """(lsoa, DERI score, DERI quintile, poor-housing proportion), when both files are present.

    Parsed by equity_audit's validated readers (one parser per file). DERI quintile 1 holds
    the fifth of England's LSOAs with the highest scores (most at risk), ties by LSOA code.
    """
    paths = (data_dir / DIGITAL_EXCLUSION_FILE, data_dir / HOUSING_FILE)
    if not all(p.is_file() for p in paths):
        return []
    digital = load_digital_exclusion(paths[0]).rows
    housing = load_housing(paths[1]).rows
    ranked = sorted(digital.values(), key=lambda r: (-r.deri_score, r.lsoa11cd))
    return [
        (
            r.lsoa11cd,
            r.deri_score,
            deri_quintile(rank, len(ranked)),
            housing[r.lsoa11cd].poor_condition_prop,
        )
        for rank, r in enumerate(ranked, start=1)
        if r.lsoa11cd in housing
    ]


def _lsoa_rows(
    links: Sequence[LsoaLink], deprivation: Iterable[LsoaDeprivation]
) -> list[tuple[str, str, str, int, int]]:
    """(lsoa, sub-ICB, ICB, IMD decile, population) joined from the two validated LSOA files."""
    imd = {d.lsoa11cd: (d.imd_decile, d.population) for d in deprivation}
    return [(link.lsoa11cd, link.sicbl_code, link.icb_code, *imd[link.lsoa11cd]) for link in links]


async def _copy_upsert(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    records: Iterable[tuple[Any, ...]],
    conflict: str,
) -> None:
    temp = f"tmp_{table}"
    await conn.execute(
        f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM ward.{table} WITH NO DATA"
    )
    await conn.copy_records_to_table(temp, records=list(records), columns=list(columns))
    cols = ", ".join(columns)
    await conn.execute(
        f"INSERT INTO ward.{table} ({cols}) SELECT {cols} FROM {temp} {conflict}"  # noqa: S608
    )


async def _load(
    dsn: str,
    geography: Geography,
    lsoa_rows: list[tuple[str, str, str, int, int]],
    sitrep: Sequence[SitrepRow],
    inclusion: Sequence[tuple[str, float, int, float]] = (),
) -> None:
    regions = {r.icb_code: (r.region, r.region_code) for r in sitrep if not r.is_england}
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await _copy_upsert(
                conn,
                "icb",
                ("code", "ods_code", "name", "region", "region_code"),
                (
                    (i.code, i.ods_code, i.name, *regions.get(i.code, (None, None)))
                    for i in geography.icbs.values()
                ),
                "ON CONFLICT (code) DO UPDATE SET ods_code = EXCLUDED.ods_code, "
                "name = EXCLUDED.name, region = EXCLUDED.region, "
                "region_code = EXCLUDED.region_code",
            )
            await _copy_upsert(
                conn,
                "sub_icb",
                ("code", "ods_code", "icb_code"),
                ((s.code, s.ods_code, s.icb_code) for s in geography.sub_icbs.values()),
                "ON CONFLICT (code) DO NOTHING",
            )
            await _copy_upsert(
                conn,
                "lsoa",
                ("lsoa11cd", "sicbl_code", "icb_code", "imd_decile", "population"),
                lsoa_rows,
                "ON CONFLICT (lsoa11cd) DO NOTHING",
            )
            await _copy_upsert(
                conn,
                "population_denominator",
                ("area_code", "area_kind", "basis", "effective", "population", "source"),
                _denominators(geography, sitrep),
                "ON CONFLICT (area_code, basis, effective) DO NOTHING",
            )
            await _copy_upsert(
                conn, "sitrep_month", SITREP_COLUMNS, sitrep_records(sitrep), SITREP_UPSERT
            )
            await _copy_upsert(
                conn,
                "lsoa_inclusion",
                ("lsoa11cd", "deri_score", "deri_quintile", "housing_poor_prop"),
                inclusion,
                "ON CONFLICT (lsoa11cd) DO UPDATE SET deri_score = EXCLUDED.deri_score, "
                "deri_quintile = EXCLUDED.deri_quintile, "
                "housing_poor_prop = EXCLUDED.housing_poor_prop",
            )
    finally:
        await conn.close()


def _denominators(
    geography: Geography, sitrep: Sequence[SitrepRow]
) -> list[tuple[str, str, str, Any, int, str]]:
    ons = str(PopulationBasis.ONS_MID_YEAR)
    rows: dict[tuple[str, str, Any], tuple[str, str, str, Any, int, str]] = {}
    for icb in geography.icbs.values():
        rows[(icb.code, ons, ONS_MID_2019)] = (
            icb.code, "icb", ons, ONS_MID_2019, icb.population, ONS_SOURCE
        )  # fmt: skip
    for sub in geography.sub_icbs.values():
        rows[(sub.code, ons, ONS_MID_2019)] = (
            sub.code, "sub_icb", ons, ONS_MID_2019, sub.population, ONS_SOURCE
        )  # fmt: skip
    rows[(ENGLAND_CODE, ons, ONS_MID_2019)] = (
        ENGLAND_CODE, "england", ons, ONS_MID_2019, geography.population, ONS_SOURCE
    )  # fmt: skip
    for r in sitrep:
        d = r.denominator
        kind = "england" if r.is_england else "icb"
        rows.setdefault(
            (r.icb_code, str(d.basis), d.effective),
            (r.icb_code, kind, str(d.basis), d.effective, d.population, d.source[:200]),
        )
    return list(rows.values())


SITREP_COLUMNS = (
    "period",
    "area_code",
    "ods_code",
    "name",
    "region",
    "capacity",
    "capacity_per_100k",
    "population",
    "basis",
    "basis_effective",
    "basis_label",
    "patients",
    "occupancy_pct",
    "occupancy_note",
    "published",
)


def sitrep_records(rows: Iterable[SitrepRow]) -> list[tuple[Any, ...]]:
    """Sitrep rows as tuples in SITREP_COLUMNS order (the published values, unchanged)."""
    return [
        (
            r.period,
            r.icb_code,
            r.icb_ods_code,
            r.icb_name,
            r.region,
            r.capacity,
            r.capacity_per_100k,
            r.population,
            str(r.denominator.basis),
            r.denominator.effective,
            r.population_basis_label,
            r.patients,
            r.occupancy_pct,
            None if r.occupancy_note is None else str(r.occupancy_note),
            r.published,
        )
        for r in rows
    ]


SITREP_UPSERT = "ON CONFLICT (period, area_code) DO UPDATE SET " + ", ".join(
    f"{c} = EXCLUDED.{c}" for c in SITREP_COLUMNS if c not in ("period", "area_code")
)
