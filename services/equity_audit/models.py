"""Every ORM model of equity_audit, imported so Alembic and tests see the whole schema."""

from services.equity_audit.db import Base

__all__ = ["Base"]
