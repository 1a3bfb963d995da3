"""The declarative base for monitoring_ingest's tables, all in the `monitoring` schema."""

from sqlalchemy.orm import DeclarativeBase

from services.monitoring_ingest.settings import SCHEMA
from shared.database import schema_metadata


class Base(DeclarativeBase):
    """Every monitoring_ingest table: the `monitoring` schema with the shared naming convention."""

    metadata = schema_metadata(SCHEMA)
