"""Ingest per format: per-item outcomes, exactly-once storage, quarantine, append-only."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.monitoring_ingest.helpers import ago, post_signed, statuses

NATIVE = "/v1/readings/native"


async def _count(database_url: str, sql: str, *args) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_batch_outcomes_item_by_item(ingest_client, bound) -> None:
    at = ago(10)
    batch = {
        "device_id": bound.device_id,
        "readings": [
            {"id": "a", "code": "hr", "value": 80, "unit": "/min", "at": at},
            {"id": "b", "code": "hr", "value": 900, "unit": "/min", "at": at},  # implausible
            {"id": "a", "code": "hr", "value": 80, "unit": "/min", "at": at},  # repeated
            {"code": "spo2", "value": 96, "unit": "%", "at": "2026-01-01T10:00:00"},  # naive
            {"code": "rr", "value": 18, "unit": "/min", "at": at, "device_id": "NOBODY-1"},
        ],
    }
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["stored", "refused", "duplicate", "refused", "quarantined"]
    body = response.json()
    assert body["counts"] == {
        "stored": 1, "duplicate": 1, "conflict": 0, "quarantined": 1, "withdrawn": 0, "refused": 2,
    }  # fmt: skip
    refused = body["items"][1]
    assert refused["reason"] == "implausible_value" and refused["pointer"] == "/readings/1"
    assert body["items"][3]["reason"] == "naive_timestamp"
    assert body["items"][4]["reason"] == "unknown_device"


async def test_repost_is_duplicate_and_stores_nothing_new(
    ingest_client, bound, database_url
) -> None:
    batch = {
        "device_id": bound.device_id,
        "readings": [
            {"code": "hr", "value": 81, "unit": "/min", "at": ago(20)},
            {"id": "x-1", "code": "temp", "value": 37.2, "unit": "Cel", "at": ago(20)},
        ],
    }
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["stored"] * 2
    again = await post_signed(ingest_client, bound.vendor, NATIVE, {**batch, "n": 1})
    assert statuses(again) == ["duplicate"] * 2
    # Same vendor id with a different time is a re-used id (a vendor bug): a conflict, and
    # the stored reading is left as it was. Still one row.
    batch["readings"][1]["at"] = ago(19)
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["duplicate", "conflict"]
    assert response.json()["items"][1]["reason"] == "id_conflict"
    stored = await _count(
        database_url,
        "SELECT count(*) FROM monitoring.readings WHERE admission_id = $1",
        uuid.UUID(bound.admission_id),
    )
    assert stored == 2


async def test_parallel_duplicate_posts_store_one_row(ingest_client, bound, database_url) -> None:
    readings = [
        {"id": f"p-{i}", "code": "hr", "value": 60 + i, "unit": "/min", "at": ago(30 + i)}
        for i in range(20)
    ]
    batch = {"device_id": bound.device_id, "readings": readings}
    responses = await asyncio.gather(
        *(post_signed(ingest_client, bound.vendor, NATIVE, {**batch, "n": n}) for n in range(6))
    )
    stored = sum(r.json()["counts"]["stored"] for r in responses)
    duplicates = sum(r.json()["counts"]["duplicate"] for r in responses)
    assert (stored, duplicates) == (20, 100)
    rows = await _count(
        database_url,
        "SELECT count(*) FROM monitoring.readings WHERE admission_id = $1",
        uuid.UUID(bound.admission_id),
    )
    assert rows == 20


async def test_malformed_payload_is_400(ingest_client, bound) -> None:
    response = await post_signed(ingest_client, bound.vendor, NATIVE, b"[1, 2")
    assert response.status_code == 400
    assert response.json()["type"].endswith("/malformed-payload")
    response = await post_signed(ingest_client, bound.vendor, NATIVE, {"readings": "nope"})
    assert response.status_code == 400


async def test_fhir_bundle(ingest_client, bound) -> None:
    at = ago(12)

    def observation(code: str, value: float, unit: str) -> dict:
        return {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "vital-signs",
                        }
                    ]
                }
            ],
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "subject": {"reference": "Patient/example"},
            "effectiveDateTime": at,
            "device": {"identifier": {"value": bound.device_id}},
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": observation("8867-4", 77, "/min")},
            {"resource": observation("8310-5", 99.1, "[degF]")},
            {"resource": observation("8867-4", 9999, "/min")},
        ],
    }
    response = await post_signed(ingest_client, bound.vendor, "/v1/readings/fhir", bundle)
    assert statuses(response) == ["stored", "stored", "refused"], response.text


async def test_openmhealth_data_point(ingest_client, bound) -> None:
    point = {
        "header": {
            "id": str(uuid.uuid4()),
            "creation_date_time": ago(1),
            "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"},
            "acquisition_provenance": {"source_name": "x", "device_id": bound.device_id},
        },
        "body": {
            "heart_rate": {"value": 66, "unit": "beats/min"},
            "effective_time_frame": {"date_time": ago(3)},
        },
    }
    response = await post_signed(ingest_client, bound.vendor, "/v1/readings/openmhealth", point)
    assert statuses(response) == ["stored"], response.text


async def test_csv_backfill(ingest_client, bound) -> None:
    rows = [
        "device_id,reading_id,code,value,unit,observed_at,provenance",
        f"{bound.device_id},c1,hr,70,/min,{ago(600)},device",
        f"{bound.device_id},c2,spo2,abc,%,{ago(600)},device",
        f"{bound.device_id},c3,temp,36.9,Cel,{ago(590)},",
    ]
    body = ("\n".join(rows) + "\n").encode()
    response = await post_signed(
        ingest_client, bound.vendor, "/v1/readings/csv", body, content_type="text/csv"
    )
    assert statuses(response) == ["stored", "refused", "stored"]
    assert response.json()["items"][1]["pointer"] == "line 3"
    wrong = await post_signed(ingest_client, bound.vendor, "/v1/readings/csv", body + b"\n")
    assert wrong.status_code == 415


async def test_readings_are_append_only(ingest_client, bound, database_url) -> None:
    batch = {
        "device_id": bound.device_id,
        "readings": [{"code": "hr", "value": 75, "unit": "/min", "at": ago(40)}],
    }
    assert statuses(await post_signed(ingest_client, bound.vendor, NATIVE, batch)) == ["stored"]
    conn = await asyncpg.connect(database_url)
    try:
        admission = uuid.UUID(bound.admission_id)
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await conn.execute(
                "UPDATE monitoring.readings SET value = 1 WHERE admission_id = $1", admission
            )
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await conn.execute("DELETE FROM monitoring.readings WHERE admission_id = $1", admission)
        partition = await conn.fetchval(
            "SELECT tableoid::regclass::text FROM monitoring.readings WHERE admission_id = $1",
            admission,
        )
    finally:
        await conn.close()
    assert partition.startswith("monitoring.readings_y")


async def test_readings_table_is_partitioned_with_default(database_url) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        kind = await conn.fetchval(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'monitoring' AND c.relname = 'readings'"
        )
        partitions = await conn.fetch(
            "SELECT inhrelid::regclass::text AS name FROM pg_inherits "
            "WHERE inhparent = 'monitoring.readings'::regclass"
        )
        created = await conn.fetchval("SELECT monitoring.ensure_reading_partitions(now()::date, 2)")
    finally:
        await conn.close()
    names = {p["name"] for p in partitions}
    assert kind in ("p", b"p")
    assert "monitoring.readings_default" in names
    assert len(names) >= 12
    assert created == 0  # already made ahead by the migration
