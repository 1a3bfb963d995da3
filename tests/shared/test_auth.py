"""401 for bad credentials, 403 for the wrong role; every route declares a policy."""

from __future__ import annotations

import time
from typing import Annotated

import jwt
import pytest
from fastapi import APIRouter, Depends

from shared.auth import Principal, Role, TokenCodec, allow, undeclared_routes
from shared.problems import Unauthorized
from tests.conftest import TEST_JWT_SECRET


def _problem_type(response) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()["type"].rsplit("/", 1)[-1]


async def test_missing_token_is_401(ward_client) -> None:
    response = await ward_client.get("/v1/whoami")
    assert response.status_code == 401
    assert _problem_type(response) == "token-missing"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_token_is_401(ward_client) -> None:
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": "x",
            "role": "admin",
            "iss": "vward",
            "aud": "vward",
            "iat": now - 7200,
            "exp": now - 3600,
        },
        TEST_JWT_SECRET,
        algorithm="HS256",
    )
    response = await ward_client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert _problem_type(response) == "token-expired"


async def test_wrongly_signed_token_is_401(ward_client) -> None:
    token = TokenCodec("another-secret-of-sufficient-length-000000").issue(
        subject="x", role=Role.admin
    )
    response = await ward_client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert _problem_type(response) == "token-invalid"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "", "Bearer"])
async def test_malformed_token_is_401(ward_client, token: str) -> None:
    response = await ward_client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_alg_none_token_is_401(ward_client) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"sub": "x", "role": "admin", "iss": "vward", "aud": "vward", "iat": now, "exp": now + 60},
        None,
        algorithm="none",
    )
    response = await ward_client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_unknown_role_is_401(ward_client) -> None:
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": "x",
            "role": "superuser",
            "iss": "vward",
            "aud": "vward",
            "iat": now,
            "exp": now + 60,
        },
        TEST_JWT_SECRET,
        algorithm="HS256",
    )
    response = await ward_client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_wrong_role_is_403(ingest_client, auth) -> None:
    response = await ingest_client.get("/v1/peers", headers=auth(Role.clinician, wards=["W1"]))
    assert response.status_code == 403
    assert _problem_type(response) == "wrong-role"
    assert response.json()["allowed_roles"] == ["admin"]


async def test_valid_token_reaches_endpoint(ward_client, auth) -> None:
    response = await ward_client.get(
        "/v1/whoami", headers=auth(Role.clinician, wards=["W1"], icbs=["QWE"])
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["wards"], body["icbs"]) == ("clinician", ["W1"], ["QWE"])


@pytest.mark.parametrize("service", ["ward_api", "monitoring_ingest", "equity_audit"])
def test_every_route_declares_a_policy(service: str, database_url: str) -> None:
    from vward.platform import SERVICES

    spec = next(s for s in SERVICES if s.name == service)
    module, factory = spec.app.split(":")
    app = getattr(__import__(module, fromlist=[factory]), factory)()
    assert undeclared_routes(app) == []


def test_a_route_without_policy_is_caught(database_url: str) -> None:
    from services.ward_api.app import create_app

    app = create_app()
    forgot = APIRouter()

    @forgot.get("/v1/forgotten")
    async def forgotten() -> None: ...

    @forgot.get("/v1/declared")
    async def declared(_: Annotated[Principal, Depends(allow(Role.admin))]) -> None: ...

    app.include_router(forgot)
    assert undeclared_routes(app) == ["GET /v1/forgotten"]


@pytest.mark.parametrize(
    "claims",
    [{"icbs": "QWE*"}, {"wards": [1, 2]}, {"vendor": {"id": "x"}}, {"icbs": None}],
)
def test_malformed_scopes_are_refused(claims: dict) -> None:
    now = int(time.time())
    token = jwt.encode(
        {"sub": "x", "role": "commissioner", "iss": "vward", "aud": "vward", "iat": now,
         "exp": now + 60, **claims},
        TEST_JWT_SECRET, algorithm="HS256",
    )  # fmt: skip
    with pytest.raises(Unauthorized):
        TokenCodec(TEST_JWT_SECRET).verify(token)


def test_scope_checks() -> None:
    clinician = Principal("c", Role.clinician, wards=frozenset({"W1"}))
    assert clinician.may_see_ward("W1") and not clinician.may_see_ward("W2")
    commissioner = Principal("m", Role.commissioner, icbs=frozenset({"QWE"}))
    assert commissioner.may_see_icb("QWE") and not commissioner.may_see_icb("QOP")
    assert not commissioner.may_see_ward("W1", icb="QWE")
    national = Principal("n", Role.commissioner, icbs=frozenset({"*"}))
    assert national.may_see_icb("QOP")
    # Ward scopes count only for clinicians: commissioners and vendors never see patients.
    assert not Principal("m", Role.commissioner, wards=frozenset({"W1"})).may_see_ward("W1")
    assert not Principal("v", Role.vendor, wards=frozenset({"*"})).may_see_ward("W1")
    icb_clinician = Principal("c", Role.clinician, icbs=frozenset({"QWE"}))
    assert icb_clinician.may_see_ward("W9", icb="QWE")
    assert not icb_clinician.may_see_ward("W9", icb="QOP")
    assert Principal("c", Role.clinician, icbs=frozenset({"*"})).may_see_ward("W9", icb="QOP")
