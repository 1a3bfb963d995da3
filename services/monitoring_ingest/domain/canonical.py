"""The one canonical vital-sign reading every vendor format is turned into."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = [
    "ACVPU_ORDINAL",
    "CATEGORICAL_CODES",
    "CATEGORICAL_UNIT",
    "MEASURE_BY_CODE",
    "REVISION_BY_STATUS",
    "Acvpu",
    "CanonicalReading",
    "Code",
    "Measure",
    "Provenance",
    "Revision",
]


class Code:
    """Canonical observation codes: LOINC, except where noted."""

    HEART_RATE = "8867-4"
    RESPIRATORY_RATE = "9279-1"
    SPO2 = "2708-6"  # Oxygen saturation in arterial blood (FHIR core vital sign)
    SPO2_PULSE_OXIMETRY = "59408-5"  # ... by pulse oximetry (US Core adds it to 2708-6)
    BODY_TEMPERATURE = "8310-5"
    BLOOD_PRESSURE_PANEL = "85354-9"  # grouping only: never a reading of its own
    SYSTOLIC_BP = "8480-6"
    DIASTOLIC_BP = "8462-4"
    BODY_WEIGHT = "29463-7"
    # US Core pulse-oximetry components; Open mHealth says 0 L/min means room air.
    INHALED_O2_FLOW = "3151-8"
    INHALED_O2_CONCENTRATION = "3150-0"
    # "Level of responsiveness" (AVPU answer list); UK Core sends SNOMED 1104441000000107
    # (ACVPU scale score), which adapters map here.
    CONSCIOUSNESS = "67775-7"
    # SNOMED CT 371825009 |Patient on oxygen|: the code UK NEWS2 FHIR messages use for the
    # "air or oxygen?" flag. No LOINC yes/no concept for it could be verified, so this is
    # the one canonical code that is not LOINC.
    SUPPLEMENTAL_OXYGEN = "371825009"


class Measure(StrEnum):
    """What a reading measures, independent of which equivalent code carried it."""

    HEART_RATE = "heart_rate"
    RESPIRATORY_RATE = "respiratory_rate"
    SPO2 = "spo2"
    BODY_TEMPERATURE = "body_temperature"
    SYSTOLIC_BP = "systolic_bp"
    DIASTOLIC_BP = "diastolic_bp"
    BODY_WEIGHT = "body_weight"
    INHALED_O2_FLOW = "inhaled_o2_flow"
    INHALED_O2_CONCENTRATION = "inhaled_o2_concentration"
    CONSCIOUSNESS = "consciousness"
    SUPPLEMENTAL_OXYGEN = "supplemental_oxygen"


MEASURE_BY_CODE: dict[str, Measure] = {
    Code.HEART_RATE: Measure.HEART_RATE,
    Code.RESPIRATORY_RATE: Measure.RESPIRATORY_RATE,
    Code.SPO2: Measure.SPO2,
    Code.SPO2_PULSE_OXIMETRY: Measure.SPO2,
    Code.BODY_TEMPERATURE: Measure.BODY_TEMPERATURE,
    Code.SYSTOLIC_BP: Measure.SYSTOLIC_BP,
    Code.DIASTOLIC_BP: Measure.DIASTOLIC_BP,
    Code.BODY_WEIGHT: Measure.BODY_WEIGHT,
    Code.INHALED_O2_FLOW: Measure.INHALED_O2_FLOW,
    Code.INHALED_O2_CONCENTRATION: Measure.INHALED_O2_CONCENTRATION,
    Code.CONSCIOUSNESS: Measure.CONSCIOUSNESS,
    Code.SUPPLEMENTAL_OXYGEN: Measure.SUPPLEMENTAL_OXYGEN,
}


class Provenance(StrEnum):
    """Who produced the value: a device, the patient typing it, or a clinician."""

    DEVICE = "device"
    SELF_REPORTED = "self_reported"
    CLINICIAN_ENTERED = "clinician_entered"


class Revision(StrEnum):
    """What a reading does to the reading of the same identifier stored before it.

    FHIR's status lifecycle, also offered by the native and CSV formats: `final` is a first
    report; `amended`/`corrected` supersede the earlier reading (kept, linked, re-scored);
    `entered-in-error` withdraws it from scores and latest vitals (kept for audit).
    """

    ORIGINAL = "final"
    CORRECTION = "amended"
    WITHDRAWAL = "entered-in-error"


REVISION_BY_STATUS: dict[str, Revision] = {
    "final": Revision.ORIGINAL,
    "amended": Revision.CORRECTION,
    "corrected": Revision.CORRECTION,
    "entered-in-error": Revision.WITHDRAWAL,
}


class Acvpu(StrEnum):
    """ACVPU consciousness levels (RCP NEWS2 2017): C is *new* confusion."""

    ALERT = "A"
    NEW_CONFUSION = "C"
    VOICE = "V"
    PAIN = "P"
    UNRESPONSIVE = "U"


# Categorical readings carry the level in code_value and an ordinal in value.
ACVPU_ORDINAL: dict[Acvpu, float] = {level: float(i) for i, level in enumerate(Acvpu)}
CATEGORICAL_UNIT = "1"
CATEGORICAL_CODES = frozenset({Code.CONSCIOUSNESS, Code.SUPPLEMENTAL_OXYGEN})


@dataclass(frozen=True, slots=True)
class CanonicalReading:
    """One vital-sign reading in canonical LOINC code, UCUM unit and aware time."""

    device_id: str
    code: str
    value: float
    unit: str
    observed_at: datetime
    provenance: Provenance
    vendor_reading_id: str | None = None
    code_value: str | None = None
    # An identifier is (system, value): the same value under two systems is two readings.
    id_system: str | None = None
    revision: Revision = Revision.ORIGINAL

    @property
    def measure(self) -> Measure:
        """The measure this reading's code stands for."""
        return MEASURE_BY_CODE[self.code]

    def reading_key(self) -> str:
        """Deterministic identity for exactly-once storage under a unique constraint.

        A vendor id is only unique within its vendor and identifier system, so it is scoped
        by the device serial and the system. Without one, the key is derived from what was
        measured, when (UTC) and the value. A correction is a reading of its own, keyed by
        the identifier and its content; a withdrawal by the identifier alone.
        """
        if not self.vendor_reading_id:
            at = self.observed_at.astimezone(UTC).isoformat(timespec="microseconds")
            material = f"obs\x1f{self.device_id}\x1f{self.code}\x1f{at}\x1f{self.value:.6f}"
            return hashlib.sha256(material.encode()).hexdigest()
        material = self._id_material()
        if self.revision is Revision.CORRECTION:
            at = self.observed_at.astimezone(UTC).isoformat(timespec="microseconds")
            material += f"\x1frev\x1f{self.code}\x1f{at}\x1f{self.value:.6f}\x1f{self.code_value}"
        elif self.revision is Revision.WITHDRAWAL:
            material += "\x1fwithdrawn"
        return hashlib.sha256(material.encode()).hexdigest()

    def original_key(self) -> str | None:
        """The key the first (`final`) report of this reading's identifier was stored under."""
        if not self.vendor_reading_id:
            return None
        return hashlib.sha256(self._id_material().encode()).hexdigest()

    def _id_material(self) -> str:
        material = f"id\x1f{self.device_id}\x1f{self.vendor_reading_id}"
        if self.id_system:  # no system keeps the keys stored before systems counted
            material += f"\x1fsys\x1f{self.id_system}"
        return material
