"""Ordering of a virtual ward's wait-list.

Patients are ordered by, in turn:

1. Clinical urgency (emergency, then urgent, then routine): clinical need always comes first.
2. Referral time, earliest first: among equal need, first come is first served.
3. Residence in a Core20 area (an LSOA in IMD 2019 deciles 1–2, the most deprived 20% of
   England's neighbourhoods), Core20 first. NHS England's Core20PLUS5 approach targets this
   group because it has the worst access and outcomes; it only separates patients whose urgency
   and referral time are identical, so it never overrides need or waiting time. Unknown
   residence is treated as not Core20, so missing data never gains priority.
4. Patient id, so the order is total and deterministic.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "CORE20_DECILES",
    "Urgency",
    "WaitlistEntry",
    "is_core20",
    "order_waitlist",
    "waitlist_key",
]

CORE20_DECILES = frozenset({1, 2})


class Urgency(StrEnum):
    """Clinical urgency of a referral to a virtual ward."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """0 for the most urgent."""
        return _URGENCY_RANK[self]


_URGENCY_RANK = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


def is_core20(imd_decile: int | None) -> bool:
    """True for an IMD 2019 decile of 1 or 2; False when the decile is unknown."""
    if imd_decile is not None and not 1 <= imd_decile <= 10:
        raise ValueError(f"IMD decile must be 1–10, got {imd_decile}")
    return imd_decile in CORE20_DECILES


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    """A patient waiting for a place on a ward; ``referred_at`` must carry a time zone."""

    id: str
    urgency: Urgency
    referred_at: datetime
    imd_decile: int | None = None

    def __post_init__(self) -> None:
        if self.referred_at.utcoffset() is None:
            raise ValueError("referred_at must be time-zone aware")
        is_core20(self.imd_decile)

    @property
    def core20(self) -> bool:
        """Whether the patient lives in a Core20 LSOA (unknown counts as no)."""
        return is_core20(self.imd_decile)


def waitlist_key(entry: WaitlistEntry) -> tuple[int, datetime, int, str]:
    """Sort key: urgency, referral time, Core20 first, then id."""
    return (entry.urgency.rank, entry.referred_at, 0 if entry.core20 else 1, entry.id)


def order_waitlist(entries: Iterable[WaitlistEntry]) -> list[WaitlistEntry]:
    """The wait-list in the order patients should be offered a place."""
    return sorted(entries, key=waitlist_key)
