"""The declarative base for equity_audit's tables, all in the `equity` schema."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from services.equity_audit.settings import SCHEMA
from shared.database import schema_metadata


class Base(DeclarativeBase):
    """Every equity_audit table: the `equity` schema with the shared naming convention."""

    metadata = schema_metadata(SCHEMA)
