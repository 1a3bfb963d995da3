"""Throwaway databases for benchmarks and tests: a fresh, migrated database, then gone."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from shared.db_url import ensure_database


def create_database(server_url: str, prefix: str) -> str:
    """Create an empty, uniquely named database on the server and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    ensure_database(server_url, name)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop a database, disconnecting anyone still using it."""
    import asyncpg

    async def _drop() -> None:
        admin = make_url(server_url).set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(_drop())


@contextmanager
def scratch_database(prefix: str = "vward_scratch", *, migrate: bool = True) -> Iterator[str]:
    """A migrated database on DATABASE_URL's server, else on a throwaway embedded one."""
    server = os.environ.get("DATABASE_URL")
    embedded = root = None
    if not server:
        from shared.embedded_pg import EmbeddedPostgres, free_port

        root = Path(tempfile.mkdtemp(prefix="vward-pg-"))
        embedded = EmbeddedPostgres(root=root, port=free_port())
        server = embedded.start()
    url = create_database(server, prefix)
    try:
        if migrate:
            from shared.migrate import upgrade

            upgrade(url)
        yield url
    finally:
        if embedded is not None:
            embedded.stop(mode="immediate")
            shutil.rmtree(root or "", ignore_errors=True)
        else:
            drop_database(server, make_url(url).database or "")
