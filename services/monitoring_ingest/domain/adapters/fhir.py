"""FHIR R4 Observation, or a batch/transaction/collection Bundle of them.

Each Observation is validated on its own with fhir.resources (R4B models, wire-compatible
with R4 for Observation), so one bad entry never spoils a batch. Every Observation needs an
accepted status, a supported code (LOINC, or the SNOMED CT concepts UK Core and the NHS NEWS2
FHIR guidance use) and UCUM quantities whose value is a JSON number (not a string) with no
comparator (a censored `<85` is not 85). One that claims a vital-signs profile in
meta.profile (FHIR R4 `vitalsigns`, `heartrate`, ..., or UK Core
`UKCore-Observation-VitalSigns-*`) must also meet its rules: the vital-signs category, a
subject, and for FHIR's a LOINC code.

Status follows FHIR's lifecycle: `final` is a first report; `amended`/`corrected` supersede
the reading of the same identifier, `entered-in-error` withdraws it (canonical.Revision);
preliminary is refused because a later final version would be stored as a second reading.
An identifier is (system, value). The device comes from `Observation.device`: a reference
to a contained Device (its identifier or serial number) or to a registered Device
(`Device/<serial>`), or a logical identifier; never from display text.

A `transaction` Bundle is all-or-nothing and a `batch` Bundle is answered entry by entry;
`parse_bundle` says which, and which entry each outcome came from (readings.fhir_response).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.quantity import Quantity
from pydantic import ValidationError

from services.monitoring_ingest.domain.canonical import (
    CATEGORICAL_CODES,
    MEASURE_BY_CODE,
    REVISION_BY_STATUS,
    Acvpu,
    CanonicalReading,
    Code,
    Provenance,
    Revision,
)
from services.monitoring_ingest.domain.normalise import (
    Normaliser,
    parse_timestamp,
    refuse_inverted_blood_pressure,
)
from services.monitoring_ingest.domain.outcomes import (
    ItemOutcome,
    MalformedPayload,
    Refusal,
    RefusalReason,
    check_item_count,
)

from ._fhir_rules import (
    OBSERVATION_CATEGORY,
    claimed_profile,
    device_id,
    device_serial,
    profile_problem,
    raw_quantity_problem,
)
from ._payload import load_json

__all__ = [
    "ACCEPTED_STATUSES",
    "BUNDLE_TYPES",
    "OBSERVATION_CATEGORY",
    "ParsedFhir",
    "parse",
    "parse_bundle",
]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"

ACCEPTED_STATUSES = frozenset(REVISION_BY_STATUS)
BUNDLE_TYPES = frozenset({"batch", "transaction", "collection"})

_CANONICAL_BY_CODING: dict[tuple[str, str], str] = {
    **{(LOINC, code): code for code in (*MEASURE_BY_CODE, Code.BLOOD_PRESSURE_PANEL)},
    (SNOMED, "364075005"): Code.HEART_RATE,  # Heart rate
    (SNOMED, "78564009"): Code.HEART_RATE,  # Pulse rate
    (SNOMED, "86290005"): Code.RESPIRATORY_RATE,
    (SNOMED, "103228002"): Code.SPO2,  # Haemoglobin saturation with oxygen
    (SNOMED, "431314004"): Code.SPO2_PULSE_OXIMETRY,  # Peripheral oxygen saturation
    (SNOMED, "386725007"): Code.BODY_TEMPERATURE,
    (SNOMED, "276885007"): Code.BODY_TEMPERATURE,  # Core body temperature
    (SNOMED, "75367002"): Code.BLOOD_PRESSURE_PANEL,
    (SNOMED, "72313002"): Code.SYSTOLIC_BP,  # Systolic arterial pressure
    (SNOMED, "271649006"): Code.SYSTOLIC_BP,  # Systolic blood pressure
    (SNOMED, "271650006"): Code.DIASTOLIC_BP,
    (SNOMED, "1091811000000102"): Code.DIASTOLIC_BP,  # Diastolic arterial pressure (UK)
    (SNOMED, "27113001"): Code.BODY_WEIGHT,
    (SNOMED, "1104441000000107"): Code.CONSCIOUSNESS,  # ACVPU scale score (UK)
    (SNOMED, "722742002"): Code.SUPPLEMENTAL_OXYGEN,  # Breathing room air
    (SNOMED, "371825009"): Code.SUPPLEMENTAL_OXYGEN,  # Patient on oxygen
}
# NEWS2 inspired-oxygen observations are "code only": the code itself is the answer.
_VITAL_LOINC = frozenset(code for system, code in _CANONICAL_BY_CODING if system == LOINC)
_ON_OXYGEN_BY_FINDING = {"722742002": False, "371825009": True}
# UK Core CareConnect-ACVPU-1 value set.
_ACVPU_BY_SNOMED = {
    "248234008": Acvpu.ALERT,  # Mentally alert
    "130987000": Acvpu.NEW_CONFUSION,  # Acute confusion
    "300202002": Acvpu.VOICE,  # Responds to voice
    "450847001": Acvpu.PAIN,  # Responds to pain
    "422768004": Acvpu.UNRESPONSIVE,  # Unresponsive
}
_CLINICIAN_REFERENCES = ("Practitioner/", "PractitionerRole/")


@dataclass(frozen=True, slots=True)
class ParsedFhir:
    """Outcomes of an Observation or Bundle; the Bundle type and each outcome's entry."""

    outcomes: list[ItemOutcome]
    bundle_type: str | None  # None for a bare Observation
    entries: list[int]  # entry index of each outcome, parallel to outcomes
    entry_count: int
    device_entries: frozenset[int] = frozenset()  # Device entries the references resolve to


def parse(
    payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
) -> list[ItemOutcome]:
    """Parse an Observation or Bundle into outcomes, entry by entry."""
    return parse_bundle(payload, normaliser=normaliser, max_items=max_items).outcomes


def parse_bundle(
    payload: object, *, normaliser: Normaliser | None = None, max_items: int | None = None
) -> ParsedFhir:
    """Parse an Observation or Bundle, keeping the Bundle type and entry of each outcome."""
    resource = load_json(payload)
    if not isinstance(resource, dict):
        raise MalformedPayload("FHIR payload must be a JSON object")
    n = normaliser or Normaliser()
    kind = resource.get("resourceType")
    if kind == "Observation":
        single = _observation(resource, 0, "", n)
        return ParsedFhir(single, None, [0] * len(single), 1)
    if kind != "Bundle":
        raise MalformedPayload(f"expected Observation or Bundle, got {kind!r}")
    bundle_type = resource.get("type")
    if bundle_type not in BUNDLE_TYPES:
        raise MalformedPayload(f"Bundle type {bundle_type!r} is not batch/transaction/collection")
    entries = resource.get("entry", [])
    if not isinstance(entries, list):
        raise MalformedPayload("Bundle.entry must be an array")
    check_item_count(len(entries), max_items)
    devices, device_entries = _bundle_devices(entries)
    outcomes: list[ItemOutcome] = []
    entry_of: list[int] = []
    for index, entry in enumerate(entries):
        if index in device_entries:
            continue
        found = _entry(entry, index, n, devices)
        outcomes.extend(found)
        entry_of.extend([index] * len(found))
    return ParsedFhir(outcomes, bundle_type, entry_of, len(entries), frozenset(device_entries))


def _bundle_devices(entries: list[Any]) -> tuple[dict[str, str | None], set[int]]:
    """The serial of each Device entry by fullUrl, and which entries are Devices."""
    # Device entries are what the Observations' references (fullUrl) resolve to.
    devices: dict[str, str | None] = {}
    device_entries: set[int] = set()
    for index, entry in enumerate(entries):
        inner = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(inner, dict) and inner.get("resourceType") == "Device":
            device_entries.add(index)
            if isinstance(entry.get("fullUrl"), str):
                devices[entry["fullUrl"]] = device_serial(inner)
    return devices, device_entries


def _entry(
    entry: object, index: int, n: Normaliser, devices: dict[str, str | None]
) -> list[ItemOutcome]:
    """The outcomes of one non-Device Bundle entry."""
    pointer = f"/entry/{index}/resource"
    inner = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(inner, dict):
        return [
            Refusal(index, f"/entry/{index}", RefusalReason.MISSING_FIELD, "entry has no resource")
        ]
    if inner.get("resourceType") != "Observation":
        detail = f"only Observation is ingested, not {inner.get('resourceType')!r}"
        return [Refusal(index, pointer, RefusalReason.UNSUPPORTED_RESOURCE, detail)]
    return _observation(inner, index, pointer, n, devices)


def _observation(
    raw: dict[str, Any],
    item: int,
    pointer: str,
    n: Normaliser,
    bundle_devices: dict[str, str | None] | None = None,
) -> list[ItemOutcome]:
    """The readings of one Observation, or the one refusal of it."""
    checked = _checked_observation(raw, item, pointer, n)
    if isinstance(checked, Refusal):
        return [checked]
    observation, observed_at, revision = checked
    shared = _observation_context(
        raw, item, pointer, n, bundle_devices, observation, observed_at, revision
    )
    if isinstance(shared, Refusal):
        return [shared]
    context, code, coding = shared
    return _readings(context, code, coding, observation)


def _checked_observation(
    raw: dict[str, Any], item: int, pointer: str, n: Normaliser
) -> tuple[Observation, datetime, Revision] | Refusal:
    """The validated Observation, its time and revision, or the first rule it breaks."""
    # Times and decimals are read from the raw JSON first: the model rejects a naive time
    # as a regex failure, and coerces a string "72" to a decimal.
    when = _effective_time(raw)
    if isinstance(when[0], RefusalReason):
        return Refusal(item, pointer + when[2], when[0], when[1])
    observed_at, time_pointer = when[0], when[2]
    refusal = n.check_time(item, pointer + time_pointer, observed_at)
    if refusal is not None:
        return refusal
    problem = raw_quantity_problem(raw)
    if problem is not None:
        return _refusal(item, pointer, *problem)
    try:
        observation = Observation.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = "/" + "/".join(str(part) for part in first["loc"])
        return _refusal(item, pointer, RefusalReason.MALFORMED, first["msg"], where)
    if observation.status not in ACCEPTED_STATUSES:
        detail = f"status {observation.status!r} is not one of {sorted(ACCEPTED_STATUSES)}"
        return _refusal(item, pointer, RefusalReason.BAD_STATUS, detail, "/status")
    revision = REVISION_BY_STATUS[observation.status]
    claimed = claimed_profile(observation)
    if claimed is not None:
        problem = profile_problem(observation, claimed, _VITAL_LOINC)
        if problem is not None:
            return _refusal(item, pointer, *problem)
    return observation, observed_at, revision


def _observation_context(
    raw: dict[str, Any],
    item: int,
    pointer: str,
    n: Normaliser,
    bundle_devices: dict[str, str | None] | None,
    observation: Observation,
    observed_at: datetime,
    revision: Revision,
) -> tuple[_Context, str, list[tuple[str, str]]] | Refusal:
    """What the Observation's readings share (device, identifier, revision) and its code."""
    device = device_id(raw, bundle_devices)
    if isinstance(device, tuple):
        return _refusal(item, pointer, *device, where="/device")
    code, coding = _canonical_code(observation.code.coding or [])
    if code is None:
        detail = f"no supported code in {coding}"
        return _refusal(item, pointer, RefusalReason.UNKNOWN_CODE, detail, "/code")
    identifier = next((i for i in observation.identifier or [] if i.value), None)
    if revision is not Revision.ORIGINAL and identifier is None:
        detail = f"status {observation.status!r} needs the identifier of the reading it revises"
        return _refusal(item, pointer, RefusalReason.MISSING_FIELD, detail, "/identifier")
    context = _Context(
        item=item,
        pointer=pointer,
        device_id=device,
        observed_at=observed_at,
        provenance=_provenance(observation),
        vendor_id=identifier.value if identifier else None,
        id_system=identifier.system if identifier else None,
        revision=revision,
        normaliser=n,
    )
    return context, code, coding


def _readings(
    context: _Context, code: str, coding: list[tuple[str, str]], observation: Observation
) -> list[ItemOutcome]:
    """The readings of a checked Observation, by the shape of its value."""
    if code == Code.BLOOD_PRESSURE_PANEL:
        return context.blood_pressure(observation.component or [])
    if code in CATEGORICAL_CODES:
        return [context.categorical(code, coding, observation)]
    if observation.valueQuantity is None:
        return [_absent_quantity(context.item, context.pointer, observation)]
    outcomes = [context.quantity(code, observation.valueQuantity, "/valueQuantity", None)]
    # Pulse-oximetry profiles carry the inhaled oxygen flow/concentration as components.
    for index, component in enumerate(observation.component or []):
        component_code, _ = _canonical_code(component.code.coding or [])
        if component_code in (Code.INHALED_O2_FLOW, Code.INHALED_O2_CONCENTRATION):
            outcomes.append(context.component(component_code, component, index))
    return outcomes


def _absent_quantity(item: int, pointer: str, observation: Observation) -> Refusal:
    """The refusal of a quantity Observation with no valueQuantity."""
    if observation.dataAbsentReason is not None:
        absent = observation.dataAbsentReason.text or _first_code(observation.dataAbsentReason)
        detail = f"value absent: {absent}"
        return _refusal(item, pointer, RefusalReason.MISSING_FIELD, detail, "/valueQuantity")
    detail = "valueQuantity is required"
    return _refusal(item, pointer, RefusalReason.MISSING_FIELD, detail, "/valueQuantity")


def _refusal(
    item: int, pointer: str, reason: RefusalReason, detail: str, where: str = ""
) -> Refusal:
    """A refusal of the Observation at pointer, at where inside it."""
    return Refusal(item, pointer + where, reason, detail)


class _Context:
    """What every reading from one Observation shares."""

    __slots__ = (
        "device_id",
        "id_system",
        "item",
        "normaliser",
        "observed_at",
        "pointer",
        "provenance",
        "revision",
        "vendor_id",
    )

    def __init__(
        self,
        *,
        item: int,
        pointer: str,
        device_id: str,
        observed_at: datetime,
        provenance: Provenance,
        vendor_id: str | None,
        id_system: str | None,
        revision: Revision,
        normaliser: Normaliser,
    ) -> None:
        self.item = item
        self.pointer = pointer
        self.device_id = device_id
        self.observed_at = observed_at
        self.provenance = provenance
        self.vendor_id = vendor_id
        self.id_system = id_system
        self.revision = revision
        self.normaliser = normaliser

    def _identified(self, outcome: ItemOutcome) -> ItemOutcome:
        """The reading with its identifier system and revision (left off by the normaliser)."""
        if isinstance(outcome, CanonicalReading) and (
            self.id_system or self.revision is not Revision.ORIGINAL
        ):
            return replace(outcome, id_system=self.id_system, revision=self.revision)
        return outcome

    def quantity(
        self, code: str, quantity: Quantity | None, where: str, suffix: str | None
    ) -> ItemOutcome:
        pointer = self.pointer + where
        if quantity is None:
            return Refusal(
                self.item, pointer, RefusalReason.MISSING_FIELD, "valueQuantity is required"
            )
        if quantity.system != UCUM or not quantity.code:
            got = f"{quantity.system!r} {quantity.code!r}"
            detail = f"unit must be a UCUM code (system {UCUM}), got {got}"
            return Refusal(self.item, pointer, RefusalReason.UNKNOWN_UNIT, detail)
        if quantity.value is None:
            return Refusal(self.item, pointer, RefusalReason.MISSING_FIELD, "quantity has no value")
        return self._identified(
            self.normaliser.quantity(
                self.item,
                pointer,
                device_id=self.device_id,
                code=code,
                value=float(quantity.value),
                unit=quantity.code,
                observed_at=self.observed_at,
                provenance=self.provenance,
                vendor_reading_id=self._vendor_id(suffix),
            )
        )

    def component(self, code: str, component: ObservationComponent, index: int) -> ItemOutcome:
        return self.quantity(
            code, component.valueQuantity, f"/component/{index}/valueQuantity", code
        )

    def blood_pressure(self, components: list[ObservationComponent]) -> list[ItemOutcome]:
        found: dict[str, tuple[int, ObservationComponent]] = {}
        for index, component in enumerate(components):
            code, _ = _canonical_code(component.code.coding or [])
            if code in (Code.SYSTOLIC_BP, Code.DIASTOLIC_BP):
                found.setdefault(code, (index, component))
        halves: list[ItemOutcome] = []
        for code in (Code.SYSTOLIC_BP, Code.DIASTOLIC_BP):
            if code not in found:
                detail = f"blood pressure panel has no {code} component"
                halves.append(
                    Refusal(
                        self.item, self.pointer + "/component", RefusalReason.MISSING_FIELD, detail
                    )
                )
            else:
                halves.append(self.component(code, found[code][1], found[code][0]))
        return list(refuse_inverted_blood_pressure(halves[0], halves[1], self.item, self.pointer))

    def categorical(
        self, code: str, coding: list[tuple[str, str]], observation: Observation
    ) -> ItemOutcome:
        value: object
        if code == Code.SUPPLEMENTAL_OXYGEN:
            value = next(
                (
                    _ON_OXYGEN_BY_FINDING[c]
                    for s, c in coding
                    if s == SNOMED and c in _ON_OXYGEN_BY_FINDING
                ),
                observation.valueBoolean,
            )
        elif observation.valueCodeableConcept is not None:
            concept = observation.valueCodeableConcept
            value = next(
                (
                    _ACVPU_BY_SNOMED[c.code].value
                    for c in concept.coding or []
                    if c.system == SNOMED and c.code in _ACVPU_BY_SNOMED
                ),
                concept.text,
            )
        else:
            value = observation.valueString
        if value is None:
            return Refusal(
                self.item, self.pointer, RefusalReason.MISSING_FIELD, f"no value for {code}"
            )
        return self._identified(
            self.normaliser.categorical(
                self.item,
                self.pointer,
                device_id=self.device_id,
                code=code,
                value=value,
                observed_at=self.observed_at,
                provenance=self.provenance,
                vendor_reading_id=self.vendor_id,
            )
        )

    def _vendor_id(self, suffix: str | None) -> str | None:
        # One Observation id yields several readings: each needs its own stable id.
        if self.vendor_id is None or suffix is None:
            return self.vendor_id
        return f"{self.vendor_id}#{suffix}"


def _effective_time(raw: dict[str, Any]) -> tuple[datetime | RefusalReason, str, str]:
    """The observed time and the pointer it came from, or a refusal reason, detail, pointer."""
    if "effectiveDateTime" in raw:
        text, where = raw["effectiveDateTime"], "/effectiveDateTime"
    elif "effectiveInstant" in raw:
        text, where = raw["effectiveInstant"], "/effectiveInstant"
    elif isinstance(raw.get("effectivePeriod"), dict):
        period = raw["effectivePeriod"]
        # A value summarising a period is known at its end.
        end = "end" in period and period["end"] is not None
        text, where = period.get("end") if end else period.get("start"), "/effectivePeriod/"
        where += "end" if end else "start"
    else:
        detail = "effectiveDateTime or effectivePeriod is required"
        return RefusalReason.MISSING_FIELD, detail, ""
    parsed = parse_timestamp(text)
    if isinstance(parsed, datetime):
        offset = parsed.utcoffset() or timedelta(0)
        return parsed.replace(tzinfo=timezone(offset)), "", where
    return parsed[0], parsed[1], where


def _canonical_code(codings: Iterable[Any]) -> tuple[str | None, list[tuple[str, str]]]:
    pairs = [(c.system or "", c.code or "") for c in codings]
    found = [_CANONICAL_BY_CODING[p] for p in pairs if p in _CANONICAL_BY_CODING]
    if Code.SPO2_PULSE_OXIMETRY in found:
        return Code.SPO2_PULSE_OXIMETRY, pairs
    return (found[0] if found else None), pairs


def _provenance(observation: Observation) -> Provenance:
    for performer in observation.performer or []:
        if (performer.reference or "").startswith(_CLINICIAN_REFERENCES):
            return Provenance.CLINICIAN_ENTERED
    return Provenance.DEVICE


def _first_code(concept: object) -> str:
    codings = getattr(concept, "coding", None) or []
    return codings[0].code if codings else "unknown"
