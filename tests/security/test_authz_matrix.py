"""Every route of every service against every caller: who gets in, who gets 401 and 403.

The matrix is generated from each service's route table and the policy each route declares
(`allow(...)`, `public()` or the vendor signature), so a new route is covered the day it is
added, and a route that forgets its policy fails `test_every_route_declares_a_policy`.
"""

from __future__ import annotations

import pytest

from shared.auth import Role, undeclared_routes
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
