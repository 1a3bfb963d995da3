"""Per-item outcomes of parsing a vendor batch: a canonical reading or a typed refusal."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.monitoring_ingest.domain.canonical import CanonicalReading

__all__ = [
    "ItemOutcome",
    "MalformedPayload",
    "Refusal",
    "RefusalReason",
    "TooManyItems",
    "check_item_count",
]


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
    UNKNOWN_READING = "unknown_reading"  # a withdrawal names no stored reading


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


class TooManyItems(ValueError):
    """The payload holds more items than one request may carry; split it and send again.

    `count` is how many items were found, or `limit + 1` when counting stopped there (CSV).
    """

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count:,} items in one request; at most {limit:,} are accepted")
        self.count = count
        self.limit = limit


def check_item_count(count: int, max_items: int | None) -> None:
    """Refuse a payload of more than `max_items` items before any of them is judged."""
    if max_items is not None and count > max_items:
        raise TooManyItems(count, max_items)
