"""Every ORM model of ward_api, imported so Alembic and tests see the whole schema."""

from services.ward_api.admissions.models import Admission, Patient, WaitlistEntry
from services.ward_api.alerts.models import Alert
from services.ward_api.audit.models import AuditEvent
from services.ward_api.bindings.models import BindingCommand
from services.ward_api.capacity.models import CapacityPlan, SitrepImport, SitrepMonth
from services.ward_api.db import Base
from services.ward_api.events.models import WardEvent
from services.ward_api.geography.models import Icb, Lsoa, PopulationDenominator, SubIcb
from services.ward_api.idempotency.models import IdempotencyRecord
from services.ward_api.inclusion.models import InclusionUnitCost, LsoaInclusion, WardPartner
from services.ward_api.wards.models import Ward, WardCapacityChange, WardCatchmentArea

__all__ = [
    "Admission",
    "Alert",
    "AuditEvent",
    "Base",
    "BindingCommand",
    "CapacityPlan",
    "Icb",
    "IdempotencyRecord",
    "InclusionUnitCost",
    "Lsoa",
    "LsoaInclusion",
    "Patient",
    "PopulationDenominator",
    "SitrepImport",
    "SitrepMonth",
    "SubIcb",
    "WaitlistEntry",
    "Ward",
    "WardCapacityChange",
    "WardCatchmentArea",
    "WardEvent",
    "WardPartner",
]
