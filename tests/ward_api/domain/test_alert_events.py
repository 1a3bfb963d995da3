"""The events a NEWS2 alert implies (domain/alert_events.py), over any sequence of alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from services.ward_api.domain.alert_events import NEWS2_RANK, News2Alert, implied_events

T0 = datetime(2026, 12, 1, tzinfo=UTC)
# The band monitoring_ingest gives each kind (red_single: a single 3, low-medium).
KINDS = {"news2_red_single": "low_medium", "news2_medium": "medium", "news2_high": "high"}

alerts = st.lists(
    st.tuples(st.sampled_from(sorted(KINDS)), st.booleans()), min_size=1, max_size=12
).map(
    lambda drawn: [
        News2Alert(kind, KINDS[kind], T0 + timedelta(minutes=n), resolved=resolved)
        for n, (kind, resolved) in enumerate(drawn)
    ]
)


@given(alerts)
def test_in_time_order_band_changes_are_exactly_the_transitions(sequence) -> None:
    changes = [implied_events(alert, sequence[:n]).band_change for n, alert in enumerate(sequence)]
    bands = [None, *(a.risk for a in sequence)]
    transitions = [
        (before, after) if before != after else None for before, after in pairwise(bands)
    ]
    assert changes == transitions


@given(alerts)
def test_escalated_exactly_when_it_outranks_every_open_alert(sequence) -> None:
    for n, alert in enumerate(sequence):
        open_kinds = [a.kind for a in sequence[:n] if not a.resolved]
        implied = implied_events(alert, sequence[:n])
        top = max(open_kinds, key=NEWS2_RANK.__getitem__, default=None)
        if top is not None and NEWS2_RANK[alert.kind] > NEWS2_RANK[top]:
            assert implied.escalated_from == top
        else:
            assert implied.escalated_from is None


@given(alerts, st.randoms(use_true_random=False))
def test_a_late_alert_never_changes_the_band(sequence, random) -> None:
    arrival = list(sequence)
    random.shuffle(arrival)
    for n, alert in enumerate(arrival):
        received = arrival[:n]
        implied = implied_events(alert, received)
        if any(a.raised_at > alert.raised_at for a in received):
            assert implied.band_change is None
        elif implied.band_change is not None:
            newest = max(received, key=lambda a: a.raised_at, default=None)
            assert implied.band_change[0] == (None if newest is None else newest.risk)


def test_other_kinds_imply_nothing() -> None:
    alert = News2Alert("missed_readings", None, T0)
    assert implied_events(alert, [News2Alert("news2_high", "high", T0)]).band_change is None
    assert implied_events(alert, []).escalated_from is None
