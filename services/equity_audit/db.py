"""The declarative base for equity_audit's tables, all in the `equity` schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from services.equity_audit.settings import SCHEMA
from shared.database import schema_metadata


class Base(DeclarativeBase):
    """Every equity_audit table: the `equity` schema with the shared naming convention."""

    metadata = schema_metadata(SCHEMA)


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (for COPY and bulk reads)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
