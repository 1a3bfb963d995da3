"""Per-item outcomes of parsing a vendor batch: a canonical reading or a typed refusal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.monitoring_ingest.domain.canonical import CanonicalReading

__all__ = ["ItemOutcome", "MalformedPayload", "Refusal", "RefusalReason"]


class RefusalReason(StrEnum):
    """Machine-readable reason an item was refused; stable, safe to store and count."""

    MALFORMED = "malformed"  # the item is not the shape its format requires
    MISSING_FIELD = "missing_field"
    INVALID_VALUE = "invalid_value"  # wrong type, not finite, or not a known category
    INVALID_TIMESTAMP = "invalid_timestamp"  # not parseable as ISO 8601
    NAIVE_TIMESTAMP = "naive_timestamp"  # no UTC offset, so the instant is unknown
    FUTURE_TIMESTAMP = "future_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    UNKNOWN_CODE = "unknown_code"
    UNKNOWN_UNIT = "unknown_unit"
    IMPLAUSIBLE_VALUE = "implausible_value"
    BAD_STATUS = "bad_status"
    UNSUPPORTED_RESOURCE = "unsupported_resource"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one item of a batch was not accepted.

    `item` is the 0-based index of the item in its batch; `pointer` locates it in the
    payload (an RFC 6901 JSON pointer, or ``line N`` for CSV).
    """

    item: int
    pointer: str
    reason: RefusalReason
    detail: str


ItemOutcome = CanonicalReading | Refusal


class MalformedPayload(ValueError):
    """The payload as a whole cannot be read, so there are no items to judge."""
