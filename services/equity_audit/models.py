"""Every ORM model of equity_audit, imported so Alembic and tests see the whole schema."""

from services.equity_audit.datasets.models import (
    Dataset,
    DigitalExclusion,
    Housing,
    Lsoa,
    LsoaGeography,
)
from services.equity_audit.db import Base
from services.equity_audit.snapshots.models import Snapshot, UptakeRow, UptakeTotal

__all__ = [
    "Base",
    "Dataset",
    "DigitalExclusion",
    "Housing",
    "Lsoa",
    "LsoaGeography",
    "Snapshot",
    "UptakeRow",
    "UptakeTotal",
]
