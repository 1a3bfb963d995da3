"""The declarative base for equity_audit's tables, all in the `equity` schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.equity_audit.settings import SCHEMA
from shared.database import make_base

Base = make_base(SCHEMA)


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction (for COPY and bulk reads)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
