"""Helpers for monitoring_ingest tests: vendors with keys, signed requests, bindings."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from services.monitoring_ingest.vendors.credentials import sign
from shared.auth import Role, TokenCodec
from tests.conftest import TEST_JWT_SECRET

CODEC = TokenCodec(TEST_JWT_SECRET)


def bearer(role: Role, **scopes: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {CODEC.issue(subject=f'test-{role}', role=role, **scopes)}"}


ADMIN = bearer(Role.admin)
SERVICE = bearer(Role.service, icbs=["*"], wards=["*"])


@dataclass
class VendorCreds:
    vendor_id: str
    api_key: str
    signing_secret: str
    key_id: str

    def headers(
        self, method: str, path: str, body: bytes, *, timestamp: int | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Vendor-Id": self.vendor_id,
            "X-Api-Key": self.api_key,
            "X-Timestamp": ts,
            "X-Signature": sign(
                self.signing_secret, timestamp=ts, method=method, path=path, body=body
            ),
        }


async def new_vendor(client: httpx.AsyncClient) -> VendorCreds:
    response = await client.post(
        "/v1/admin/vendors", json={"name": f"vendor-{uuid.uuid4()}"}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    body = response.json()
    key = body["issued_key"]
    return VendorCreds(body["id"], key["api_key"], key["signing_secret"], key["id"])


async def post_signed(
    client: httpx.AsyncClient,
    creds: VendorCreds,
    path: str,
    payload: Any,
    *,
    content_type: str = "application/json",
    timestamp: int | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    headers = {
        **creds.headers("POST", path, body, timestamp=timestamp),
        "content-type": content_type,
    }
    return await client.post(path, content=body, headers=headers)


@dataclass
class Bound:
    vendor: VendorCreds
    device_id: str
    admission_id: str
    ward_id: str

    @property
    def clinician(self) -> dict[str, str]:
        return bearer(Role.clinician, wards=[self.ward_id])


async def bind(
    client: httpx.AsyncClient,
    vendor: VendorCreds,
    *,
    device_id: str | None = None,
    admission_id: str | None = None,
    ward_id: str | None = None,
    interval: int = 240,
    bound_at: datetime | None = None,
) -> Bound:
    device_id = device_id or f"DEV-{uuid.uuid4().hex[:12]}"
    admission_id = admission_id or str(uuid.uuid4())
    ward_id = ward_id or str(uuid.uuid4())
    bound_at = bound_at or datetime.now(UTC) - timedelta(days=2)
    response = await client.put(
        f"/v1/internal/bindings/{vendor.vendor_id}/{device_id}",
        json={
            "admission_id": admission_id,
            "ward_id": ward_id,
            "expected_interval_minutes": interval,
            "bound_at": bound_at.isoformat(),
        },
        headers=SERVICE,
    )
    assert response.status_code == 201, response.text
    return Bound(vendor, device_id, admission_id, ward_id)


def ago(minutes: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def full_set(at: str, *, rr=16, spo2=97, sbp=125, hr=70, temp=37.0, acvpu="A", oxygen=False):
    """A complete NEWS2 set in the native format (defaults score 0)."""
    return [
        {"code": "rr", "value": rr, "unit": "/min", "at": at},
        {"code": "spo2", "value": spo2, "unit": "%", "at": at},
        {"code": "sbp", "value": sbp, "unit": "mm[Hg]", "at": at},
        {"code": "hr", "value": hr, "unit": "/min", "at": at},
        {"code": "temp", "value": temp, "unit": "Cel", "at": at},
        {"code": "acvpu", "value": acvpu, "at": at},
        {"code": "on_oxygen", "value": oxygen, "at": at},
    ]


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["status"] for item in response.json()["items"]]
