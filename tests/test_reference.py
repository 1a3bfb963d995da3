"""Without the real data directory every service loads the same labelled synthetic areas."""

from __future__ import annotations

import asyncio

import asyncpg

from shared.migrate import upgrade
from tests.conftest import _drop_database, fresh_database
from vward.reference import load_all


def test_synthetic_fallback_feeds_every_service(database_server_url: str, tmp_path) -> None:
    url = fresh_database(database_server_url, prefix="vward_synthetic")
    try:
        upgrade(url)
        summaries = load_all(url, tmp_path / "no-such-data")
        assert len(summaries) == 2
        assert all("SYNTHETIC" in line for line in summaries)

        async def counts() -> tuple[int, int, int]:
            conn = await asyncpg.connect(url)
            try:
                return (
                    await conn.fetchval("SELECT count(*) FROM ward.icb"),
                    await conn.fetchval("SELECT count(*) FROM ward.lsoa"),
                    await conn.fetchval("SELECT count(*) FROM equity.lsoas"),
                )
            finally:
                await conn.close()

        icbs, ward_lsoas, equity_lsoas = asyncio.run(counts())
        assert icbs == 4
        assert ward_lsoas == equity_lsoas == 200
        # Loading again changes nothing (vward up runs the loaders at every start).
        load_all(url, tmp_path / "no-such-data")
        assert asyncio.run(counts()) == (icbs, ward_lsoas, equity_lsoas)
    finally:
        from sqlalchemy.engine import make_url

        _drop_database(database_server_url, make_url(url).database or "")
