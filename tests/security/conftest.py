"""Security fixtures: reference data, and a small world of two ICBs' wards with real data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from shared.auth import Role
from tests.equity_audit.conftest import reference_dir, reference_loaded  # noqa: F401
from tests.monitoring_ingest.helpers import VendorCreds, new_vendor, post_signed
from tests.ward_api.conftest import admit_body, key, nhs_number, reference  # noqa: F401

# ICB A holds the data; ICB B is where the wrong-scope callers belong.
ICB_A, ICB_A_ODS = "E54000050", "QHM"  # North East and North Cumbria
ICB_B, ICB_B_ODS = "E54000029", "QMF"  # North East London
LSOA_A = "E01012345"  # in ICB A


@dataclass(frozen=True)
class World:
    """Ids of real records on ward A (ICB A), and an empty ward B (ICB B)."""

    ward_a: str
    ward_b: str
    patient_a: str
    admission_a: str
    alert_a: str
    threshold_a: str
    quarantine_a: str
    plan_a: str
    vendor: VendorCreds
    device_a: str


async def _ok(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json()


async def _ward(client: httpx.AsyncClient, auth, icb: str) -> str:
    body = {
        "name": f"Security ward {uuid.uuid4().hex[:6]}",
        "icb_code": icb,
        "provider_ods_code": "RBL",
        "provider_name": "Test Trust",
        "pathways": ["acute_respiratory_infection", "frailty"],
        "beds": 3,
    }
    return (await _ok(await client.post("/v1/wards", json=body, headers=auth(Role.admin))))["id"]


@pytest.fixture(scope="session")
def clients(
    ward_client,
    ingest_client,
    equity_client,
    reference,  # noqa: F811
    reference_loaded,  # noqa: F811
) -> dict[str, httpx.AsyncClient]:
    """The three services in-process with reference data, by name (started before any test).

    monitoring_ingest asks ward_api about admissions over its real typed client, carried
    in-process to ward_api's app.
    """
    from services.monitoring_ingest.clients.ward_api import WardApiClient

    ingest_app = ingest_client.app
    ingest_app.state.ward_api = WardApiClient(
        "http://ward-api",
        codec=ingest_app.state.token_codec,
        caller="monitoring_ingest",
        transport=httpx.ASGITransport(app=ward_client.app),
    )
    return {
        "ward_api": ward_client,
        "monitoring_ingest": ingest_client,
        "equity_audit": equity_client,
    }


@pytest.fixture(scope="session")
async def world(ward_client, ingest_client, auth, reference) -> World:  # noqa: F811
    """Wards A and B; on A a patient, admission, alert, binding, threshold, quarantined reading."""
    ward_a, ward_b = await _ward(ward_client, auth, ICB_A), await _ward(ward_client, auth, ICB_B)
    clinician_a = auth(Role.clinician, wards=[ward_a])
    patient = await _ok(
        await ward_client.post(
            "/v1/patients",
            json={
                "nhs_number": nhs_number(),
                "date_of_birth": "1948-03-02",
                "sex": "female",
                "ethnic_category": "A",
                "lsoa11cd": LSOA_A,
                "own_device": True,
                "broadband": True,
                "housing_concern": False,
            },
            headers=clinician_a,
        )
    )
    admission = await _ok(
        await ward_client.post(
            "/v1/admissions",
            json=admit_body(patient, {"id": ward_a}),
            headers={**clinician_a, **key()},
        )
    )
    alert_id = str(uuid.uuid4())
    await _ok(
        await ward_client.post(
            "/v1/internal/alerts",
            json={
                "alert_id": alert_id,
                "admission_id": admission["id"],
                "ward_id": ward_a,
                "kind": "news2_high",
                "news2_score": 7,
                "risk": "high",
                "detail": "aggregate NEWS2 7",
                "raised_at": datetime.now(UTC).isoformat(),
            },
            headers=auth(Role.service),
        )
    )
    plan = await _ok(
        await ward_client.post(
            "/v1/capacity/plans",
            json={"new_beds": 5, "icb_codes": [ICB_A]},
            headers={**auth(Role.commissioner, icbs=[ICB_A]), **key()},
        )
    )
    # monitoring_ingest learns of the admission through its binding (ward_api's worker is off).
    vendor = await new_vendor(ingest_client)
    device = f"DEV-{uuid.uuid4().hex[:12]}"
    await _ok(
        await ingest_client.put(
            f"/v1/internal/bindings/{vendor.vendor_id}/{device}",
            json={
                "admission_id": admission["id"],
                "ward_id": ward_a,
                "icb_codes": [ICB_A, ICB_A_ODS],
                "expected_interval_minutes": 240,
                "bound_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
            },
            headers=auth(Role.service),
        )
    )
    threshold = await _ok(
        await ingest_client.post(
            f"/v1/admissions/{admission['id']}/thresholds",
            json={
                "measure": "heart_rate",
                "direction": "above",
                "limit": 130,
                "reason": "known AF",
            },
            headers=clinician_a,
        )
    )
    # A reading from a device bound to nobody is quarantined for a clinician to attribute.
    stray = f"DEV-{uuid.uuid4().hex[:12]}"
    reading = {"code": "hr", "value": 80, "unit": "/min", "at": datetime.now(UTC).isoformat()}
    report = await _ok(
        await post_signed(
            ingest_client,
            vendor,
            "/v1/readings/native",
            {"device_id": stray, "readings": [reading]},
        )
    )
    assert [item["status"] for item in report["items"]] == ["quarantined"], report
    quarantine = await _ok(
        await ingest_client.get(
            "/v1/quarantine", params={"limit": 5000}, headers=auth(Role.clinician, wards=["*"])
        )
    )
    entry = next(q for q in quarantine if q["device_id"] == stray)
    return World(
        ward_a=ward_a,
        ward_b=ward_b,
        patient_a=patient["id"],
        admission_a=admission["id"],
        alert_a=alert_id,
        threshold_a=threshold["id"],
        quarantine_a=entry["id"],
        plan_a=plan["id"],
        vendor=vendor,
        device_a=device,
    )
