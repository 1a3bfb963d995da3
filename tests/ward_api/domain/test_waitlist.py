from datetime import UTC, datetime, timedelta

import pytest

from services.ward_api.domain.waitlist import (
    Urgency,
    WaitlistEntry,
    is_core20,
    order_waitlist,
    waitlist_key,
)

MONDAY = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)


def _entry(id_: str, urgency: Urgency, hours: int = 0, decile: int | None = None) -> WaitlistEntry:
    return WaitlistEntry(id_, urgency, MONDAY + timedelta(hours=hours), decile)


def test_order_is_urgency_then_wait_then_core20_then_id() -> None:
    entries = [
        _entry("r-early", Urgency.ROUTINE, hours=0, decile=1),
        _entry("u-late", Urgency.URGENT, hours=5),
        _entry("u-early-d9", Urgency.URGENT, hours=1, decile=9),
        _entry("u-early-d2", Urgency.URGENT, hours=1, decile=2),
        _entry("e-latest", Urgency.EMERGENCY, hours=9),
        _entry("u-early-unknown-b", Urgency.URGENT, hours=1),
        _entry("u-early-unknown-a", Urgency.URGENT, hours=1),
    ]
    assert [e.id for e in order_waitlist(entries)] == [
        "e-latest",  # emergency beats any wait
        "u-early-d2",  # Core20 breaks the tie on urgency and referral time
        "u-early-d9",
        "u-early-unknown-a",  # unknown residence ranks as not Core20; then id
        "u-early-unknown-b",
        "u-late",
        "r-early",  # Core20 never lifts a routine referral above urgent ones
    ]


def test_key_is_total_and_deterministic() -> None:
    a, b = _entry("a", Urgency.ROUTINE), _entry("b", Urgency.ROUTINE)
    assert waitlist_key(a) < waitlist_key(b)
    assert order_waitlist([b, a]) == order_waitlist([a, b])


@pytest.mark.parametrize(
    ("decile", "core20"), [(1, True), (2, True), (3, False), (10, False), (None, False)]
)
def test_core20_is_imd_deciles_one_and_two(decile: int | None, core20: bool) -> None:
    assert is_core20(decile) is core20


def test_bad_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="time-zone"):
        WaitlistEntry("x", Urgency.URGENT, datetime(2024, 1, 8, 9, 0))
    with pytest.raises(ValueError, match="decile"):
        _entry("x", Urgency.URGENT, decile=11)
    with pytest.raises(ValueError):
        Urgency("soon")
