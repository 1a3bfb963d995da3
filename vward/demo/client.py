"""The demo's HTTP side: the three services' public APIs, called as a real client would.

Tokens are minted with the platform's TokenCodec and VWARD_JWT_SECRET (as `vward token`
does); device vendors sign each request with their issued secret:
    X-Signature = hex(HMAC-SHA256(signing_secret, f"{timestamp}.{METHOD}.{path}." + body))
Nothing here imports a service: if an API changes, this file is what breaks, as it would for
any other client.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from shared.auth import Role, TokenCodec

__all__ = ["ApiError", "DemoClient", "ServiceUrls", "Tokens", "Vendor"]


class ApiError(Exception):
    """A service answered with an unexpected status; `problem` is its problem+json body."""

    def __init__(self, what: str, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            self.problem: dict[str, Any] = response.json()
        except ValueError:
            self.problem = {"detail": response.text[:200]}
        self.slug = str(self.problem.get("type", "")).rsplit("/", 1)[-1]
        super().__init__(
            f"{what}: {self.status} {self.slug or ''} {self.problem.get('detail', '')}"
        )


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    ward_api: str = "http://127.0.0.1:8001"
    monitoring_ingest: str = "http://127.0.0.1:8002"
    equity_audit: str = "http://127.0.0.1:8003"


@dataclass
class Tokens:
    """Short-lived bearer tokens for the demo's actors, re-minted before they expire."""

    codec: TokenCodec
    ttl_seconds: int = 1800
    _cache: dict[tuple[str, ...], tuple[float, str]] = field(default_factory=dict)

    def header(
        self, role: Role, *, icbs: tuple[str, ...] = (), wards: tuple[str, ...] = ()
    ) -> dict[str, str]:
        key = (str(role), *icbs, "|", *wards)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] < now:
            token = self.codec.issue(
                subject=f"demo-{role}",
                role=role,
                icbs=icbs,
                wards=wards,
                ttl_seconds=self.ttl_seconds,
            )
            cached = (now + self.ttl_seconds / 2, token)
            self._cache[key] = cached
        return {"Authorization": f"Bearer {cached[1]}"}

    def admin(self) -> dict[str, str]:
        return self.header(Role.admin)

    def clinician(self) -> dict[str, str]:
        return self.header(Role.clinician, wards=("*",))


@dataclass(frozen=True, slots=True)
class Vendor:
    """A device vendor registered in monitoring_ingest, with the key it signs requests with."""

    id: str
    name: str
    format: str  # native | fhir | openmhealth
    api_key: str
    signing_secret: str

    def signed_headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
        signature = hmac.new(self.signing_secret.encode(), message, hashlib.sha256).hexdigest()
        return {
            "X-Vendor-Id": self.id,
            "X-Api-Key": self.api_key,
            "X-Timestamp": timestamp,
            "X-Signature": signature,
            "Content-Type": "application/json",
        }


def _expect(response: httpx.Response, what: str, *ok: int) -> Any:
    if response.status_code not in ok:
        raise ApiError(what, response)
    return response.json()


class DemoClient:
    """One httpx.AsyncClient per service; methods named after what a user of the API does."""

    def __init__(self, urls: ServiceUrls, tokens: Tokens, *, timeout: float = 15.0) -> None:
        self.urls = urls
        self.tokens = tokens
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        make = lambda base: httpx.AsyncClient(  # noqa: E731
            base_url=base, timeout=timeout, limits=limits, trust_env=False
        )
        self.ward = make(urls.ward_api)
        self.ingest = make(urls.monitoring_ingest)
        self.equity = make(urls.equity_audit)

    async def aclose(self) -> None:
        await asyncio.gather(self.ward.aclose(), self.ingest.aclose(), self.equity.aclose())

    async def wait_ready(self, within: float = 60.0) -> None:
        """Poll each service's /readyz until all answer 200."""
        deadline = time.monotonic() + within
        for client in (self.ward, self.ingest, self.equity):
            while True:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                    last = "not ready"
                except httpx.HTTPError as exc:
                    last = str(exc) or type(exc).__name__
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{client.base_url} not ready: {last}")
                await asyncio.sleep(0.5)

    # ---- ward_api: wards (admin) -------------------------------------------------------

    async def wards(self, icb_code: str) -> list[dict[str, Any]]:
        response = await self.ward.get(
            "/v1/wards", params={"icb_code": icb_code}, headers=self.tokens.admin()
        )
        return _expect(response, "list wards", 200)

    async def create_ward(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.ward.post("/v1/wards", json=body, headers=self.tokens.admin())
        return _expect(response, "create ward", 201)

    async def change_capacity(self, ward_id: str, beds: int, reason: str) -> dict[str, Any]:
        response = await self.ward.post(
            f"/v1/wards/{ward_id}/capacity",
            json={"beds": beds, "reason": reason},
            headers=self.tokens.admin(),
        )
        return _expect(response, "change capacity", 200)

    async def reopen_ward(self, ward_id: str) -> None:
        response = await self.ward.patch(
            f"/v1/wards/{ward_id}", json={"status": "open"}, headers=self.tokens.admin()
        )
        _expect(response, "reopen ward", 200)

    # ---- ward_api: patients and admissions (clinician) ---------------------------------

    async def register_patient(self, body: dict[str, Any]) -> str:
        """The patient's id; a patient already registered (same NHS number) is reused."""
        response = await self.ward.post(
            "/v1/patients",
            json=body,
            headers={**self.tokens.clinician(), "Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code == 409:
            error = ApiError("register patient", response)
            if error.slug == "patient-exists" and "patient_id" in error.problem:
                return str(error.problem["patient_id"])
            raise error
        return str(_expect(response, "register patient", 201)["id"])

    async def admit(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """(201, admission) or (409, problem: `ward-full` wait-listed, `already-admitted`)."""
        response = await self.ward.post(
            "/v1/admissions",
            json=body,
            headers={**self.tokens.clinician(), "Idempotency-Key": uuid.uuid4().hex},
        )
        if response.status_code in (201, 409):
            return response.status_code, response.json()
        raise ApiError("admit", response)

    async def admission(self, admission_id: str) -> dict[str, Any]:
        response = await self.ward.get(
            f"/v1/admissions/{admission_id}", headers=self.tokens.clinician()
        )
        return _expect(response, "get admission", 200)

    async def discharge(self, admission_id: str, outcome: str) -> dict[str, Any]:
        response = await self.ward.post(
            f"/v1/admissions/{admission_id}/discharge",
            json={"outcome": outcome},
            headers=self.tokens.clinician(),
        )
        return _expect(response, "discharge", 200)

    async def caseload(self, ward_id: str) -> dict[str, Any]:
        response = await self.ward.get(
            f"/v1/wards/{ward_id}/caseload", headers=self.tokens.clinician()
        )
        return _expect(response, "caseload", 200)

    async def open_alerts(self, ward_id: str) -> list[dict[str, Any]]:
        response = await self.ward.get(
            f"/v1/wards/{ward_id}/alerts",
            params={"open_only": "true"},
            headers=self.tokens.clinician(),
        )
        return _expect(response, "list alerts", 200)

    async def acknowledge(self, alert_id: str) -> dict[str, Any]:
        response = await self.ward.post(
            f"/v1/alerts/{alert_id}/acknowledge", headers=self.tokens.clinician()
        )
        return _expect(response, "acknowledge alert", 200)

    async def resolve(self, alert_id: str, resolution: str) -> dict[str, Any]:
        response = await self.ward.post(
            f"/v1/alerts/{alert_id}/resolve",
            json={"resolution": resolution},
            headers=self.tokens.clinician(),
        )
        return _expect(response, "resolve alert", 200, 409)

    async def capacity(self, icb_code: str) -> dict[str, Any]:
        response = await self.ward.get(
            "/v1/capacity",
            params={"level": "icb", "code": icb_code},
            headers=self.tokens.header(Role.commissioner, icbs=(icb_code,)),
        )
        return _expect(response, "capacity", 200)

    async def inclusion_plan(self, icb_codes: list[str], new_beds: int) -> dict[str, Any]:
        """A stored capacity plan over the ICBs with inclusion costed beside beds (issue #15)."""
        response = await self.ward.post(
            "/v1/capacity/plans",
            json={"new_beds": new_beds, "icb_codes": icb_codes, "include_inclusion": True},
            headers={
                **self.tokens.header(Role.commissioner, icbs=tuple(icb_codes)),
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        return _expect(response, "inclusion plan", 201)

    # ---- monitoring_ingest -------------------------------------------------------------

    async def register_vendor(self, name: str, format_name: str) -> Vendor:
        """Register the vendor, or issue a fresh key if a vendor of that name exists."""
        response = await self.ingest.post(
            "/v1/admin/vendors", json={"name": name}, headers=self.tokens.admin()
        )
        if response.status_code == 409:
            error = ApiError("register vendor", response)
            if error.slug != "vendor-exists" or "vendor_id" not in error.problem:
                raise error
            vendor_id = str(error.problem["vendor_id"])
            response = await self.ingest.post(
                f"/v1/admin/vendors/{vendor_id}/keys", headers=self.tokens.admin()
            )
            key = _expect(response, "issue vendor key", 201)
        else:
            key = _expect(response, "register vendor", 201)["issued_key"]
        return Vendor(
            str(key["vendor_id"]), name, format_name, key["api_key"], key["signing_secret"]
        )

    async def send_readings(self, vendor: Vendor, payload: Any) -> dict[str, Any]:
        """POST a signed batch to /v1/readings/{format}; the per-item ingest report."""
        path = f"/v1/readings/{vendor.format}"
        body = orjson.dumps(payload)
        response = await self.ingest.post(
            path, content=body, headers=vendor.signed_headers("POST", path, body)
        )
        return _expect(response, f"send readings ({vendor.format})", 200)

    async def enter_readings(
        self, admission_id: str, readings: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A clinician's entry (e.g. ACVPU from a video review) for an admission."""
        response = await self.ingest.post(
            f"/v1/admissions/{admission_id}/readings",
            json={"readings": readings},
            headers=self.tokens.clinician(),
        )
        return _expect(response, "enter readings", 200)

    # ---- equity_audit ------------------------------------------------------------------

    async def refresh_snapshot(self) -> dict[str, Any]:
        response = await self.equity.post(
            "/v1/admin/snapshots/refresh", params={"full": "true"}, headers=self.tokens.admin()
        )
        return _expect(response, "refresh uptake snapshot", 200)

    async def audit(self, icb_code: str | None, format_name: str = "json") -> httpx.Response:
        params = {"format": format_name} | ({"icb": icb_code} if icb_code else {})
        response = await self.equity.get(
            "/v1/audit", params=params, headers=self.tokens.header(Role.admin)
        )
        if response.status_code != 200:
            raise ApiError("equity audit", response)
        return response
