"""The declarative base for monitoring_ingest's tables, all in the `monitoring` schema."""

from services.monitoring_ingest.settings import SCHEMA
from shared.database import make_base

Base = make_base(SCHEMA)
