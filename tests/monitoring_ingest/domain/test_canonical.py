"""Canonical reading identity: deterministic, offset-independent, vendor-id scoped."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.monitoring_ingest.domain.canonical import (
    CanonicalReading,
    Code,
    Measure,
    Provenance,
)

READING = CanonicalReading(
    device_id="OXI-1",
    code=Code.SPO2_PULSE_OXIMETRY,
    value=94.0,
    unit="%",
    observed_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    provenance=Provenance.DEVICE,
)


def test_key_is_deterministic_sha256_hex() -> None:
    key = READING.reading_key()
    assert key == replace(READING).reading_key()
    assert len(key) == 64
    int(key, 16)


def test_key_ignores_offset_of_the_same_instant() -> None:
    london_summer = timezone(timedelta(hours=1))
    same_instant = replace(READING, observed_at=datetime(2026, 11, 23, 11, 0, tzinfo=london_summer))
    assert same_instant.reading_key() == READING.reading_key()
    # The offset itself is kept on the reading.
    assert same_instant.observed_at.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    "change",
    [
        {"device_id": "OXI-2"},
        {"code": Code.HEART_RATE},
        {"value": 95.0},
        {"observed_at": datetime(2026, 11, 23, 10, 0, 1, tzinfo=UTC)},
    ],
)
def test_key_changes_with_what_identifies_a_reading(change: dict) -> None:
    assert replace(READING, **change).reading_key() != READING.reading_key()


def test_vendor_id_decides_identity_when_given() -> None:
    first = replace(READING, vendor_reading_id="abc")
    corrected_value = replace(first, value=95.0)
    assert first.reading_key() == corrected_value.reading_key()
    assert first.reading_key() != READING.reading_key()


def test_vendor_id_is_scoped_by_device() -> None:
    a = replace(READING, vendor_reading_id="1")
    b = replace(READING, vendor_reading_id="1", device_id="OTHER-VENDOR-9")
    assert a.reading_key() != b.reading_key()


def test_reading_is_frozen_and_knows_its_measure() -> None:
    with pytest.raises(FrozenInstanceError):
        READING.value = 1.0  # type: ignore[misc]
    assert READING.measure is Measure.SPO2
    assert replace(READING, code=Code.SPO2).measure is Measure.SPO2
