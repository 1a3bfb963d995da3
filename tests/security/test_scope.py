"""Valid tokens with the wrong scope, against real records on ward A in ICB A.

Decision, checked for consistency on every route: the ward-scoped routes confirm that a
record exists before checking scope, so a record outside the caller's scope is 403
`wrong-ward` and a record that does not exist is 404. Neither ever returns the record.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.auth import Role
from tests.monitoring_ingest.helpers import new_vendor, post_signed
from tests.security.conftest import ICB_A, ICB_A_ODS, ICB_B, World
from tests.security.routes import ENDPOINTS, Endpoint, assert_problem, problem_slug

SCOPED_PARAMS = {"ward_id", "admission_id", "patient_id", "alert_id"}
SCOPED = [
    e
    for e in ENDPOINTS
    if e.service in ("ward_api", "monitoring_ingest") and SCOPED_PARAMS & set(e.params)
]
NOW = datetime.now(UTC).isoformat()
# A valid body for each scoped route that takes one, so the scope check is what answers.
BODIES: dict[str, dict] = {
    "PATCH /v1/wards/{ward_id}": {"name": "Renamed"},
    "POST /v1/wards/{ward_id}/capacity": {"beds": 9, "reason": "winter"},
    "POST /v1/wards/{ward_id}/partners": {
        "organisation": "Carers Centre",
        "service": "carer support",
        "hours_per_week": 4,
        "contact_role": "coordinator",
    },
    "POST /v1/admissions/{admission_id}/discharge": {"outcome": "completed"},
    "POST /v1/alerts/{alert_id}/resolve": {"resolution": "seen, stable"},
    "POST /v1/admissions/{admission_id}/readings": {
        "readings": [{"code": "hr", "value": 88, "unit": "/min", "at": NOW}]
    },
    "PUT /v1/admissions/{admission_id}/spo2-scale": {"scale": 2, "reason": "COPD, hypercapnic"},
    "PUT /v1/admissions/{admission_id}/monitoring-plan": {
        "interval_minutes": 60,
        "reason": "hourly while on oxygen",
    },
    "POST /v1/admissions/{admission_id}/thresholds": {
        "measure": "heart_rate",
        "direction": "above",
        "limit": 120,
        "reason": "known AF",
    },
}


def _ids(world: World) -> dict[str, str]:
    return {
        "ward_id": world.ward_a,
        "admission_id": world.admission_a,
        "patient_id": world.patient_a,
        "alert_id": world.alert_a,
        "threshold_id": world.threshold_a,
    }


def _body(endpoint: Endpoint) -> bytes | None:
    key = f"{endpoint.method} {endpoint.path}"
    if endpoint.has_body:
        assert key in BODIES, f"add a valid body for {key} to BODIES"
    import orjson

    return orjson.dumps(BODIES[key]) if key in BODIES else None


def test_every_scoped_route_is_covered() -> None:
    services = {e.service for e in SCOPED}
    assert services == {"ward_api", "monitoring_ingest"}
    print(f"ward-scoped routes checked: {len(SCOPED)}")


@pytest.mark.parametrize("endpoint", SCOPED, ids=lambda e: e.label)
async def test_clinician_of_ward_b_is_refused_ward_a(
    clients, auth, world: World, endpoint: Endpoint
) -> None:
    client = clients[endpoint.service]
    headers = auth(Role.clinician, wards=[world.ward_b])
    response = await endpoint.send(client, headers=headers, body=_body(endpoint), **_ids(world))
    expected = "wrong-ward" if "clinician" in endpoint.policy else "wrong-role"
    assert_problem(response, 403, expected)


@pytest.mark.parametrize(
    "endpoint", [e for e in SCOPED if "clinician" in e.policy], ids=lambda e: e.label
)
async def test_missing_records_are_404_for_the_same_caller(
    clients, auth, world: World, endpoint: Endpoint
) -> None:
    """The other half of the decision: ids that do not exist answer 404, never 200 or 500."""
    client = clients[endpoint.service]
    headers = auth(Role.clinician, wards=[world.ward_b])
    missing = {name: str(uuid.uuid4()) for name in SCOPED_PARAMS | {"threshold_id"}}
    response = await endpoint.send(client, headers=headers, body=_body(endpoint), **missing)
    assert_problem(response, 404)


PATIENT_DATA = (
    "patients",
    "admissions",
    "alerts",
    "caseload",
    "waitlist",
    "readings",
    "quarantine",
    "bindings",
    "latest-vitals",
    "events",
)


@pytest.mark.parametrize(
    "endpoint",
    [
        e
        for e in ENDPOINTS
        if e.service in ("ward_api", "monitoring_ingest")
        and not e.signed
        and any(part in e.path.split("/") for part in PATIENT_DATA)
    ],
    ids=lambda e: e.label,
)
async def test_national_commissioner_never_gets_patient_data(
    clients, auth, world: World, endpoint: Endpoint
) -> None:
    client = clients[endpoint.service]
    headers = auth(Role.commissioner, icbs=["*"], wards=["*"])
    body = _body(endpoint) if SCOPED_PARAMS & set(endpoint.params) else None
    response = await endpoint.send(client, headers=headers, body=body, **_ids(world))
    assert_problem(response, 403, "wrong-role", "wrong-ward")


@pytest.mark.parametrize(
    ("service", "method", "path", "body"),
    [
        ("ward_api", "POST", "/v1/admissions", "admit"),
        ("monitoring_ingest", "PUT", "/v1/bindings/{vendor}/DEV-SCOPE-1", "bind"),
        ("monitoring_ingest", "POST", "/v1/quarantine/{quarantine}/attribute", "attribute"),
    ],
)
async def test_ward_named_in_the_body_is_scope_checked(
    clients, auth, world: World, service: str, method: str, path: str, body: str
) -> None:
    bodies = {
        "admit": {
            "patient_id": world.patient_a,
            "ward_id": world.ward_a,
            "pathway": "frailty",
            "referral_source": "gp",
        },
        "bind": {
            "admission_id": world.admission_a,
            "ward_id": world.ward_a,
            "expected_interval_minutes": 240,
            "bound_at": NOW,
        },
        "attribute": {"admission_id": world.admission_a},
    }
    url = path.format(vendor=world.vendor.vendor_id, quarantine=world.quarantine_a)
    headers = {**auth(Role.clinician, wards=[world.ward_b]), "Idempotency-Key": uuid.uuid4().hex}
    response = await clients[service].request(method, url, json=bodies[body], headers=headers)
    assert_problem(response, 403, "wrong-ward")


async def test_lists_hide_ward_a_from_ward_b_and_icb_b(clients, auth, world: World) -> None:
    ward_api = clients["ward_api"]
    for headers in (
        auth(Role.clinician, wards=[world.ward_b]),
        auth(Role.commissioner, icbs=[ICB_B]),
    ):
        listed = await ward_api.get("/v1/wards", headers=headers)
        assert listed.status_code == 200, listed.text
        ids = {w["id"] for w in listed.json()}
        assert world.ward_a not in ids
        filtered = await ward_api.get("/v1/wards", params={"icb_code": ICB_A}, headers=headers)
        assert filtered.status_code == 200 and filtered.json() == [], filtered.text


@pytest.mark.parametrize(
    ("service", "path", "params"),
    [
        ("ward_api", "/v1/capacity", {"code": ICB_A}),
        ("ward_api", "/v1/capacity", {"code": ICB_A_ODS}),
        ("ward_api", "/v1/capacity", {"level": "national"}),
        ("ward_api", "/v1/capacity/history", {"code": ICB_A}),
        ("ward_api", "/v1/capacity/history", {"code": "ENGLAND"}),
        ("ward_api", "/v1/wards/{ward_a}", {}),
        ("ward_api", "/v1/wards/{ward_a}/capacity-history", {}),
        ("ward_api", "/v1/capacity/plans/{plan_a}", {}),
        ("equity_audit", "/v1/audit", {"icb": ICB_A}),
        ("equity_audit", "/v1/audit", {"icb": ICB_A_ODS}),
        ("equity_audit", "/v1/audit", {}),
    ],
)
async def test_commissioner_of_icb_b_is_refused_icb_a(
    clients, auth, world: World, service: str, path: str, params: dict
) -> None:
    url = path.format(ward_a=world.ward_a, plan_a=world.plan_a)
    headers = auth(Role.commissioner, icbs=[ICB_B])
    response = await clients[service].get(url, params=params, headers=headers)
    assert response.status_code in (403, 404), response.text[:500]
    assert_problem(response, response.status_code)
    if response.status_code == 403:
        assert problem_slug(response) in ("wrong-icb", "wrong-ward")


async def test_commissioner_of_icb_b_sees_only_icb_b(clients, auth, world: World) -> None:
    ward_api = clients["ward_api"]
    headers = auth(Role.commissioner, icbs=[ICB_B])
    capacity = await ward_api.get("/v1/capacity", headers=headers)
    assert capacity.status_code == 200, capacity.text
    assert {a["code"] for a in capacity.json()["areas"]} <= {ICB_B}
    plan = await ward_api.post(
        "/v1/capacity/plans",
        json={"new_beds": 5, "icb_codes": [ICB_A]},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert_problem(plan, plan.status_code, "icb-not-found", "wrong-icb")


async def test_vendor_cannot_post_for_another_vendors_device(clients, auth, world: World) -> None:
    ingest = clients["monitoring_ingest"]
    intruder = await new_vendor(ingest)
    reading = {"code": "hr", "value": 150, "unit": "/min", "at": NOW}
    response = await post_signed(
        ingest,
        intruder,
        "/v1/readings/native",
        {"device_id": world.device_a, "readings": [reading]},
    )
    body = assert_problem(response, 403, "wrong-vendor")
    assert body["devices"] == [world.device_a]
    stored = await ingest.get(
        f"/v1/admissions/{world.admission_a}/readings",
        headers=auth(Role.clinician, wards=[world.ward_a]),
    )
    assert stored.status_code == 200, stored.text
    assert all(r["value"] != 150 for r in stored.json())


async def test_refused_calls_changed_nothing(clients, auth, world: World) -> None:
    """After every refusal above, ward A's records are as the fixture left them."""
    clinician_a = auth(Role.clinician, wards=[world.ward_a])
    admission = await clients["ward_api"].get(
        f"/v1/admissions/{world.admission_a}", headers=clinician_a
    )
    assert admission.status_code == 200 and admission.json()["discharged_at"] is None
    alerts = await clients["ward_api"].get(f"/v1/wards/{world.ward_a}/alerts", headers=clinician_a)
    alert = next(a for a in alerts.json() if a["id"] == world.alert_a)
    assert alert["acknowledged_at"] is None and alert["resolved_at"] is None
    thresholds = await clients["monitoring_ingest"].get(
        f"/v1/admissions/{world.admission_a}/thresholds", headers=clinician_a
    )
    assert [t["retired_at"] for t in thresholds.json()] == [None]
    scale = await clients["monitoring_ingest"].get(
        f"/v1/admissions/{world.admission_a}/spo2-scale", headers=clinician_a
    )
    assert scale.json()["scale"] == 1
    plan = await clients["monitoring_ingest"].get(
        f"/v1/admissions/{world.admission_a}/monitoring-plan", headers=clinician_a
    )
    assert plan.status_code == 200 and plan.json()["set_by"] is None
