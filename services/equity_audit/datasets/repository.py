"""SQL for the reference tables, on a raw asyncpg connection (bulk COPY needs one)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.equity_audit.settings import SCHEMA

# Table and column order each dataset kind is copied into.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "imd": (
        "lsoas",
        ("lsoa11cd", "imd_score", "imd_decile", "imd_quintile", "core20", "population"),
    ),
    "icb_lookup": (
        "lsoa_geography",
        (
            "lsoa11cd",
            "sicbl_code",
            "sicbl_ods_code",
            "icb_code",
            "icb_ods_code",
            "icb_name",
            "lad22cd",
        ),
    ),
    "housing": (
        "housing",
        (
            "lsoa11cd",
            "indoors_decile",
            "barriers_decile",
            "living_environment_decile",
            "housing_quintile",
            "overcrowding_prop",
            "no_central_heating_prop",
            "poor_condition_prop",
            "homelessness_per_1000_households",
            "affordability_indicator",
            "road_distance_gp_km",
        ),
    ),
    "digital_exclusion": (
        "digital_exclusion",
        (
            "lsoa11cd",
            "deri_score",
            "deri_broadband",
            "deri_demography",
            "deri_deprivation",
            "digital_exclusion_quintile",
            "iuc_group_code",
            "iuc_group_label",
        ),
    ),
}


async def active_checksums(conn: asyncpg.Connection) -> dict[str, str]:
    """Checksum of the active dataset of each kind."""
    rows = await conn.fetch(f"SELECT kind, checksum FROM {SCHEMA}.datasets WHERE active")  # noqa: S608
    return {r["kind"]: r["checksum"] for r in rows}


async def known_lsoas(conn: asyncpg.Connection) -> set[str]:
    """LSOAs of the active IMD dataset: the areas every other dataset is checked against."""
    rows = await conn.fetch(f"SELECT lsoa11cd FROM {SCHEMA}.lsoas")  # noqa: S608
    return {r["lsoa11cd"] for r in rows}


async def replace_dataset(
    conn: asyncpg.Connection,
    *,
    kind: str,
    register: dict[str, Any],
    records: Sequence[tuple[Any, ...]],
) -> int:
    """Retire the active dataset of `kind`, register the new one and COPY its rows in.

    Runs inside the caller's transaction; returns the new dataset id.
    """
    table, columns = TABLES[kind]
    await conn.execute(
        f"UPDATE {SCHEMA}.datasets SET active = false WHERE kind = $1 AND active",  # noqa: S608
        kind,
    )
    dataset_id: int = await conn.fetchval(
        f"""INSERT INTO {SCHEMA}.datasets
            (kind, name, vintage, geography, source, publisher, licence, attribution,
             synthetic, layout, file_name, checksum, row_count, report, active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, true)
            RETURNING id""",  # noqa: S608
        kind,
        register["name"],
        register["vintage"],
        register["geography"],
        register["source"],
        register["publisher"],
        register["licence"],
        register["attribution"],
        register["synthetic"],
        register["layout"],
        register["file_name"],
        register["checksum"],
        len(records),
        json.dumps(register["report"]),
    )
    await conn.execute(f"DELETE FROM {SCHEMA}.{table}")  # noqa: S608
    await conn.copy_records_to_table(
        table,
        schema_name=SCHEMA,
        columns=[*columns, "dataset_id"],
        records=[(*record, dataset_id) for record in records],
    )
    return dataset_id


async def list_datasets(conn: asyncpg.Connection, *, active_only: bool) -> list[dict[str, Any]]:
    """The dataset register, newest first."""
    where = "WHERE active" if active_only else ""
    rows = await conn.fetch(
        f"""SELECT id, kind, name, vintage, geography, source, publisher, licence, attribution,
                   synthetic, layout, file_name, checksum, row_count, active, loaded_at
            FROM {SCHEMA}.datasets {where} ORDER BY kind, loaded_at DESC, id DESC"""  # noqa: S608
    )
    return [dict(r) for r in rows]
