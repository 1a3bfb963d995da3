"""Request dependencies of monitoring_ingest: settings, the ward_api client, vendor auth."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.monitoring_ingest.clients.ward_api import WardApiClient
from services.monitoring_ingest.settings import IngestSettings
from services.monitoring_ingest.vendors import service as vendors
from shared.auth import POLICY_ATTR
from shared.database import SessionDep


def get_settings(request: Request) -> IngestSettings:
    return request.app.state.settings


def get_ward_api(request: Request) -> WardApiClient:
    return request.app.state.ward_api


SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
WardApiDep = Annotated[WardApiClient, Depends(get_ward_api)]


async def vendor_auth(
    request: Request, session: SessionDep, settings: SettingsDep
) -> vendors.VendorCaller:
    """Vendor requests: API key plus HMAC signature over timestamp, method, path and body.

    Then the vendor's rate limit (429 with Retry-After), counted only for authenticated
    requests so nobody can spend another vendor's budget. A refused request rolls back with
    its transaction, replay record included, so the vendor may resend it as signed.
    """
    headers = request.headers
    caller = await vendors.authenticate(
        session,
        pepper=settings.key_pepper.get_secret_value().encode(),
        max_age_seconds=settings.signature_max_age_seconds,
        vendor_id=headers.get("x-vendor-id"),
        api_key=headers.get("x-api-key"),
        timestamp=headers.get("x-timestamp"),
        signature=headers.get("x-signature"),
        method=request.method,
        path=request.url.path,
        body=await request.body(),
    )
    request.app.state.rate_limiter.check(f"vendor:{caller.vendor_id}")
    return caller


setattr(vendor_auth, POLICY_ATTR, frozenset({"vendor"}))

VendorDep = Annotated[vendors.VendorCaller, Depends(vendor_auth)]
