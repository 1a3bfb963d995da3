"""Which bed an admission goes into, including one recorded late (back-dated).

The rule is deliberately simple. Whether the ward has room is judged on the beds' current
occupancy only: the ward's bed count now, and who is in a bed now. Past occupancy and past
bed counts are not replayed. But a stay must never overlap another in the same bed, so a
back-dated admission goes into the lowest bed that is free now *and* has been free since the
admission time (its last stay ended at or before it). When beds are free now but each held
someone after that time, there is no bed to put the stay in: the caller learns the earliest
admission time that would fit.

A stay occupies its bed over [admitted_at, discharged_at): a bed freed at 10:00 may be taken
by an admission at 10:00.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = ["BedChoice", "choose_bed"]


@dataclass(frozen=True, slots=True)
class BedChoice:
    """A bed, or why there is none: `full` now, or busy since the time (`free_from`)."""

    bed: int | None
    full: bool = False
    free_from: datetime | None = None


def choose_bed(beds: int, last_ends: Mapping[int, datetime | None], at: datetime) -> BedChoice:
    """The lowest bed free now and since `at`.

    `last_ends` maps each bed that has held a stay to when its latest stay ended, or None
    while it is occupied (beds never used are absent). `beds` is the ward's bed count now.
    """
    occupied = {bed for bed, end in last_ends.items() if end is None}
    if len(occupied) >= beds:
        return BedChoice(None, full=True)
    free = [bed for bed in range(1, beds + 1) if bed not in occupied]
    for bed in free:
        end = last_ends.get(bed)
        if end is None or end <= at:
            return BedChoice(bed)
    ends = [end for bed in free if (end := last_ends.get(bed)) is not None]
    return BedChoice(None, free_from=min(ends))
