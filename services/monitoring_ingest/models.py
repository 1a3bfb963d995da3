"""Every ORM model of monitoring_ingest, imported so Alembic and tests see the whole schema."""

from services.monitoring_ingest.alerts.models import Alert
from services.monitoring_ingest.db import Base
from services.monitoring_ingest.devices.models import Binding, Device
from services.monitoring_ingest.pacing.models import MonitoringPlan
from services.monitoring_ingest.readings.models import (
    QuarantinedReading,
    Reading,
    ReadingIdentity,
)
from services.monitoring_ingest.scoring.models import News2ResultRow, Spo2ScaleSetting, Threshold
from services.monitoring_ingest.vendors.models import SeenSignature, Vendor, VendorKey

__all__ = [
    "Alert",
    "Base",
    "Binding",
    "Device",
    "MonitoringPlan",
    "News2ResultRow",
    "QuarantinedReading",
    "Reading",
    "ReadingIdentity",
    "SeenSignature",
    "Spo2ScaleSetting",
    "Threshold",
    "Vendor",
    "VendorKey",
]
