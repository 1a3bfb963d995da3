"""Every route of every service against every caller: who gets in, who gets 401 and 403.

The matrix is generated from each service's route table and the policy each route declares
(`allow(...)`, `public()` or the vendor signature), so a new route is covered the day it is
added, and a route that forgets its policy fails `test_every_route_declares_a_policy`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.auth import Role, undeclared_routes
from tests.security.conftest import ICB_A, ICB_A_ODS, ICB_B
from tests.security.routes import (
    ENDPOINTS,
    PUBLIC,
    ROLES,
    TABLES,
    Endpoint,
    assert_problem,
    problem_slug,
)

CALLERS: tuple[Role | None, ...] = (None, *ROLES)
CELLS = [(e, caller) for e in ENDPOINTS for caller in CALLERS]

# (service METHOD path, caller) -> defect; each is xfail(strict=True) until it is fixed.
KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


def _scopes(role: Role) -> dict:
    """The broadest token of each role, so only the role decides the answer."""
    if role is Role.vendor:
        return {"vendor": "00000000-0000-0000-0000-000000000001"}
    return {"icbs": ["*"], "wards": ["*"]}


def _caller_name(caller: Role | None) -> str:
    return "anonymous" if caller is None else str(caller)


def _cells(pairs: list[tuple[Endpoint, Role | None]]) -> list:
    params = []
    for endpoint, caller in pairs:
        key = (endpoint.label, _caller_name(caller))
        marks = []
        if key in KNOWN_DEFECTS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[key]))
        params.append(
            pytest.param(endpoint, caller, id=f"{endpoint.label} as {key[1]}", marks=marks)
        )
    return params


def test_every_route_declares_a_policy() -> None:
    for name, app in TABLES.items():
        assert undeclared_routes(app) == [], name


def test_matrix_size() -> None:
    """Print how many route × caller cells the matrix checks; every service contributes."""
    assert {e.service for e in ENDPOINTS} == set(TABLES)
    print(
        f"authorization matrix: {len(ENDPOINTS)} routes × {len(CALLERS)} callers "
        f"(anonymous + {len(ROLES)} roles) = {len(CELLS)} cells"
    )


@pytest.mark.parametrize(("endpoint", "caller"), _cells(CELLS))
async def test_route_answers_caller_by_policy(
    clients, auth, endpoint: Endpoint, caller: Role | None
) -> None:
    client = clients[endpoint.service]
    headers = {} if caller is None else auth(caller, **_scopes(caller))
    response = await endpoint.send(client, headers=headers)
    assert response.status_code < 500 or response.status_code in (502, 503), response.text[:500]

    if PUBLIC in endpoint.policy:
        assert response.status_code not in (401, 403), response.text[:500]
    elif endpoint.signed:
        # Vendor routes take a signed request, never a bearer token, whatever its role.
        assert_problem(response, 401, "vendor-credentials-missing")
    elif caller is None:
        assert_problem(response, 401, "token-missing")
        assert response.headers["www-authenticate"].startswith("Bearer")
    elif str(caller) not in endpoint.policy:
        body = assert_problem(response, 403, "wrong-role")
        assert body["allowed_roles"] == sorted(endpoint.policy)
    else:
        assert response.status_code != 401, response.text[:500]
        assert problem_slug(response) != "wrong-role", response.text[:500]


# FastAPI reads and json-decodes a declared body before it runs any dependency; the
# validation handler therefore judges the caller first (shared.auth.refusal_before_body).


def _refused_cells() -> list:
    """Routes that take a body, with a caller the policy refuses (anonymous or a wrong role)."""
    params = []
    for endpoint in ENDPOINTS:
        if endpoint.method == "GET" or PUBLIC in endpoint.policy or endpoint.signed:
            continue
        wrong = next(r for r in ROLES if str(r) not in endpoint.policy)
        for caller in (None, wrong):
            label = f"{endpoint.label} as {_caller_name(caller)}"
            params.append(pytest.param(endpoint, caller, id=label))
    return params


@pytest.mark.parametrize(("endpoint", "caller"), _refused_cells())
async def test_auth_is_checked_before_the_body_is_parsed(
    clients, auth, endpoint: Endpoint, caller: Role | None
) -> None:
    """A caller the policy refuses learns nothing about the body: 401/403, not 400/422."""
    client = clients[endpoint.service]
    headers = {} if caller is None else auth(caller, **_scopes(caller))
    response = await endpoint.send(client, headers=headers, body=b'{"not json')
    if caller is None:
        assert_problem(response, 401, "token-missing")
    else:
        assert_problem(response, 403, "wrong-role")


@pytest.mark.parametrize("path", ["/v1/readings/native", "/v1/readings/fhir"])
async def test_vendor_routes_refuse_a_bad_signature(ingest_client, world, path: str) -> None:
    """A real vendor's key with a signature over something else is 401 `signature-invalid`."""
    headers = {
        **world.vendor.headers("POST", path, b"{}"),
        "X-Signature": "0" * 64,
        "content-type": "application/json",
    }
    response = await ingest_client.post(path, content=b"{}", headers=headers)
    assert_problem(response, 401, "signature-invalid")


# Scope, beyond roles: the same table of tokens against ward A's admission in both services.

# The alert outbox (`/v1/alerts` in monitoring_ingest) is an operators' delivery view, not a record.
PATIENT_DATA = ("admissions", "patients", "readings", "quarantine", "bindings", "events")


def _patient_routes() -> list[Endpoint]:
    """Routes on patient-level data for people (not vendor-signed, not service-internal)."""
    return [
        e
        for e in ENDPOINTS
        if e.service in ("ward_api", "monitoring_ingest")
        and not e.signed
        and "/internal/" not in e.path
        and any(part in e.path.split("/") for part in PATIENT_DATA)
    ]


@pytest.mark.parametrize("endpoint", _patient_routes(), ids=lambda e: e.label)
def test_admins_never_get_patient_data_in_either_service(endpoint: Endpoint) -> None:
    """One policy: ward_api and monitoring_ingest both refuse admins patient-level data."""
    assert "admin" not in endpoint.policy, endpoint.label


# (token scopes, may read ward A's admission); ward A is in ICB A (ONS E54000050, ODS QHM).
SCOPE_TABLE: list[tuple[str, dict, bool]] = [
    ("ward A", {"wards": ["{ward_a}"]}, True),
    ("ward B", {"wards": ["{ward_b}"]}, False),
    ("ICB A by ONS code", {"icbs": [ICB_A]}, True),
    ("ICB A by ODS code", {"icbs": [ICB_A_ODS]}, True),
    ("ICB B", {"icbs": [ICB_B]}, False),
    ("every ICB", {"icbs": ["*"]}, True),
    ("ward B and ICB B", {"wards": ["{ward_b}"], "icbs": [ICB_B, "QMF"]}, False),
    ("no scope", {}, False),
]


def _scoped(scopes: dict, world) -> dict:
    fill = {"ward_a": world.ward_a, "ward_b": world.ward_b}
    return {k: [v.format(**fill) for v in values] for k, values in scopes.items()}


def _admission_reads() -> list[Endpoint]:
    """Every clinician GET on one admission, in both services, from the route tables."""
    return [
        e
        for e in ENDPOINTS
        if e.method == "GET"
        and e.service in ("ward_api", "monitoring_ingest")
        and "clinician" in e.policy
        and e.params == ["admission_id"]
    ]


@pytest.mark.parametrize(
    ("name", "scopes", "allowed"), SCOPE_TABLE, ids=[row[0] for row in SCOPE_TABLE]
)
async def test_one_scope_table_answers_the_same_in_both_services(
    clients, auth, world, name: str, scopes: dict, allowed: bool
) -> None:
    """A clinician token's reach over ward A's admission is the same in ward_api and ingest."""
    routes = _admission_reads()
    assert {e.service for e in routes} == {"ward_api", "monitoring_ingest"}
    headers = auth(Role.clinician, **_scoped(scopes, world))
    for endpoint in routes:
        response = await endpoint.send(
            clients[endpoint.service], headers=headers, admission_id=world.admission_a
        )
        if allowed:
            assert response.status_code == 200, (endpoint.label, response.text[:300])
        else:
            assert_problem(response, 403, "wrong-ward")


def test_the_scope_table_is_the_shared_rule() -> None:
    """The same table against the one helper both services call (pure, no I/O)."""
    from services.ward_api.access import require_ward
    from shared.auth import Principal, may_act_for_ward
    from shared.problems import Forbidden

    ward_a, ward_b = "ward-a", "ward-b"
    for name, scopes, allowed in SCOPE_TABLE:
        filled = {
            k: frozenset(v.format(ward_a=ward_a, ward_b=ward_b) for v in values)
            for k, values in scopes.items()
        }
        principal = Principal("c", Role.clinician, **filled)
        assert may_act_for_ward(principal, ward_a, (ICB_A, ICB_A_ODS)) is allowed, name
        try:
            require_ward(principal, ward_a, ICB_A, ICB_A_ODS)
        except Forbidden:
            assert not allowed, name
        else:
            assert allowed, name


async def test_a_clinician_cannot_bind_another_wards_admission(clients, auth, world) -> None:
    """Issue #9 §3: ward B names ward A's admission and its own ward; nothing changes hands."""
    ingest = clients["monitoring_ingest"]
    device = f"DEV-{uuid.uuid4().hex[:12]}"
    url = f"/v1/bindings/{world.vendor.vendor_id}/{device}"
    body = {
        "admission_id": world.admission_a,
        "ward_id": world.ward_b,
        "expected_interval_minutes": 240,
        "bound_at": "2036-01-01T00:00:00Z",
    }
    clinician_b = auth(Role.clinician, wards=[world.ward_b])
    assert_problem(await ingest.put(url, json=body, headers=clinician_b), 403, "wrong-ward")
    # Without a ward in the body, the ward is still ward_api's: ward A, not the caller's.
    body.pop("ward_id")
    body["bound_at"] = datetime.now(UTC).isoformat()
    assert_problem(await ingest.put(url, json=body, headers=clinician_b), 403, "wrong-ward")
    readings = f"/v1/admissions/{world.admission_a}/readings"
    assert_problem(await ingest.get(readings, headers=clinician_b), 403, "wrong-ward")
    clinician_a = auth(Role.clinician, wards=[world.ward_a])
    assert (await ingest.get(readings, headers=clinician_a)).status_code == 200


async def test_a_clinician_binds_only_within_the_stay(clients, auth, world) -> None:
    """Ward A's own clinician: the ward is ward_api's; bound_at inside the stay, not future."""
    ingest = clients["monitoring_ingest"]
    clinician_a = auth(Role.clinician, wards=[world.ward_a])

    def put(bound_at: str, **extra: str):
        device = f"DEV-{uuid.uuid4().hex[:12]}"
        body = {
            "admission_id": world.admission_a,
            "expected_interval_minutes": 1,
            "bound_at": bound_at,
            **extra,
        }
        return ingest.put(
            f"/v1/bindings/{world.vendor.vendor_id}/{device}", json=body, headers=clinician_a
        )

    assert_problem(await put("2036-01-01T00:00:00Z"), 422, "bound-at-in-future")
    assert_problem(await put("0001-01-01T00:00:00Z"), 422, "bound-at-outside-stay")
    now = datetime.now(UTC).isoformat()
    assert_problem(await put(now, ward_id=world.ward_b), 422, "binding-ward-mismatch")
    assert_problem(
        await ingest.put(
            f"/v1/bindings/{world.vendor.vendor_id}/DEV-{uuid.uuid4().hex[:8]}",
            json={
                "admission_id": str(uuid.uuid4()),
                "expected_interval_minutes": 240,
                "bound_at": now,
            },
            headers=clinician_a,
        ),
        404,
        "admission-not-found",
    )
    ok = await put(now, ward_id=world.ward_a)
    assert ok.status_code == 201, ok.text
    assert ok.json()["ward_id"] == world.ward_a
