"""Migrations upgrade and downgrade cleanly on an empty database."""

from __future__ import annotations

import asyncio

import asyncpg

from shared.migrate import downgrade, upgrade
from tests.conftest import _drop_database, fresh_database


def _schemas(url: str) -> set[str]:
    async def _fetch() -> set[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT nspname FROM pg_namespace")
            return {r["nspname"] for r in rows}
        finally:
            await conn.close()

    return asyncio.run(_fetch())


def test_upgrade_downgrade_upgrade(database_server_url: str) -> None:
    url = fresh_database(database_server_url, prefix="vward_migrations")
    try:
        upgrade(url)
        assert {"ward", "monitoring", "equity"} <= _schemas(url)
        downgrade(url, "base")
        assert not {"ward", "monitoring", "equity"} & _schemas(url)
        upgrade(url)
        assert {"ward", "monitoring", "equity"} <= _schemas(url)
    finally:
        from sqlalchemy.engine import make_url

        _drop_database(database_server_url, make_url(url).database or "")
