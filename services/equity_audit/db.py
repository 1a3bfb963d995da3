"""The declarative base for equity_audit's tables, all in the `equity` schema."""

from __future__ import annotations

from services.equity_audit.settings import SCHEMA
from shared.database import make_base

Base = make_base(SCHEMA)
