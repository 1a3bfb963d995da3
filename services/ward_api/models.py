"""Every ORM model of ward_api, imported so Alembic and tests see the whole schema."""

from services.ward_api.db import Base

__all__ = ["Base"]
