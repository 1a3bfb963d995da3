"""`load(database_url, data_dir)`: put the reference data into the equity schema at start-up.

Idempotent and quick when nothing changed: files are checksummed first and nothing is parsed
when every active dataset already has the same checksum. When `data_dir` lacks the files, a
small SYNTHETIC dataset is generated under `.vward/` and loaded instead, and labelled so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from services.equity_audit.datasets import repository
from services.equity_audit.datasets.service import (
    DESCRIPTORS,
    KINDS,
    ImportOutcome,
    checksum_of,
    import_parsed,
    parse_file,
)
from services.equity_audit.domain.synthetic import ensure_reference_data
from services.equity_audit.settings import SYNTHETIC_DIR
from shared.database import driver_free_url
from shared.reference.synthetic import synthetic_seed


def load(database_url: str, data_dir: Path, *, synthetic_dir: Path = SYNTHETIC_DIR) -> str:
    """Load (or confirm) the four reference datasets; returns a one-line summary."""
    return asyncio.run(load_async(database_url, data_dir, synthetic_dir=synthetic_dir))


async def load_async(
    database_url: str, data_dir: Path, *, synthetic_dir: Path = SYNTHETIC_DIR
) -> str:
    source = ensure_reference_data(Path(data_dir), Path(synthetic_dir))
    seed = synthetic_seed(source)
    label = (
        f"SYNTHETIC reference data (seed {seed}) from {source}"
        if seed is not None
        else (f"reference data from {source}")
    )
    paths = {kind: source / (DESCRIPTORS[kind].file_name or "") for kind in KINDS}
    checksums = await asyncio.to_thread(lambda: {k: checksum_of(p) for k, p in paths.items()})
    conn = await asyncpg.connect(driver_free_url(database_url), timeout=10)
    try:
        active = await repository.active_checksums(conn)
        if all(active.get(kind) == checksums[kind] for kind in KINDS):
            return f"{label}: unchanged (4 datasets already loaded)"
        outcomes: list[ImportOutcome] = []
        async with conn.transaction():
            known: set[str] | None = None
            for kind in KINDS:
                if kind != "imd" and known is None:
                    known = await repository.known_lsoas(conn)
                parsed = await asyncio.to_thread(
                    parse_file,
                    kind,
                    paths[kind],
                    known_lsoas=None if kind == "imd" else known,
                    synthetic_seed=seed,
                    checksum=checksums[kind],
                )
                outcome = await import_parsed(conn, parsed)
                outcomes.append(outcome)
                if kind == "imd" and outcome.status == "loaded":
                    known = {record[0] for record in parsed.records}
    finally:
        await conn.close()
    parts = []
    for outcome in outcomes:
        text = f"{outcome.kind} {outcome.status} ({outcome.report.accepted} rows)"
        if outcome.problems:
            text += " – " + "; ".join(outcome.problems)
        parts.append(text)
    return f"{label}: " + ", ".join(parts)
