"""Native batch adapter: per-item outcomes, every refusal it raises, and its speed."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from services.monitoring_ingest.domain.adapters import native
from services.monitoring_ingest.domain.canonical import CanonicalReading, Code, Provenance
from services.monitoring_ingest.domain.normalise import Normaliser
from services.monitoring_ingest.domain.outcomes import MalformedPayload, Refusal, RefusalReason

from ..conftest import NOW

AT = (NOW - timedelta(minutes=2)).isoformat()


def batch(*readings: object, **top: object) -> bytes:
    return orjson.dumps({"device_id": "OXI-00042", **top, "readings": list(readings)})


def test_parses_a_mixed_batch(normaliser: Normaliser) -> None:
    outcomes = native.parse(
        batch(
            {"id": "r-1", "code": "spo2", "value": 94, "unit": "%", "at": AT},
            {"id": "r-2", "code": "temp", "value": 100.4, "unit": "[degF]", "at": AT},
            {"code": "acvpu", "value": "A", "at": AT, "provenance": "clinician_entered"},
            {"code": "on_oxygen", "value": False, "at": AT},
            {"code": Code.BODY_WEIGHT, "value": 11, "unit": "[stone_av]", "at": AT},
        ),
        normaliser=normaliser,
    )
    assert all(isinstance(o, CanonicalReading) for o in outcomes)
    spo2, temp, acvpu, oxygen, weight = outcomes
    assert (spo2.code, spo2.value, spo2.vendor_reading_id) == (
        Code.SPO2_PULSE_OXIMETRY,
        94.0,
        "r-1",
    )
    assert spo2.device_id == "OXI-00042"
    assert temp.value == pytest.approx(38.0)
    assert acvpu.code_value == "A"
    assert acvpu.provenance is Provenance.CLINICIAN_ENTERED
    assert oxygen.code_value == "false"
    assert weight.value == pytest.approx(69.85, abs=0.01)


@pytest.mark.parametrize(
    ("reading", "reason"),
    [
        ("not an object", RefusalReason.MALFORMED),
        (
            {"code": "spo2", "value": 94, "unit": "%", "at": AT, "device_id": ""},
            RefusalReason.MISSING_FIELD,
        ),
        ({"code": "glucose", "value": 5, "unit": "mmol/L", "at": AT}, RefusalReason.UNKNOWN_CODE),
        ({"code": "spo2", "value": 94, "unit": "%"}, RefusalReason.MISSING_FIELD),
        ({"code": "spo2", "value": 94, "unit": "%", "at": "10am"}, RefusalReason.INVALID_TIMESTAMP),
        (
            {"code": "spo2", "value": 94, "unit": "%", "at": "2026-11-23T11:00:00"},
            RefusalReason.NAIVE_TIMESTAMP,
        ),
        (
            {"code": "spo2", "value": 94, "unit": "%", "at": "2026-11-23T13:00:00+00:00"},
            RefusalReason.FUTURE_TIMESTAMP,
        ),
        (
            {"code": "spo2", "value": 94, "unit": "%", "at": "2026-09-01T10:00:00+00:00"},
            RefusalReason.STALE_TIMESTAMP,
        ),
        ({"code": "spo2", "unit": "%", "at": AT}, RefusalReason.MISSING_FIELD),
        ({"code": "spo2", "value": "94", "unit": "%", "at": AT}, RefusalReason.INVALID_VALUE),
        ({"code": "spo2", "value": 104, "unit": "%", "at": AT}, RefusalReason.IMPLAUSIBLE_VALUE),
        ({"code": "hr", "value": 70, "unit": "bpm", "at": AT}, RefusalReason.UNKNOWN_UNIT),
        ({"code": "hr", "value": 70, "at": AT}, RefusalReason.MISSING_FIELD),
        ({"code": "acvpu", "value": "Z", "at": AT}, RefusalReason.INVALID_VALUE),
        (
            {"code": "hr", "value": 70, "unit": "/min", "at": AT, "provenance": "robot"},
            RefusalReason.INVALID_VALUE,
        ),
    ],
)
def test_refusals(normaliser: Normaliser, reading: object, reason: RefusalReason) -> None:
    good = {"code": "hr", "value": 70, "unit": "/min", "at": AT}
    outcomes = native.parse(batch(good, reading, good), normaliser=normaliser)
    assert isinstance(outcomes[0], CanonicalReading)
    assert isinstance(outcomes[2], CanonicalReading), "one bad item must not spoil the others"
    refusal = outcomes[1]
    assert isinstance(refusal, Refusal)
    assert refusal.reason is reason
    assert (refusal.item, refusal.pointer) == (1, "/readings/1")


def test_item_device_overrides_batch_device(normaliser: Normaliser) -> None:
    [reading] = native.parse(
        orjson.dumps(
            {
                "readings": [
                    {"device_id": "BP-7", "code": "sbp", "value": 120, "unit": "mm[Hg]", "at": AT}
                ]
            }
        ),
        normaliser=normaliser,
    )
    assert isinstance(reading, CanonicalReading)
    assert reading.device_id == "BP-7"


def test_numeric_ids_are_kept_as_text(normaliser: Normaliser) -> None:
    [reading] = native.parse(
        batch({"id": 17, "code": "hr", "value": 70, "unit": "/min", "at": AT}),
        normaliser=normaliser,
    )
    assert reading.vendor_reading_id == "17"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        b'{"device_id": "x"}',
        b'{"readings": {}}',
        b'{"readings": [], "provenance": "x"}',
    ],
)
def test_unreadable_payloads_raise(payload: bytes) -> None:
    with pytest.raises(MalformedPayload):
        native.parse(payload)


def test_accepts_decoded_dicts_and_text(normaliser: Normaliser) -> None:
    body = batch({"code": "rr", "value": 16, "unit": "/min", "at": AT})
    assert native.parse(body.decode(), normaliser=normaliser) == native.parse(
        orjson.loads(body), normaliser=normaliser
    )


def test_a_1000_reading_batch_parses_whole(normaliser: Normaliser) -> None:
    """The hot path's batch; its µs per reading is measured by bench/pure.py."""
    kinds = [
        ("spo2", 95, "%"),
        ("hr", 72, "/min"),
        ("rr", 16, "/min"),
        ("temp", 98.6, "[degF]"),
        ("sbp", 121, "mm[Hg]"),
    ]
    readings = [
        {
            "id": f"r-{i}",
            "code": c,
            "value": v,
            "unit": u,
            "at": (NOW - timedelta(seconds=i)).isoformat(),
        }
        for i, (c, v, u) in ((i, kinds[i % len(kinds)]) for i in range(1000))
    ]
    body = batch(*readings)
    outcomes = native.parse(body, normaliser=normaliser)
    assert len(outcomes) == 1000
    assert all(isinstance(o, CanonicalReading) for o in outcomes)
