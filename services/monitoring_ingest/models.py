"""Every ORM model of monitoring_ingest, imported so Alembic and tests see the whole schema."""

from services.monitoring_ingest.db import Base

__all__ = ["Base"]
