"""The declarative base for ward_api's tables, all in the `ward` schema."""

from sqlalchemy.orm import DeclarativeBase

from services.ward_api.settings import SCHEMA
from shared.database import schema_metadata


class Base(DeclarativeBase):
    """Every ward_api table: the `ward` schema with the shared naming convention."""

    metadata = schema_metadata(SCHEMA)
