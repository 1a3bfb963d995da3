"""Vendor credentials: keyed-hash API keys, signed bodies, freshness, replay and rotation."""

from __future__ import annotations

import time
import uuid

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.database import async_url
from tests.monitoring_ingest.helpers import ADMIN, VendorCreds, ago, bind, new_vendor, post_signed

PATH = "/v1/readings/native"


def _batch(device_id: str) -> dict:
    return {
        "device_id": device_id,
        "readings": [{"code": "hr", "value": 72, "unit": "/min", "at": ago(5)}],
    }


def _slug(response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.json()["type"].rsplit("/", 1)[-1]


async def test_signed_request_is_accepted(ingest_client, bound) -> None:
    response = await post_signed(ingest_client, bound.vendor, PATH, _batch(bound.device_id))
    assert response.status_code == 200, response.text
    assert response.json()["counts"]["stored"] == 1


async def test_missing_credentials_are_401(ingest_client) -> None:
    response = await ingest_client.post(PATH, json=_batch("X"))
    assert response.status_code == 401
    assert _slug(response) == "vendor-credentials-missing"


async def test_wrong_api_key_is_401(ingest_client, bound) -> None:
    forged = VendorCreds(bound.vendor.vendor_id, "vwk_forged", bound.vendor.signing_secret, "")
    response = await post_signed(ingest_client, forged, PATH, _batch(bound.device_id))
    assert response.status_code == 401
    assert _slug(response) == "api-key-invalid"


async def test_tampered_body_is_signature_invalid(ingest_client, bound) -> None:
    body = orjson.dumps(_batch(bound.device_id))
    headers = bound.vendor.headers("POST", PATH, body)
    tampered = body.replace(b"72", b"27")
    response = await ingest_client.post(
        PATH, content=tampered, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 401
    assert _slug(response) == "signature-invalid"


async def test_signature_for_another_path_is_invalid(ingest_client, bound) -> None:
    body = orjson.dumps(_batch(bound.device_id))
    headers = bound.vendor.headers("POST", "/v1/readings/fhir", body)
    response = await ingest_client.post(PATH, content=body, headers=headers)
    assert _slug(response) == "signature-invalid"


async def test_old_request_is_signature_expired(ingest_client, bound) -> None:
    response = await post_signed(
        ingest_client, bound.vendor, PATH, _batch(bound.device_id), timestamp=int(time.time()) - 301
    )
    assert response.status_code == 401
    assert _slug(response) == "signature-expired"


async def test_replayed_request_is_refused(ingest_client, bound) -> None:
    body = orjson.dumps(_batch(bound.device_id))
    headers = {**bound.vendor.headers("POST", PATH, body), "content-type": "application/json"}
    first = await ingest_client.post(PATH, content=body, headers=headers)
    assert first.status_code == 200
    again = await ingest_client.post(PATH, content=body, headers=headers)
    assert again.status_code == 401
    assert _slug(again) == "request-replayed"


async def test_key_rotation_keeps_both_keys_valid_until_retired(ingest_client, bound) -> None:
    vendor = bound.vendor
    response = await ingest_client.post(f"/v1/admin/vendors/{vendor.vendor_id}/keys", headers=ADMIN)
    assert response.status_code == 201
    issued = response.json()
    new = VendorCreds(vendor.vendor_id, issued["api_key"], issued["signing_secret"], issued["id"])
    for creds in (vendor, new):
        ok = await post_signed(ingest_client, creds, PATH, _batch(bound.device_id))
        assert ok.status_code == 200, ok.text
    retired = await ingest_client.delete(
        f"/v1/admin/vendors/{vendor.vendor_id}/keys/{vendor.key_id}", headers=ADMIN
    )
    assert retired.status_code == 200 and retired.json()["retired_at"]
    old = await post_signed(ingest_client, vendor, PATH, _batch(bound.device_id))
    assert _slug(old) == "api-key-invalid"
    assert (await post_signed(ingest_client, new, PATH, _batch(bound.device_id))).status_code == 200
    last = await ingest_client.delete(
        f"/v1/admin/vendors/{vendor.vendor_id}/keys/{new.key_id}", headers=ADMIN
    )
    assert last.status_code == 409 and _slug(last) == "last-active-key"


async def test_keys_are_stored_only_as_hashes(ingest_client, vendor, database_url) -> None:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT key_hash, key_prefix FROM monitoring.vendor_keys "
                        "WHERE vendor_id = :v"
                    ),
                    {"v": uuid.UUID(vendor.vendor_id)},
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1
    key_hash, prefix = rows[0]
    assert vendor.api_key.encode() not in key_hash and len(key_hash) == 32
    assert len(prefix) < len(vendor.api_key)
    listing = await ingest_client.get("/v1/admin/vendors", headers=ADMIN)
    assert vendor.api_key not in listing.text and vendor.signing_secret not in listing.text


async def test_device_of_another_vendor_is_403_wrong_vendor(ingest_client, bound) -> None:
    intruder = await new_vendor(ingest_client)
    response = await post_signed(ingest_client, intruder, PATH, _batch(bound.device_id))
    assert response.status_code == 403
    assert _slug(response) == "wrong-vendor"
    assert response.json()["devices"] == [bound.device_id]


async def test_vendor_admin_needs_admin(ingest_client, bound) -> None:
    response = await ingest_client.get("/v1/admin/vendors", headers=bound.clinician)
    assert response.status_code == 403


async def test_duplicate_vendor_name_is_409(ingest_client) -> None:
    name = f"v-{uuid.uuid4()}"
    assert (
        await ingest_client.post("/v1/admin/vendors", json={"name": name}, headers=ADMIN)
    ).status_code == 201
    again = await ingest_client.post("/v1/admin/vendors", json={"name": name}, headers=ADMIN)
    assert again.status_code == 409 and _slug(again) == "vendor-exists"


async def test_register_device_then_bind(ingest_client, vendor) -> None:
    path = f"/v1/admin/vendors/{vendor.vendor_id}/devices"
    first = await ingest_client.post(path, json={"device_id": "REG-1"}, headers=ADMIN)
    again = await ingest_client.post(path, json={"device_id": "REG-1"}, headers=ADMIN)
    assert (first.status_code, again.status_code) == (201, 200)
    listing = await ingest_client.get(path, headers=ADMIN)
    assert [d["device_id"] for d in listing.json()] == ["REG-1"]
    await bind(ingest_client, vendor, device_id="REG-1")


async def test_vendor_over_its_rate_limit_gets_429_and_others_do_not(
    ingest_client, database_url
) -> None:
    from services.monitoring_ingest.app import create_app
    from services.monitoring_ingest.settings import IngestSettings
    from tests.conftest import serve_in_process

    busy = await bind(ingest_client, await new_vendor(ingest_client))
    quiet = await bind(ingest_client, await new_vendor(ingest_client))
    settings = IngestSettings(
        database_url=database_url, rate_limit_per_second=0.5, rate_limit_burst=2
    )
    async with serve_in_process(create_app(settings)) as limited:
        for _ in range(2):
            ok = await post_signed(limited, busy.vendor, PATH, _batch(busy.device_id))
            assert ok.status_code == 200, ok.text
        body = orjson.dumps(_batch(busy.device_id))
        headers = {**busy.vendor.headers("POST", PATH, body), "content-type": "application/json"}
        refused = await limited.post(PATH, content=body, headers=headers)
        assert refused.status_code == 429
        assert _slug(refused) == "rate-limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["retry_after_seconds"] == int(refused.headers["retry-after"])
        for _ in range(2):  # another vendor has its own budget
            other = await post_signed(limited, quiet.vendor, PATH, _batch(quiet.device_id))
            assert other.status_code == 200, other.text

    # The refused request left no replay record: resent as signed, once allowed, it is stored.
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            seen = await conn.scalar(
                text("SELECT count(*) FROM monitoring.seen_signatures WHERE signature = :s"),
                {"s": bytes.fromhex(headers["X-Signature"])},
            )
    finally:
        await engine.dispose()
    assert seen == 0
    resent = await ingest_client.post(PATH, content=body, headers=headers)
    assert resent.status_code == 200 and resent.json()["counts"]["stored"] == 1
