"""The status logged and counted is the status sent: no 500 behind a 4xx or 503, and a
client that leaves early is a 499, never a 500."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from sqlalchemy import text

from shared.app_factory import build_app
from shared.auth import Principal, Role, allow
from shared.database import SessionDep
from shared.observability import RequestContextMiddleware
from shared.settings import ServiceSettings
from tests.conftest import serve_in_process


class _Settings(ServiceSettings):
    pass


def _access(caplog: pytest.LogCaptureFixture, service: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == f"vward.{service}.access"]


def _counted(app, route: str, status: int, method: str = "GET") -> float:
    labels = {"service": app.state.service, "method": method, "route": route,
              "status": str(status)}  # fmt: skip
    return app.state.metrics.registry.get_sample_value("http_requests_total", labels) or 0.0


async def test_text_the_database_refuses_is_logged_as_the_422_sent(
    database_url: str, auth, caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL that reaches PostgreSQL by a way the edge cannot see is still a logged 422."""
    router = APIRouter()

    @router.get("/v1/echo")
    async def echo(
        session: SessionDep, _: Annotated[Principal, Depends(allow(Role.admin))]
    ) -> dict[str, str]:
        # The text arrives some way the edge does not judge (decoded from a raw body, say).
        value = "a" + chr(0) + "b"
        return {"v": (await session.execute(text("SELECT :v"), {"v": value})).scalar_one()}

    app = build_app(
        service="probe",
        settings=_Settings(database_url=database_url),
        title="probe",
        description="probe",
        routers=[router],
    )
    with caplog.at_level(logging.INFO):
        async with serve_in_process(app) as client:
            response = await client.get("/v1/echo", headers=auth(Role.admin))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/invalid-text")
    assert response.headers.get("x-request-id") == response.json()["request_id"]
    assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]
    [record] = _access(caplog, "probe")
    assert record.status == 422
    assert _counted(app, "/v1/echo", 422) == 1
    assert _counted(app, "/v1/echo", 500) == 0
    assert not [r for r in caplog.records if r.getMessage() == "unhandled error"]


async def test_database_down_is_logged_as_the_503_sent(
    auth, caplog: pytest.LogCaptureFixture
) -> None:
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
    with caplog.at_level(logging.INFO):
        async with serve_in_process(app) as client:
            response = await client.get("/v1/needs-db", headers=auth(Role.admin))
    assert response.status_code == 503
    assert response.headers.get_list("x-request-id") == [response.json()["request_id"]]
    [record] = _access(caplog, "probe")
    assert record.status == 503
    assert _counted(app, "/v1/needs-db", 503) == 1


async def _disconnecting_request(app, path: str, headers: dict[str, str]) -> list[dict]:
    """Drive the app at the ASGI level with a client that hangs up before sending its body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/wards", "application/json"), ("/v1/admin/sitrep", "text/csv")],
    ids=["body-parsed-by-fastapi", "body-read-by-the-route"],
)
async def test_client_disconnect_is_logged_as_499_not_500(
    ward_client, auth, caplog: pytest.LogCaptureFixture, path: str, content_type: str
) -> None:
    app = ward_client.app
    headers = {**auth(Role.admin), "content-type": content_type, "content-length": "20"}
    before = _counted(app, path, 500, "POST")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await _disconnecting_request(app, path, headers)
    [record] = _access(caplog, "ward_api")
    assert record.status == 499, record.status
    assert _counted(app, path, 500, "POST") == before
    assert _counted(app, path, 499, "POST") >= 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_request_cancelled_after_disconnect_is_499(caplog: pytest.LogCaptureFixture) -> None:
    """A server that cancels the handler when the client leaves: still 499, not 500."""

    async def handler(scope, receive, send) -> None:
        assert (await receive())["type"] == "http.disconnect"
        raise asyncio.CancelledError

    middleware = RequestContextMiddleware(handler, service="probe-cancel")
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        raise AssertionError("nothing is sent to a client that has gone")

    with caplog.at_level(logging.INFO), pytest.raises(asyncio.CancelledError):
        await middleware(scope, receive, send)
    [record] = _access(caplog, "probe-cancel")
    assert record.status == 499
    assert json.dumps(record.status) == "499"
