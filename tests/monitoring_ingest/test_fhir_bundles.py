"""FHIR Bundle semantics against PostgreSQL: a transaction is all-or-nothing and answered
by a transaction-response Bundle (or an OperationOutcome); a batch by a batch-response
Bundle with each entry's own status; a collection keeps the JSON outcome report."""

from __future__ import annotations

import uuid

import asyncpg

from tests.monitoring_ingest.helpers import ago, post_signed
from tests.monitoring_ingest.test_revisions import bundle, observation

FHIR = "/v1/readings/fhir"


async def _stored(database_url: str, admission_id: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM monitoring.readings WHERE admission_id = $1",
            uuid.UUID(admission_id),
        )
    finally:
        await conn.close()


def _entries(bound, at: str) -> list[dict]:
    hr = observation(
        bound.device_id, "8867-4", 80, "/min", at, identifier={"system": "urn:x:hr", "value": "t-1"}
    )
    spo2 = observation(
        bound.device_id, "2708-6", 96, "%", at, identifier={"system": "urn:x:ox", "value": "t-2"}
    )
    return [hr, spo2]  # fmt: skip


async def test_transaction_applies_all(ingest_client, bound, database_url) -> None:
    payload = bundle(*_entries(bound, ago(10)), kind="transaction")
    response = await post_signed(ingest_client, bound.vendor, FHIR, payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert (body["resourceType"], body["type"]) == ("Bundle", "transaction-response")
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 2
    assert await _stored(database_url, bound.admission_id) == 2


async def test_transaction_with_a_bad_entry_stores_nothing(
    ingest_client, bound, database_url
) -> None:
    good, bad = _entries(bound, ago(10))
    bad = {**bad, "valueQuantity": {**bad["valueQuantity"], "value": "96"}}
    response = await post_signed(
        ingest_client, bound.vendor, FHIR, bundle(good, bad, kind="transaction")
    )
    assert response.status_code == 422, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
    assert await _stored(database_url, bound.admission_id) == 0


async def test_transaction_with_a_conflict_is_undone(ingest_client, bound, database_url) -> None:
    at = ago(10)
    hr, spo2 = _entries(bound, at)
    first = await post_signed(ingest_client, bound.vendor, FHIR, hr)
    assert first.json()["counts"]["stored"] == 1
    reused = {**hr, "valueQuantity": {**hr["valueQuantity"], "value": 99}}  # same identifier
    response = await post_signed(
        ingest_client, bound.vendor, FHIR, bundle(spo2, reused, kind="transaction")
    )
    assert response.status_code == 409, response.text
    codes = [i["code"] for i in response.json()["issue"]]
    assert codes == ["conflict", "processing"]
    assert await _stored(database_url, bound.admission_id) == 1  # the SpO2 was undone too


async def test_batch_answers_each_entry(ingest_client, bound, database_url) -> None:
    at = ago(10)
    hr, spo2 = _entries(bound, at)
    await post_signed(ingest_client, bound.vendor, FHIR, hr)
    bad = {**spo2, "status": "preliminary"}
    other = observation("NOBODY-9", "8867-4", 70, "/min", at)
    reused = {**hr, "valueQuantity": {**hr["valueQuantity"], "value": 99}}
    payload = bundle(hr, spo2, bad, other, reused, kind="batch")
    response = await post_signed(ingest_client, bound.vendor, FHIR, payload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "batch-response"
    assert [e["response"]["status"] for e in body["entry"]] == [
        "200 OK", "201 Created", "422 Unprocessable Entity", "202 Accepted", "409 Conflict",
    ]  # fmt: skip
    refused = body["entry"][2]["response"]["outcome"]["issue"][0]
    assert refused["details"]["text"] == "bad_status"
    assert refused["expression"] == ["Bundle.entry[2].resource.status"]
    assert await _stored(database_url, bound.admission_id) == 2


async def test_collection_keeps_the_report(ingest_client, bound) -> None:
    response = await post_signed(
        ingest_client, bound.vendor, FHIR, bundle(*_entries(bound, ago(9)))
    )
    assert response.status_code == 200
    assert response.json()["counts"]["stored"] == 2


async def test_official_examples_in_a_transaction(ingest_client, bound) -> None:
    from tests.monitoring_ingest.domain.adapters.test_fhir_examples import as_sent, example

    names = ("heart-rate", "satO2", "bloodpressure", "body-weight-lb")
    at = ago(10)
    resources = [
        {**as_sent(example(f"observation-example-{n}.json"), device=bound.device_id),
         "effectiveDateTime": at}
        for n in names
    ]  # fmt: skip
    response = await post_signed(
        ingest_client, bound.vendor, FHIR, bundle(*resources, kind="transaction")
    )
    assert response.status_code == 200, response.text
    assert [e["response"]["status"] for e in response.json()["entry"]] == ["201 Created"] * 4
    latest = await ingest_client.get(
        f"/v1/admissions/{bound.admission_id}/latest-vitals", headers=bound.clinician
    )
    values = {r["code"]: round(r["value"], 2) for r in latest.json()}
    assert values == {"8867-4": 44.0, "59408-5": 95.0, "8480-6": 107.0, "8462-4": 60.0,
                      "29463-7": 83.91}  # fmt: skip


async def test_transaction_with_its_device(ingest_client, bound, database_url) -> None:
    hub = f"urn:uuid:{uuid.uuid4()}"
    device = {"resourceType": "Device", "serialNumber": bound.device_id}
    hr, spo2 = ({**r, "device": {"reference": hub}} for r in _entries(bound, ago(10)))
    payload = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": hub, "resource": device, "request": {"method": "POST", "url": "Device"}},
            {"resource": hr, "request": {"method": "POST", "url": "Observation"}},
            {"resource": spo2, "request": {"method": "POST", "url": "Observation"}},
        ],
    }
    response = await post_signed(ingest_client, bound.vendor, FHIR, payload)
    assert response.status_code == 200, response.text
    assert [e["response"]["status"] for e in response.json()["entry"]] == [
        "200 OK", "201 Created", "201 Created",
    ]  # fmt: skip
    assert await _stored(database_url, bound.admission_id) == 2
