"""FHIR rules checked on the raw Observation JSON: quantities, vital-signs profiles, devices.

Kept apart from the adapter (fhir.py) so each rule is short and read in one place; all are
pure functions returning a refusal (reason, detail, pointer) or None.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.observation import Observation

from services.monitoring_ingest.domain.outcomes import RefusalReason

__all__ = [
    "FHIR_PROFILE_BASE",
    "FHIR_VITAL_SIGNS_PROFILES",
    "OBSERVATION_CATEGORY",
    "UK_CORE_VITAL_SIGNS_PREFIX",
    "claimed_profile",
    "device_id",
    "device_serial",
    "profile_problem",
    "raw_quantity_problem",
]

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FHIR_PROFILE_BASE = "http://hl7.org/fhir/StructureDefinition/"
FHIR_VITAL_SIGNS_PROFILES = frozenset(
    {"vitalsigns", "vitalspanel", "heartrate", "resprate", "oxygensat", "bodytemp",
     "bodyweight", "bodyheight", "bp", "bmi", "headcircum"}
)  # fmt: skip
LOINC = "http://loinc.org"
UK_CORE_VITAL_SIGNS_PREFIX = (
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-VitalSigns"
)


def raw_quantity_problem(raw: dict[str, Any]) -> tuple[RefusalReason, str, str] | None:
    """A quantity value that is not a JSON number, or is censored by a comparator."""
    places = [("/valueQuantity", raw.get("valueQuantity"))]
    components = raw.get("component")
    if isinstance(components, list):
        places += [
            (f"/component/{i}/valueQuantity", c.get("valueQuantity"))
            for i, c in enumerate(components)
            if isinstance(c, dict)
        ]
    for where, quantity in places:
        if not isinstance(quantity, dict):
            continue
        value = quantity.get("value")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            detail = f"value must be a JSON number (FHIR decimal), got {value!r}"
            return RefusalReason.INVALID_VALUE, detail, where + "/value"
        if quantity.get("comparator") is not None:
            detail = (
                f"censored value {quantity['comparator']}{value} is not an exact reading "
                "and cannot be scored"
            )
            return RefusalReason.INVALID_VALUE, detail, where + "/comparator"
    return None


def claimed_profile(observation: Observation) -> str | None:
    """`fhir` or `ukcore` when meta.profile claims a vital-signs profile, else None."""
    for profile in (observation.meta.profile or []) if observation.meta else []:
        name = (profile or "").split("|")[0]
        if name.removeprefix(FHIR_PROFILE_BASE) in FHIR_VITAL_SIGNS_PROFILES:
            return "fhir"
        if name.startswith(UK_CORE_VITAL_SIGNS_PREFIX):
            return "ukcore"
    return None


def profile_problem(
    observation: Observation, claimed: str, loinc_codes: frozenset[str]
) -> tuple[RefusalReason, str, str] | None:
    """What breaks the vital-signs rules the Observation claims (status and UCUM are checked
    for every Observation): the vital-signs category, a subject, and for the FHIR profile a
    LOINC code (UK Core also allows the SNOMED CT concepts mapped here)."""
    vital = any(
        coding.system == OBSERVATION_CATEGORY and coding.code == "vital-signs"
        for concept in observation.category or []
        for coding in concept.coding or []
    )
    if not vital:
        detail = (
            f"the {claimed} vital-signs profile needs category {OBSERVATION_CATEGORY}|vital-signs"
        )
        return RefusalReason.MISSING_FIELD, detail, "/category"
    if observation.subject is None:
        return (
            RefusalReason.MISSING_FIELD,
            f"the {claimed} vital-signs profile needs a subject",
            "/subject",
        )
    if claimed == "fhir" and not any(
        c.system == LOINC and c.code in loinc_codes for c in observation.code.coding or []
    ):
        detail = "the FHIR vital-signs profile needs a LOINC vital-sign code"
        return RefusalReason.UNKNOWN_CODE, detail, "/code"
    return None


def device_id(
    raw: dict[str, Any], bundle_devices: dict[str, str | None] | None = None
) -> str | tuple[RefusalReason, str]:
    """The device serial `Observation.device` names, or why it names none we can use.

    A reference to a contained Device (`#id`) or to a Device entry of the same Bundle (its
    fullUrl, e.g. `urn:uuid:...`) takes that Device's first identifier value, else its serial
    number; `Device/<id>` names a Device registered with us by its serial; a logical
    identifier gives its value. The display text is a label, never an identity.
    """
    device = raw.get("device")
    if not isinstance(device, dict):
        return RefusalReason.MISSING_FIELD, "device reference or identifier is required"
    reference = device.get("reference")
    if isinstance(reference, str) and reference:
        if reference.startswith("#"):
            return _contained_device(raw, reference[1:])
        if bundle_devices is not None and reference in bundle_devices:
            serial = bundle_devices[reference]
            if serial is None:
                return RefusalReason.MISSING_FIELD, f"Device {reference} has no identifier"
            return serial
        kind, _, serial = reference.partition("/")
        if kind == "Device" and serial and "/" not in serial:
            return serial
        return RefusalReason.INVALID_VALUE, f"device reference {reference!r} is not Device/<id>"
    identifier = device.get("identifier")
    if isinstance(identifier, dict) and _text(identifier.get("value")):
        return str(identifier["value"])
    return RefusalReason.MISSING_FIELD, "device reference or identifier is required"


def _contained_device(raw: dict[str, Any], local_id: str) -> str | tuple[RefusalReason, str]:
    contained = raw.get("contained")
    for resource in contained if isinstance(contained, list) else []:
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "Device"
            and resource.get("id") == local_id
        ):
            serial = device_serial(resource)
            if serial is None:
                detail = f"contained Device {local_id!r} has no identifier"
                return RefusalReason.MISSING_FIELD, detail
            return serial
    return RefusalReason.INVALID_VALUE, f"no contained Device with id {local_id!r}"


def device_serial(device: dict[str, Any]) -> str | None:
    """A Device resource's serial: its first identifier's value, else its serialNumber."""
    for identifier in device.get("identifier") or []:
        if isinstance(identifier, dict) and _text(identifier.get("value")):
            return str(identifier["value"])
    serial = device.get("serialNumber")
    return serial if _text(serial) else None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)
