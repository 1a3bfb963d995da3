"""Unit conversion, time checks and plausibility limits shared by every adapter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.monitoring_ingest.domain.canonical import (
    ACVPU_ORDINAL,
    CATEGORICAL_UNIT,
    MEASURE_BY_CODE,
    Acvpu,
    CanonicalReading,
    Code,
    Measure,
    Provenance,
)
from services.monitoring_ingest.domain.outcomes import ItemOutcome, Refusal, RefusalReason
from shared.text import unstorable

__all__ = [
    "CANONICAL_UNIT",
    "PLAUSIBLE_RANGE",
    "IngestPolicy",
    "Normaliser",
    "parse_timestamp",
    "refuse_inverted_blood_pressure",
]

_MMHG_PER_KPA = 1000 / 133.322387415  # UCUM defines mm[Hg] as 133.322387415 Pa
_KG_PER_LB = 0.45359237  # international avoirdupois pound

CANONICAL_UNIT: dict[Measure, str] = {
    Measure.HEART_RATE: "/min",
    Measure.RESPIRATORY_RATE: "/min",
    Measure.SPO2: "%",
    Measure.BODY_TEMPERATURE: "Cel",
    Measure.SYSTOLIC_BP: "mm[Hg]",
    Measure.DIASTOLIC_BP: "mm[Hg]",
    Measure.BODY_WEIGHT: "kg",
    Measure.INHALED_O2_FLOW: "L/min",
    Measure.INHALED_O2_CONCENTRATION: "%",
    Measure.CONSCIOUSNESS: CATEGORICAL_UNIT,
    Measure.SUPPLEMENTAL_OXYGEN: CATEGORICAL_UNIT,
}

_PER_MINUTE = {"/min": (1.0, 0.0), "1/min": (1.0, 0.0)}
_PRESSURE = {"mm[Hg]": (1.0, 0.0), "kPa": (_MMHG_PER_KPA, 0.0)}

# UCUM unit -> (factor, offset) so that canonical = value * factor + offset.
_CONVERSIONS: dict[Measure, dict[str, tuple[float, float]]] = {
    Measure.HEART_RATE: {**_PER_MINUTE, "{beats}/min": (1.0, 0.0), "{beat}/min": (1.0, 0.0)},
    Measure.RESPIRATORY_RATE: {
        **_PER_MINUTE,
        "{breaths}/min": (1.0, 0.0),
        "{breath}/min": (1.0, 0.0),
    },
    Measure.SPO2: {"%": (1.0, 0.0)},
    Measure.BODY_TEMPERATURE: {
        "Cel": (1.0, 0.0),
        "[degF]": (5 / 9, -32 * 5 / 9),
        "K": (1.0, -273.15),
    },
    Measure.SYSTOLIC_BP: _PRESSURE,
    Measure.DIASTOLIC_BP: _PRESSURE,
    Measure.BODY_WEIGHT: {
        "kg": (1.0, 0.0),
        "g": (0.001, 0.0),
        "[lb_av]": (_KG_PER_LB, 0.0),
        "[stone_av]": (14 * _KG_PER_LB, 0.0),
    },
    Measure.INHALED_O2_FLOW: {"L/min": (1.0, 0.0), "l/min": (1.0, 0.0), "mL/min": (0.001, 0.0)},
    Measure.INHALED_O2_CONCENTRATION: {"%": (1.0, 0.0)},
}

# Inclusive limits, in canonical units, outside which a value is a device or transcription
# error rather than physiology. They are deliberately wide: clinical alerting is the job of
# NEWS2 and per-patient thresholds, not of ingest.
PLAUSIBLE_RANGE: dict[Measure, tuple[float, float]] = {
    Measure.HEART_RATE: (20.0, 300.0),  # pulse oximeters and cuffs report ~25-250 /min
    Measure.RESPIRATORY_RATE: (2.0, 80.0),  # 0 is apnoea or a lost signal, not a reading
    Measure.SPO2: (50.0, 100.0),  # >100 % is impossible; oximetry is unvalidated below ~70 %
    Measure.BODY_TEMPERATURE: (25.0, 45.0),  # severe hypothermia to beyond fatal hyperthermia
    Measure.SYSTOLIC_BP: (40.0, 300.0),  # home cuffs measure roughly 40-280 mmHg
    Measure.DIASTOLIC_BP: (20.0, 200.0),
    Measure.BODY_WEIGHT: (1.0, 400.0),
    Measure.INHALED_O2_FLOW: (0.0, 60.0),  # 0 is room air; 60 L/min is high-flow nasal maximum
    Measure.INHALED_O2_CONCENTRATION: (21.0, 100.0),  # room air is 21 %
}

_ACVPU_WORDS: dict[str, Acvpu] = {
    "A": Acvpu.ALERT,
    "ALERT": Acvpu.ALERT,
    "C": Acvpu.NEW_CONFUSION,
    "CONFUSION": Acvpu.NEW_CONFUSION,
    "NEW_CONFUSION": Acvpu.NEW_CONFUSION,
    "V": Acvpu.VOICE,
    "VOICE": Acvpu.VOICE,
    "P": Acvpu.PAIN,
    "PAIN": Acvpu.PAIN,
    "U": Acvpu.UNRESPONSIVE,
    "UNRESPONSIVE": Acvpu.UNRESPONSIVE,
}
_TRUE_WORDS = frozenset({"true", "yes", "1", "oxygen", "on"})
_FALSE_WORDS = frozenset({"false", "no", "0", "air", "off"})


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    """How far from now a reading's time may be and still be accepted."""

    max_future_skew: timedelta = timedelta(minutes=5)
    max_age: timedelta = timedelta(days=30)


def parse_timestamp(text: object) -> datetime | tuple[RefusalReason, str]:
    """Parse an ISO 8601 timestamp that must carry a UTC offset."""
    if not isinstance(text, str):
        return RefusalReason.INVALID_TIMESTAMP, f"timestamp must be a string, got {text!r}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return RefusalReason.INVALID_TIMESTAMP, f"not an ISO 8601 timestamp: {text!r}"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return RefusalReason.NAIVE_TIMESTAMP, f"timestamp has no UTC offset: {text!r}"
    return parsed


class Normaliser:
    """Turns fields extracted by an adapter into canonical readings or refusals."""

    __slots__ = ("earliest", "latest")

    def __init__(self, policy: IngestPolicy | None = None, now: datetime | None = None) -> None:
        policy = policy or IngestPolicy()
        now = now or datetime.now(UTC)
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.earliest = now - policy.max_age
        self.latest = now + policy.max_future_skew

    def quantity(
        self,
        item: int,
        pointer: str,
        *,
        device_id: str,
        code: str,
        value: object,
        unit: object,
        observed_at: datetime,
        provenance: Provenance,
        vendor_reading_id: str | None = None,
    ) -> ItemOutcome:
        """Validate and convert a numeric reading to its canonical unit."""
        refusal = _check_text(item, pointer, device_id, vendor_reading_id)
        if refusal is not None:
            return refusal
        measure = MEASURE_BY_CODE.get(code)
        conversions = _CONVERSIONS.get(measure) if measure is not None else None
        if measure is None or conversions is None:
            return Refusal(item, pointer, RefusalReason.UNKNOWN_CODE, f"not a quantity: {code}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Refusal(item, pointer, RefusalReason.INVALID_VALUE, f"not a number: {value!r}")
        if not math.isfinite(value):
            return Refusal(item, pointer, RefusalReason.INVALID_VALUE, f"not a number: {value!r}")
        if not isinstance(unit, str) or not unit:
            return Refusal(item, pointer, RefusalReason.MISSING_FIELD, "unit is required")
        conversion = conversions.get(unit)
        if conversion is None:
            return Refusal(
                item, pointer, RefusalReason.UNKNOWN_UNIT, f"unit {unit!r} is not known for {code}"
            )
        canonical = value * conversion[0] + conversion[1]
        unit = CANONICAL_UNIT[measure]
        low, high = PLAUSIBLE_RANGE[measure]
        if not low <= canonical <= high:
            detail = f"{measure} {canonical:g} {unit} is outside {low:g}-{high:g}"
            return Refusal(item, pointer, RefusalReason.IMPLAUSIBLE_VALUE, detail)
        refusal = self.check_time(item, pointer, observed_at)
        if refusal is not None:
            return refusal
        return CanonicalReading(
            device_id, code, canonical, unit, observed_at, provenance, vendor_reading_id, None
        )

    def categorical(
        self,
        item: int,
        pointer: str,
        *,
        device_id: str,
        code: str,
        value: object,
        observed_at: datetime,
        provenance: Provenance,
        vendor_reading_id: str | None = None,
    ) -> ItemOutcome:
        """Validate an ACVPU level or an on-oxygen flag."""
        refusal = _check_text(item, pointer, device_id, vendor_reading_id)
        if refusal is not None:
            return refusal
        if code == Code.CONSCIOUSNESS:
            level = _ACVPU_WORDS.get(value.strip().upper()) if isinstance(value, str) else None
            if level is None:
                return Refusal(
                    item, pointer, RefusalReason.INVALID_VALUE, f"not an ACVPU level: {value!r}"
                )
            ordinal, code_value = ACVPU_ORDINAL[level], level.value
        elif code == Code.SUPPLEMENTAL_OXYGEN:
            flag = _as_flag(value)
            if flag is None:
                return Refusal(
                    item, pointer, RefusalReason.INVALID_VALUE, f"not an air/oxygen flag: {value!r}"
                )
            ordinal, code_value = (1.0, "true") if flag else (0.0, "false")
        else:
            return Refusal(item, pointer, RefusalReason.UNKNOWN_CODE, f"not categorical: {code}")
        refusal = self.check_time(item, pointer, observed_at)
        if refusal is not None:
            return refusal
        return CanonicalReading(
            device_id,
            code,
            ordinal,
            CATEGORICAL_UNIT,
            observed_at,
            provenance,
            vendor_reading_id,
            code_value,
        )

    def check_time(self, item: int, pointer: str, observed_at: datetime) -> Refusal | None:
        """Refuse a time without an offset, too far ahead, or older than the policy allows."""
        if observed_at.tzinfo is None or observed_at.utcoffset() is None:
            return Refusal(item, pointer, RefusalReason.NAIVE_TIMESTAMP, "no UTC offset")
        if observed_at > self.latest:
            return Refusal(
                item,
                pointer,
                RefusalReason.FUTURE_TIMESTAMP,
                f"{observed_at.isoformat()} is after {self.latest.isoformat()}",
            )
        if observed_at < self.earliest:
            return Refusal(
                item,
                pointer,
                RefusalReason.STALE_TIMESTAMP,
                f"{observed_at.isoformat()} is before {self.earliest.isoformat()}",
            )
        return None


def _check_text(
    item: int, pointer: str, device_id: str, vendor_reading_id: str | None
) -> Refusal | None:
    """The ids are stored as text: one PostgreSQL cannot hold refuses this item, not the batch."""
    for name, text in (("device id", device_id), ("reading id", vendor_reading_id)):
        why = unstorable(text) if isinstance(text, str) else None
        if why is not None:
            return Refusal(item, pointer, RefusalReason.INVALID_VALUE, f"{name} {why}")
    return None


def _as_flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


def refuse_inverted_blood_pressure(
    systolic: ItemOutcome, diastolic: ItemOutcome, item: int, pointer: str
) -> tuple[ItemOutcome, ItemOutcome]:
    """Refuse both halves of a measurement whose diastolic is not below its systolic."""
    if (
        isinstance(systolic, CanonicalReading)
        and isinstance(diastolic, CanonicalReading)
        and diastolic.value >= systolic.value
    ):
        detail = f"diastolic {diastolic.value:g} is not below systolic {systolic.value:g}"
        refusal = Refusal(item, pointer, RefusalReason.IMPLAUSIBLE_VALUE, detail)
        return refusal, refusal
    return systolic, diastolic
