"""Without the real data ward_api loads the same labelled synthetic areas as equity_audit.

The generator used to live in equity_audit, so only `vward up` (which imports both services)
could give ward_api a synthetic England; ward_api's own loader loaded nothing. It now uses
the one generator in shared.reference and writes the same files equity_audit does.
"""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from services.equity_audit.domain.synthetic import write_synthetic_reference
from services.ward_api import reference_data
from shared.migrate import upgrade
from shared.reference import IMD_FILE, LSOA_ICB_FILE
from tests.conftest import _drop_database, fresh_database

WARD_API = Path(__file__).resolve().parents[2] / "services" / "ward_api"


def test_ward_api_falls_back_to_the_shared_synthetic_areas(
    database_server_url: str, tmp_path: Path
) -> None:
    url = fresh_database(database_server_url, prefix="vward_ward_synthetic")
    try:
        upgrade(url)
        synthetic = tmp_path / "synthetic"
        summary = reference_data.load(url, tmp_path / "missing", synthetic_dir=synthetic)
        assert "SYNTHETIC" in summary and "4 ICBs" in summary and "200 LSOAs" in summary

        async def counts() -> tuple[int, int, int]:
            conn = await asyncpg.connect(url)
            try:
                return (
                    await conn.fetchval("SELECT count(*) FROM ward.icb"),
                    await conn.fetchval("SELECT count(*) FROM ward.lsoa"),
                    await conn.fetchval(
                        "SELECT count(*) FROM ward.icb WHERE name LIKE 'SYNTHETIC%'"
                    ),
                )
            finally:
                await conn.close()

        assert asyncio.run(counts()) == (4, 200, 4)
        # The very files equity_audit's generator writes: both services see one England.
        write_synthetic_reference(tmp_path / "equity")
        for name in (LSOA_ICB_FILE, IMD_FILE):
            assert (synthetic / name).read_bytes() == (tmp_path / "equity" / name).read_bytes()
    finally:
        _drop_database(database_server_url, make_url(url).database or "")


# Pure statistics and disclosure rules with no I/O, shared rather than written twice (the
# inclusion costs use Wilson limits and the audit's count protection).
PURE = ("services.equity_audit.methods.intervals", "services.equity_audit.domain.disclosure")


def test_ward_api_does_not_import_equity_audit() -> None:
    """ward_api reads no equity_audit code but its pure statistics (its own reference data)."""
    found = []
    for path in sorted(WARD_API.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [
                f"{path.name}: {n}"
                for n in names
                if n.startswith("services.equity_audit") and n not in PURE
            ]
    assert found == []
