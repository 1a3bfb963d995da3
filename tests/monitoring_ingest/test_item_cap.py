"""The per-request item cap: counted before any item is judged, 413 too-many-items, nothing kept."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.monitoring_ingest.domain.adapters import ADAPTERS
from services.monitoring_ingest.domain.outcomes import TooManyItems
from services.monitoring_ingest.settings import IngestSettings
from tests.monitoring_ingest.helpers import ago, post_signed, statuses

CAP = IngestSettings().max_items_per_request


def _native(n: int, device_id: str = "DEV-1") -> dict:
    at = ago(30)
    return {
        "device_id": device_id,
        "readings": [{"code": "hr", "value": 70, "unit": "/min", "at": at}] * n,
    }


def _fhir(n: int) -> dict:
    return {"resourceType": "Bundle", "type": "batch", "entry": [{}] * n}


def _omh(n: int) -> list:
    return [{}] * n


def _csv(n: int) -> bytes:
    header = "device_id,reading_id,code,value,unit,observed_at,provenance\n"
    return (header + f"D,,hr,70,/min,{ago(30)},\n" * n).encode()


PAYLOADS = {"native": _native, "fhir": _fhir, "openmhealth": _omh, "csv": _csv}


def test_the_cap_defaults_to_ten_thousand() -> None:
    assert CAP == 10_000
    assert IngestSettings(max_items_per_request=5).max_items_per_request == 5


@pytest.mark.parametrize("format_name", sorted(PAYLOADS))
def test_every_adapter_counts_items_against_the_cap(format_name: str) -> None:
    parse, build = ADAPTERS[format_name], PAYLOADS[format_name]
    assert len(parse(build(3), max_items=3)) == 3  # at the cap: judged as usual
    with pytest.raises(TooManyItems) as caught:
        parse(build(4), max_items=3)
    assert caught.value.limit == 3 and caught.value.count == 4
    assert len(parse(build(4))) == 4  # no cap asked for: none applied


def test_csv_stops_counting_at_the_cap() -> None:
    with pytest.raises(TooManyItems) as caught:
        ADAPTERS["csv"](_csv(50), max_items=3)
    assert caught.value.count == 4  # refused on the first row over, the rest never read


async def test_vendor_batch_over_the_cap_is_413_and_stores_nothing(
    ingest_client, bound, database_url
) -> None:
    batch = _native(CAP + 1, bound.device_id)
    for i, reading in enumerate(batch["readings"]):
        batch["readings"][i] = {**reading, "id": f"cap-{i}"}
    response = await post_signed(ingest_client, bound.vendor, "/v1/readings/native", batch)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"].endswith("/too-many-items") and problem["max_items"] == CAP
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM monitoring.readings WHERE admission_id = $1",
            uuid.UUID(bound.admission_id),
        )
    finally:
        await conn.close()
    assert stored == 0


@pytest.mark.parametrize("format_name", ["fhir", "openmhealth", "csv"])
async def test_other_formats_over_the_cap_are_413(ingest_client, vendor, format_name) -> None:
    body = PAYLOADS[format_name](CAP + 1)
    content_type = "text/csv" if format_name == "csv" else "application/json"
    response = await post_signed(
        ingest_client, vendor, f"/v1/readings/{format_name}", body, content_type=content_type
    )
    assert response.status_code == 413, response.text[:300]
    assert response.json()["type"].endswith("/too-many-items")


async def test_a_batch_at_the_cap_is_accepted(ingest_client, bound) -> None:
    batch = _native(CAP, bound.device_id)
    response = await post_signed(ingest_client, bound.vendor, "/v1/readings/native", batch)
    assert set(statuses(response)) == {"stored", "duplicate"}


async def test_clinician_entry_over_the_cap_is_413(ingest_client, bound) -> None:
    readings = [{"code": "hr", "value": 70, "unit": "/min", "at": ago(5)}] * (CAP + 1)
    response = await ingest_client.post(
        f"/v1/admissions/{bound.admission_id}/readings",
        json={"readings": readings},
        headers=bound.clinician,
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-many-items")
