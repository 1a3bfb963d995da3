"""Every client mistake answers as RFC 9457 problem+json, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import text

from shared.app_factory import build_app
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.problems import Conflict
from shared.settings import ServiceSettings
from tests.conftest import serve_in_process


class Bed(BaseModel):
    ward: str = Field(min_length=1)
    beds: int = Field(ge=0, le=10_000)


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/beds", status_code=201)
    async def create(bed: Bed, _: Annotated[Principal, Depends(allow(Role.admin))]) -> Bed:
        return bed

    @router.get("/v1/conflict")
    async def conflict(_: Annotated[Principal, Depends(allow(Role.admin))]) -> None:
        raise Conflict("bed taken", slug="bed-taken", ward="W1")

    @router.get("/v1/boom")
    async def boom(_: Annotated[Principal, Depends(allow(Role.admin))]) -> None:
        raise RuntimeError("secret internals")

    return router


class _Settings(ServiceSettings):
    max_body_bytes: int = 2048


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(
        service="probe",
        settings=_Settings(database_url=database_url),
        title="probe",
        description="probe",
        routers=[_router()],
    )
    async with serve_in_process(app) as c:
        yield c


def _is_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://vward.dev/problems/")
    assert body["title"]
    return body


async def test_validation_error_names_fields(client, auth) -> None:
    response = await client.post(
        "/v1/beds", json={"ward": "", "beds": -1}, headers=auth(Role.admin)
    )
    body = _is_problem(response, 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/body/ward", "/body/beds"}


async def test_malformed_json(client, auth) -> None:
    headers = {**auth(Role.admin), "content-type": "application/json"}
    response = await client.post("/v1/beds", content=b'{"ward": "W1", ', headers=headers)
    body = _is_problem(response, 400)
    assert body["type"].endswith("/malformed-json")


async def test_unknown_route(client) -> None:
    body = _is_problem(await client.get("/v1/nowhere"), 404)
    assert body["instance"] == "/v1/nowhere"


async def test_wrong_method(client) -> None:
    _is_problem(await client.delete("/healthz"), 405)


async def test_oversized_body_by_length(client, auth) -> None:
    response = await client.post(
        "/v1/beds",
        content=b"x" * 5000,
        headers={**auth(Role.admin), "content-type": "application/json"},
    )
    body = _is_problem(response, 413)
    assert body["request_id"]


async def test_oversized_body_streamed_without_length(client, auth) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    response = await client.post(
        "/v1/beds",
        content=chunks(),
        headers={**auth(Role.admin), "content-type": "application/json"},
    )
    _is_problem(response, 413)


async def test_domain_problem_carries_extensions(client, auth) -> None:
    body = _is_problem(await client.get("/v1/conflict", headers=auth(Role.admin)), 409)
    assert body["type"].endswith("/bed-taken")
    assert body["ward"] == "W1"
    assert body["detail"] == "bed taken"


async def test_unexpected_error_is_500_problem_without_internals(client, auth) -> None:
    response = await client.get("/v1/boom", headers={**auth(Role.admin), "X-Request-ID": "boom-1"})
    body = _is_problem(response, 500)
    assert "secret internals" not in str(body)
    assert body["request_id"] == "boom-1"
    assert response.headers["x-request-id"] == "boom-1"


async def test_unexpected_error_log_carries_no_message(client, auth, caplog) -> None:
    with caplog.at_level("ERROR", logger="vward.problems"):
        await client.get("/v1/boom", headers=auth(Role.admin))
    record = next(r for r in caplog.records if r.name == "vward.problems")
    assert record.error_type == "builtins.RuntimeError"
    assert "secret internals" not in record.getMessage()
    assert "secret internals" not in str(record.__dict__)


def _commit_router() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/deferred-clash")
    async def clash(
        session: SessionDep, _: Annotated[Principal, Depends(allow(Role.admin))]
    ) -> dict[str, str]:
        # A deferred unique constraint fails only at COMMIT, after the endpoint returned.
        await session.execute(
            text("CREATE TEMP TABLE clash (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
        )
        await session.execute(text("INSERT INTO clash VALUES (1), (1)"))
        return {"status": "accepted"}

    return router


async def test_a_write_that_fails_to_commit_is_never_reported_as_success(
    database_url: str, auth
) -> None:
    app = build_app(
        service="probe",
        settings=_Settings(database_url=database_url),
        title="probe",
        description="probe",
        routers=[_commit_router()],
    )
    async with serve_in_process(app) as c:
        response = await c.post("/v1/deferred-clash", headers=auth(Role.admin))
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


async def test_database_down_is_503_with_retry_after(auth) -> None:
    from shared.embedded_pg import free_port

    router = APIRouter()

    @router.get("/v1/needs-db")
    async def needs_db(
        session: SessionDep, _: Annotated[Principal, Depends(allow(Role.admin))]
    ) -> dict[str, int]:
        return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    settings = _Settings(database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    app = build_app(
        service="probe", settings=settings, title="probe", description="probe", routers=[router]
    )
    async with serve_in_process(app) as c:
        response = await c.get("/v1/needs-db", headers=auth(Role.admin))
    body = _is_problem(response, 503)
    assert body["type"].endswith("/database-unavailable")
    assert response.headers["retry-after"] == "2"
