"""Which live events a newly received NEWS2 alert implies, beyond `alert.raised` (no I/O).

monitoring_ingest ranks NEWS2 alert kinds news2_red_single < news2_medium < news2_high and
always raises an escalation to a higher rank (its alerts/raising.py). For the admission's
NEWS2 alerts received so far:
- **escalated**: the new alert outranks every one still open (unresolved), and one is open;
  `from_kind` is the highest-ranked open kind.
- **band changed**: the new alert is the admission's newest by `raised_at` and its band
  (`risk`) differs from the band of the newest alert raised before it (None if none was).
  A late alert older than the newest one changes nothing: the band already moved on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

NEWS2_RANK = {"news2_red_single": 1, "news2_medium": 2, "news2_high": 3}


@dataclass(frozen=True, slots=True)
class News2Alert:
    kind: str
    risk: str | None
    raised_at: datetime
    resolved: bool = False


@dataclass(frozen=True, slots=True)
class Implied:
    escalated_from: str | None = None
    band_change: tuple[str | None, str] | None = None  # (previous band, new band)


def implied_events(alert: News2Alert, earlier: Sequence[News2Alert]) -> Implied:
    """What `alert` implies, given the admission's other NEWS2 alerts (any order)."""
    rank = NEWS2_RANK.get(alert.kind)
    if rank is None:
        return Implied()
    still_open = [a for a in earlier if not a.resolved and a.kind in NEWS2_RANK]
    escalated_from = None
    if still_open:
        top = max(still_open, key=lambda a: NEWS2_RANK[a.kind])
        if rank > NEWS2_RANK[top.kind]:
            escalated_from = top.kind
    change = None
    if alert.risk is not None and not any(a.raised_at > alert.raised_at for a in earlier):
        before = max(earlier, key=lambda a: a.raised_at, default=None)
        previous = None if before is None else before.risk
        if previous != alert.risk:
            change = (previous, alert.risk)
    return Implied(escalated_from, change)
