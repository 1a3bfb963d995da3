"""Async Alembic environment for all three service schemas (one branch per service)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from services.equity_audit import models as equity_models
from services.monitoring_ingest import models as monitoring_models
from services.ward_api import models as ward_models
from shared.database import async_url
from shared.db_url import resolve_database_url

target_metadata = [
    ward_models.Base.metadata,
    monitoring_models.Base.metadata,
    equity_models.Base.metadata,
]
SCHEMAS = {"ward", "monitoring", "equity"}


def _url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or resolve_database_url()


def _include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return name in SCHEMAS if type_ == "schema" else True


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the monthly partitions of monitoring.readings (made by SQL) to their function."""
    return not (
        type_ == "table"
        and reflected
        and compare_to is None
        and getattr(obj, "schema", None) == "monitoring"
        and (name or "").startswith("readings_")
    )


def _configure(connection: Connection | None = None, **kwargs: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_schemas=True,
        include_name=_include_name,
        include_object=_include_object,
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=async_url(_url()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(async_url(_url()))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
