"""Which PostgreSQL a process uses: DATABASE_URL when given, else the embedded server."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from shared.settings import ServiceSettings

EMBEDDED_DATABASE = "vward"


def embedded_port() -> int:
    from shared.embedded_pg import DEFAULT_PORT

    return int(os.environ.get("VWARD_EMBEDDED_PG_PORT", DEFAULT_PORT))


def resolve_database_url(settings: ServiceSettings | None = None) -> str:
    """The configured URL, or the embedded server's (started on demand) `vward` database."""
    configured = settings.database_url if settings else os.environ.get("DATABASE_URL")
    if configured:
        return configured
    if settings is not None and settings.environment == "production":
        raise RuntimeError("DATABASE_URL is required in production; the embedded server is not")
    from shared.embedded_pg import EmbeddedPostgres

    server = EmbeddedPostgres(port=embedded_port())
    url = server.start()
    ensure_database(url, EMBEDDED_DATABASE)
    return make_url(url).set(database=EMBEDDED_DATABASE).render_as_string(hide_password=False)


def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server if it does not exist yet."""
    import asyncio

    import asyncpg

    async def _ensure() -> None:
        dsn = make_url(server_url).set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False), timeout=10)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_ensure())
        return
    # Called from inside an event loop (app lifespan): run in a worker thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _ensure()).result()
