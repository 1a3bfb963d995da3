"""The declarative base for ward_api's tables, all in the `ward` schema."""

from services.ward_api.settings import SCHEMA
from shared.database import make_base

Base = make_base(SCHEMA)
