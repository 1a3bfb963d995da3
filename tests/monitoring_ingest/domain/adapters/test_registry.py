"""The adapter registry: one name per format."""

from __future__ import annotations

import pytest

from services.monitoring_ingest.domain.adapters import (
    ADAPTERS,
    UnknownFormat,
    csv_upload,
    fhir,
    get_adapter,
    native,
    openmhealth,
)


def test_every_format_is_registered() -> None:
    assert {
        "fhir": fhir.parse,
        "openmhealth": openmhealth.parse,
        "native": native.parse,
        "csv": csv_upload.parse,
    } == ADAPTERS
    assert get_adapter("native") is native.parse


def test_unknown_format() -> None:
    with pytest.raises(UnknownFormat, match="hl7v2"):
        get_adapter("hl7v2")
