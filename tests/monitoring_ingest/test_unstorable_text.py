"""Text PostgreSQL cannot store (NUL) in one item is that item's refusal, never the batch's."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.monitoring_ingest.helpers import ago, post_signed, statuses

NATIVE = "/v1/readings/native"


def _native(device_id: str, n: int) -> dict:
    at = ago(5)
    return {
        "device_id": device_id,
        "readings": [
            {"id": f"r-{i}-{at}", "code": "hr", "value": 60 + i, "unit": "/min", "at": at}
            for i in range(n)
        ],
    }


async def test_nul_in_one_native_id_refuses_that_item_only(ingest_client, bound) -> None:
    batch = _native(bound.device_id, 5)
    batch["readings"][3]["id"] = "bad\x00id"
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["stored", "stored", "stored", "refused", "stored"]
    refused = response.json()["items"][3]
    assert refused["pointer"] == "/readings/3/id", refused
    assert refused["reason"] == "invalid_value"


async def test_nul_in_one_native_device_id_refuses_that_item_only(ingest_client, bound) -> None:
    batch = _native(bound.device_id, 3)
    batch["readings"][1]["device_id"] = bound.device_id + "\x00"
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    assert statuses(response) == ["stored", "refused", "stored"]
    assert response.json()["items"][1]["pointer"] == "/readings/1/device_id"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    size=st.integers(min_value=1, max_value=6),
    data=st.data(),
)
async def test_any_nul_item_is_refused_alone(ingest_client, bound, size: int, data) -> None:
    """Wherever NUL lands in a batch's ids, exactly those items are refused, each pointed at."""
    bad = data.draw(st.sets(st.integers(min_value=0, max_value=size - 1)))
    field = data.draw(st.sampled_from(["id", "device_id"]))
    text = data.draw(st.text(max_size=5))
    batch = _native(bound.device_id, size)
    for index in bad:
        original = batch["readings"][index].get(field, bound.device_id)
        batch["readings"][index][field] = original + text + "\x00"
    response = await post_signed(ingest_client, bound.vendor, NATIVE, batch)
    got = statuses(response)
    assert [i for i, s in enumerate(got) if s == "refused"] == sorted(bad)
    for index in bad:
        assert response.json()["items"][index]["pointer"] == f"/readings/{index}/{field}"
    assert all(s in ("stored", "duplicate") for i, s in enumerate(got) if i not in bad)


async def test_nul_in_one_fhir_observation_refuses_that_entry_only(ingest_client, bound) -> None:
    at = ago(7)

    def observation(code: str, value: float, device: str, ident: str) -> dict:
        return {
            "resourceType": "Observation",
            "status": "final",
            "identifier": [{"value": ident}],
            "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
            "effectiveDateTime": at,
            "device": {"identifier": {"value": device}},
            "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org",
                              "code": "/min", "unit": "/min"},
        }  # fmt: skip

    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": observation("8867-4", 71, bound.device_id, f"f1-{at}")},
            {"resource": observation("8867-4", 72, bound.device_id + "\x00", f"f2-{at}")},
            {"resource": observation("8867-4", 73, bound.device_id, f"f3\x00-{at}")},
        ],
    }
    response = await post_signed(ingest_client, bound.vendor, "/v1/readings/fhir", bundle)
    assert statuses(response) == ["stored", "refused", "refused"], response.text


async def test_nul_in_one_openmhealth_point_refuses_it(ingest_client, bound) -> None:
    point = {
        "header": {
            "id": "omh\x00id",
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
    assert statuses(response) == ["refused"], response.text


async def test_nul_in_one_csv_row_refuses_that_row_only(ingest_client, bound) -> None:
    at = ago(600)
    rows = [
        "device_id,reading_id,code,value,unit,observed_at,provenance",
        f"{bound.device_id},n1-{at},hr,70,/min,{at},device",
        f"{bound.device_id},n2\x00-{at},hr,71,/min,{at},device",
        f"{bound.device_id}\x00,n3-{at},hr,72,/min,{at},device",
        f"{bound.device_id},n4-{at},hr,73,/min,{at},device",
    ]
    body = ("\n".join(rows) + "\n").encode()
    response = await post_signed(
        ingest_client, bound.vendor, "/v1/readings/csv", body, content_type="text/csv"
    )
    assert statuses(response) == ["stored", "refused", "refused", "stored"], response.text
    assert response.json()["items"][1]["pointer"] == "line 3"


async def test_nul_in_one_clinician_entry_refuses_that_entry_only(ingest_client, bound) -> None:
    """Clinician entry is a batch too: the body-wide text check leaves it to the items."""
    at = ago(4)
    body = {
        "readings": [
            {"code": "hr", "value": 70, "unit": "/min", "at": at},
            {"code": "h\x00r", "value": 71, "unit": "/min", "at": at},
            {"code": "rr", "value": 16, "unit": "/min\x00", "at": at},
            {"code": "temp", "value": 37.1, "unit": "Cel", "at": at},
        ]
    }
    response = await ingest_client.post(
        f"/v1/admissions/{bound.admission_id}/readings", json=body, headers=bound.clinician
    )
    assert statuses(response) == ["stored", "refused", "refused", "stored"], response.text


async def test_lone_surrogate_in_one_native_id_refuses_that_item_only(ingest_client, bound) -> None:
    """A lone surrogate escape is valid JSON but not text: that item's refusal, not a 400."""
    batch = _native(bound.device_id, 3)
    batch["readings"][2]["id"] = "SURROGATE"
    body = orjson.dumps(batch).replace(b"SURROGATE", b"r-\\ud800")
    response = await post_signed(ingest_client, bound.vendor, NATIVE, body)
    assert statuses(response) == ["stored", "stored", "refused"]
    assert response.json()["items"][2]["pointer"] == "/readings/2/id"
