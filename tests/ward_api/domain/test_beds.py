"""Bed choice for admissions, including back-dated ones: stays in one bed never overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.ward_api.domain.beds import BedChoice, choose_bed

T = datetime(2025, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def test_lowest_bed_never_used() -> None:
    assert choose_bed(3, {}, T) == BedChoice(1)
    assert choose_bed(3, {1: None}, T) == BedChoice(2)


def test_full_is_judged_on_current_occupancy_only() -> None:
    assert choose_bed(2, {1: None, 2: None}, T - 30 * DAY) == BedChoice(None, full=True)
    # A bed over the current count, still occupied after the ward shrank, counts too.
    assert choose_bed(2, {1: None, 3: None}, T).full


def test_back_dated_admission_needs_a_bed_free_since_then() -> None:
    ends = {1: T - DAY, 2: None}
    assert choose_bed(3, ends, T - 2 * DAY) == BedChoice(3)  # bed 1 was in use then
    assert choose_bed(2, ends, T - 2 * DAY) == BedChoice(None, free_from=T - DAY)
    assert choose_bed(2, ends, T - DAY) == BedChoice(1)  # handover at the same instant
    assert choose_bed(2, {1: T - DAY, 3: T}, T - 2 * DAY) == BedChoice(2)


def test_earliest_fitting_time_is_the_earliest_free_bed() -> None:
    ends = {1: T - DAY, 2: T - 3 * DAY}
    assert choose_bed(2, ends, T - 5 * DAY) == BedChoice(None, free_from=T - 3 * DAY)
